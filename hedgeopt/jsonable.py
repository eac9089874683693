"""Plain JSON values from numpy, pandas and datetime objects: the one converter of the package.

:func:`to_jsonable` is what every JSON file hedgeopt writes goes through (``result.json``,
``book.json``, the benchmarks' result files); :func:`iso_date` is how a date reads there and in
reports (``2021-01-11`` at midnight, the full ISO timestamp otherwise).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["iso_date", "to_jsonable"]


def iso_date(x: _dt.date) -> str:
    """``2021-01-11`` for a midnight :class:`pandas.Timestamp`, else ``x.isoformat()``."""
    if isinstance(x, pd.Timestamp) and x == x.normalize():
        return str(x.date().isoformat())
    return x.isoformat()


def to_jsonable(obj: Any, default: Callable[[Any], Any] | None = None) -> Any:
    """Plain JSON values from numpy / pandas / datetime objects (NaN and inf become null).

    Dict keys become strings; Series become ``{index: value}``; DataFrames a list of records;
    dates ISO strings (:func:`iso_date`); exceptions ``"Type: message"``.

    Parameters
    ----------
    obj : object
        What to convert (containers are converted recursively).
    default : callable, optional
        Called on an object of no known type; its return value is converted in turn (as with
        ``json.dumps(default=...)``). Without it such an object becomes its ``str``.
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, (pd.Timestamp, _dt.datetime, _dt.date)):
        return iso_date(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, pd.Series):
        return {str(to_jsonable(k, default)): to_jsonable(v, default) for k, v in obj.items()}
    if isinstance(obj, pd.DataFrame):
        return [to_jsonable(r, default) for r in obj.reset_index().to_dict(orient="records")]
    if isinstance(obj, Mapping):
        return {str(to_jsonable(k, default)): to_jsonable(v, default) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return [to_jsonable(x, default) for x in obj.tolist()]
    if isinstance(obj, (list, tuple, set)):
        return [to_jsonable(x, default) for x in obj]
    if isinstance(obj, BaseException):
        return f"{type(obj).__name__}: {obj}"
    if default is not None:
        return to_jsonable(default(obj), default)
    return str(obj)
