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


def _digest(data: Any) -> bytes:
    """SHA-256 of a buffer (hardware-accelerated on current CPUs: twice blake2b's speed)."""
    return hashlib.sha256(data).digest()


def _array_key(values: Any) -> Any:
    """Key of a 1-d or 2-d array of cells: a digest of the bytes of numbers and dates, the
    cells themselves (as a tuple) otherwise."""
    arr = np.asarray(values)
    if arr.dtype.kind in "biufcmM":
        raw = np.ascontiguousarray(arr).reshape(-1).view(np.uint8)  # dates export no buffer
        return (arr.dtype.str, arr.shape, _digest(raw.data))
    cells = tuple(arr.ravel().tolist())
    try:
        hash(cells)
    except TypeError:  # unhashable cells (lists, dicts): compare cell by cell
        return (arr.shape, tuple(value_key(x) for x in cells))
    return (arr.shape, cells)  # labels (str): 1 and 1.0 compare equal, as pandas does


def _arrow_key(values: Any) -> Any:
    """Key of a pyarrow-backed pandas array (``str`` columns and labels in pandas 3), or None
    when its type is not one whose buffers alone hold the values.

    The values of an arrow array are a function of its type, offset, length and buffers
    (validity, offsets, data), so a digest of those is as exact as the cells and much cheaper
    than converting them to Python strings (0.01 against 0.1 ms for 300 labels). Arrow arrays
    are immutable: pandas replaces the array on ``s.iloc[0] = ...``, which changes the key.
    Nested and dictionary types (whose buffers do not hold every value) are not keyed here.
    """
    import pyarrow as pa  # installed: pandas made an arrow-backed array

    data = values.__arrow_array__()
    kind = data.type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)
            or pa.types.is_binary(kind) or pa.types.is_large_binary(kind)
            or pa.types.is_primitive(kind)):
        return None
    chunks = data.chunks if isinstance(data, pa.ChunkedArray) else [data]
    h = hashlib.sha256()
    for chunk in chunks:
        for buf in chunk.buffers():
            h.update(b"\0" if buf is None else memoryview(buf))
            h.update(b"|")
    return ("arrow", str(kind), tuple((c.offset, len(c)) for c in chunks), h.digest())


def _column_key(v: pd.Series | pd.Index) -> Any:
    """Key of the values of a Series or an Index (arrow buffers when it is arrow-backed)."""
    arr = v.array
    if isinstance(arr, pd.arrays.ArrowExtensionArray):
        key = _arrow_key(arr)
        if key is not None:
            return key
    return _array_key(v.to_numpy())


def _pandas_key(v: pd.Series | pd.DataFrame | pd.Index) -> Any:
    if isinstance(v, pd.Index):
        return ("Index", str(v.dtype), _column_key(v))
    if isinstance(v, pd.Series):
        return ("Series", str(v.dtype), str(v.index.dtype), _column_key(v.index),
                _column_key(v))
    # the labels as an Index's (arrow buffers when arrow-backed: a 500-ticker index costs
    # 0.01 instead of 0.06 ms converted to Python strings, and a DataFrame argument is keyed at
    # every pass of a solve); the values in one digest, the dtypes per column
    return ("DataFrame", tuple(map(str, v.dtypes)), _column_key(v.index),
            _column_key(v.columns), _array_key(v.to_numpy()))


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
