"""User objective terms named in a config: ``objective.terms = ["module:function", ...]``.

Each entry is an import path ``module:function`` (``desk_terms:crowding``, a module on
``sys.path``) or ``file.py:function`` (a Python file, relative to the TOML file); the function
is ``fn(w, ctx) -> cvxpy expression`` and becomes a :class:`~hedgeopt.costs.Term` named by the
entry. A path that does not import, or names no function, is a
:class:`~hedgeopt.config.ConfigError` at the entry's line; a non-convex term is refused when the
problem is built (:meth:`~hedgeopt.costs.Term.validate`), at the same line.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from hedgeopt.config.locate import Loc

__all__ = ["load_function"]


def load_function(text: str, base: Path, loc: Loc) -> Callable[..., Any]:
    """The function an import path ``module:function`` or ``file.py:function`` names.

    Raises
    ------
    ConfigError
        At ``loc``, when the path has no ``:``, the module or file does not import (with the
        error it raised), or it has no callable of that name.
    """
    module_text, sep, name = text.rpartition(":")
    if not sep or not module_text.strip() or not name.strip() or not name.isidentifier():
        raise loc.error("expected an import path `module:function` (or `file.py:function`)",
                        text)
    module = _module(module_text.strip(), base, loc, text)
    fn = getattr(module, name, None)
    if fn is None:
        raise loc.error(f"module {module_text!r} has no function {name!r}", text)
    if not callable(fn):
        raise loc.error(f"{module_text}:{name} is not a function fn(w, ctx) (it is "
                        f"{type(fn).__name__} {fn!r})", text)
    return fn


def _module(module_text: str, base: Path, loc: Loc, text: str) -> ModuleType:
    """Import a dotted module name, or load a ``.py`` file (relative to ``base``)."""
    if module_text.endswith(".py"):
        path = Path(base, module_text).expanduser().resolve()
        if not path.is_file():
            raise loc.error(f"no Python file {str(path)!r}", text)
        # one stable module name per file, so that the function pickles by reference
        key = "hedgeopt_config_term_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
        if key in sys.modules:
            return sys.modules[key]
        spec = importlib.util.spec_from_file_location(key, path)
        if spec is None or spec.loader is None:
            raise loc.error(f"cannot load {str(path)!r} as a Python module", text)
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # noqa: BLE001 - any error of user code is a config error
            del sys.modules[key]
            raise loc.error(f"importing {str(path)!r} raised {type(exc).__name__}: {exc}",
                            text) from None
        return module
    try:
        return importlib.import_module(module_text)
    except Exception as exc:  # noqa: BLE001 - any error of user code is a config error
        raise loc.error(f"cannot import module {module_text!r} ({type(exc).__name__}: {exc})",
                        text) from None
