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


def _array_key(values: Any) -> Any:
    """Key of a 1-d or 2-d array of cells: a digest of the bytes of numbers and dates, the
    cells themselves (as a tuple) otherwise."""
    arr = np.asarray(values)
    if arr.dtype.kind in "biufcmM":
        return (arr.dtype.str, arr.shape, _digest(np.ascontiguousarray(arr).tobytes()))
    cells = tuple(arr.ravel().tolist())
    try:
        hash(cells)
    except TypeError:  # unhashable cells (lists, dicts): compare cell by cell
        return (arr.shape, tuple(value_key(x) for x in cells))
    return (arr.shape, cells)  # labels (str): 1 and 1.0 compare equal, as pandas does


def _pandas_key(v: pd.Series | pd.DataFrame | pd.Index) -> Any:
    if isinstance(v, pd.Index):
        return ("Index", _array_key(v.to_numpy()))
    if isinstance(v, pd.Series):
        return ("Series", str(v.dtype), _array_key(v.index.to_numpy()),
                _array_key(v.to_numpy()))
    return ("DataFrame", tuple(map(str, v.dtypes)), _array_key(v.index.to_numpy()),
            _array_key(v.columns.to_numpy()), _array_key(v.to_numpy()))


def value_key(v: Any) -> Any:
    """A hashable key equal for equal contents (see the module docstring)."""
    if isinstance(v, _SCALARS):
        return (type(v).__name__, v)
    if isinstance(v, np.generic):
        return ("np", v.dtype.str, v.tobytes())
    if isinstance(v, np.ndarray):
        return ("nd", _array_key(v))
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
