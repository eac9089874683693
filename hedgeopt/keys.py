"""Keys that identify a value by its contents, for caches that must never go stale.

A cache keyed by ``id()`` of its inputs is wrong in CPython: the id of a freed object is reused,
so ``cap.max_weight = 0.12`` after a solve can produce the id the old ``0.25`` had. Caches in
hedgeopt are keyed by :func:`value_key` instead: equal keys mean equal contents (numbers,
strings, arrays, pandas objects compared by digest of their values and labels). Objects with no
notion of contents (functions, solvers, user classes) are keyed by identity *and kept alive by
the key*, so their id cannot be reused while the key exists.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["arguments_key", "value_key"]

_SCALARS = (bool, int, float, complex, str, bytes, type(None))


class _Same:
    """Identity key that holds a reference to its object (so the id stays unique)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _pandas_key(v: pd.Series | pd.DataFrame | pd.Index) -> Any:
    try:
        rows = pd.util.hash_pandas_object(v, index=not isinstance(v, pd.Index))
    except TypeError:  # unhashable cells (lists, dicts): compare cell by cell
        cells = v.to_numpy().ravel().tolist()
        return (type(v).__name__, v.shape, tuple(value_key(x) for x in cells),
                tuple(map(value_key, v.index)) if not isinstance(v, pd.Index) else ())
    labels: Any = ()
    if isinstance(v, pd.DataFrame):
        labels = tuple(map(value_key, v.columns)) + tuple(map(str, v.dtypes))
    elif isinstance(v, pd.Series):
        labels = (str(v.dtype),)
    return (type(v).__name__, v.shape, labels, _digest(rows.to_numpy().tobytes()))


def value_key(v: Any) -> Any:
    """A hashable key equal for equal contents (see the module docstring)."""
    if isinstance(v, _SCALARS):
        return (type(v).__name__, v)
    if isinstance(v, np.generic):
        return ("np", v.dtype.str, v.tobytes())
    if isinstance(v, np.ndarray):
        if v.dtype == object:
            return ("nd", v.shape, tuple(value_key(x) for x in v.ravel().tolist()))
        return ("nd", v.dtype.str, v.shape, _digest(np.ascontiguousarray(v).tobytes()))
    if isinstance(v, (pd.Series, pd.DataFrame, pd.Index)):
        return _pandas_key(v)
    if isinstance(v, dict):
        return ("dict", tuple((value_key(k), value_key(x)) for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, tuple(value_key(x) for x in v))
    if isinstance(v, (set, frozenset)):
        return ("set", frozenset(value_key(x) for x in v))
    return _Same(v)


def arguments_key(obj: Any) -> Any:
    """Key of an object's public attributes (its arguments), by value."""
    return (type(obj), tuple((k, value_key(x)) for k, x in vars(obj).items()
                             if not k.startswith("_")))
