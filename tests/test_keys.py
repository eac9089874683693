"""Value keys: equal contents give equal keys, any change of contents a different key."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.keys import arguments_key, value_key


def test_floats_are_keyed_by_value_not_id():
    keys = set()
    for k in range(200):  # freed floats: CPython reuses their ids
        keys.add(value_key(0.1 + k * 1e-3))
        gc.collect()
    assert len(keys) == 200
    assert value_key(0.25) == value_key(0.25) and value_key(1) != value_key(1.0)


def test_pandas_and_numpy_contents():
    s = pd.Series([1.0, 2.0], index=["A", "B"])
    k = value_key(s)
    assert value_key(s.copy()) == k
    s.iloc[0] = 3.0
    assert value_key(s) != k
    assert value_key(pd.Series([1.0, 2.0], index=["A", "C"])) != k
    df = pd.DataFrame({"a": [1, 2]})
    assert value_key(df) != value_key(df.rename(columns={"a": "b"}))
    a = np.arange(4.0)
    assert value_key(a) == value_key(a.copy()) and value_key(a) != value_key(a[::-1])
    assert value_key({"x": [1, 2]}) == value_key({"x": [1, 2]}) != value_key({"x": [1, 3]})


def test_functions_are_keyed_by_identity_and_kept_alive():
    def make():
        return lambda w, ctx: []

    f = make()
    k = value_key(f)
    assert value_key(f) == k and value_key(make()) != k


def test_arguments_key_of_a_constraint():
    cap = ho.SectorCap({"A": "x"}, max_weight=0.2)
    k = arguments_key(cap)
    cap.max_weight = 0.2
    assert arguments_key(cap) == k
    cap.max_weight = 0.3
    assert arguments_key(cap) != k


def test_arrow_backed_labels_keyed_by_their_buffers():
    """Arrow-backed strings (pandas 3's ``str``) are keyed by a digest of their buffers: the
    same labels give the same key however they were built, any change of a label, a missing
    value or a slice of other labels gives another one (compared with the cells themselves)."""
    pytest.importorskip("pyarrow")
    dtype = "string[pyarrow]"
    labels = ["tech", "energy", "tech", "banks"]
    s = pd.Series(labels, index=["A", "B", "C", "D"], dtype=dtype)
    k = value_key(s)
    assert value_key(pd.Series(list(labels), index=list("ABCD"), dtype=dtype)) == k
    assert value_key(s.copy()) == k
    s.iloc[2] = "banks"  # in place: pandas swaps the (immutable) arrow array
    assert value_key(s) != k
    s.iloc[2] = "tech"
    assert value_key(s) == k
    assert value_key(pd.Series(labels, index=list("ABCE"), dtype=dtype)) != k  # the index
    assert value_key(pd.Series(["x", None], dtype=dtype)) != value_key(
        pd.Series(["x", ""], dtype=dtype))
    # a slice keeps its parent's buffers: its key is still that of its own cells
    whole = pd.Index(["q", "x", "y"], dtype=dtype)
    assert value_key(whole[1:]) != value_key(pd.Index(["q", "x"], dtype=dtype))
    assert value_key(whole[1:]) != value_key(whole[:2])
    # arrow and object labels are different keys (a cache miss, never a wrong hit)
    assert value_key(pd.Series(labels, dtype=object)) != value_key(pd.Series(labels, dtype=dtype))


def test_numbers_and_dates_keyed_by_their_bytes():
    dates = pd.date_range("2021-01-11", periods=3).to_numpy()
    assert value_key(dates) == value_key(dates.copy()) != value_key(dates[::-1].copy())
    assert value_key(np.array(3.0)) == value_key(np.array(3.0)) != value_key(np.array(4.0))
    a = np.arange(6.0).reshape(2, 3)
    assert value_key(a.T) == value_key(np.ascontiguousarray(a.T)) != value_key(a)


def test_dataframe_keyed_by_its_labels_dtypes_and_values():
    # the index and the columns through the labels' own keys (arrow buffers for pandas 3's
    # str), the dtypes per column, the values in one digest: equal frames built apart share a
    # key, a change of any label, dtype or value gives another
    tickers = [f"T{i}" for i in range(50)]
    rng = np.random.default_rng(2)
    df = pd.DataFrame(rng.normal(size=(50, 3)), index=tickers, columns=["f1", "f2", "f3"])
    k = value_key(df)
    assert value_key(df.copy()) == k
    assert value_key(pd.DataFrame(df.to_numpy().copy(), index=list(tickers),
                                  columns=["f1", "f2", "f3"])) == k
    assert value_key(df.rename(index={"T7": "T7x"})) != k
    assert value_key(df.rename(columns={"f2": "g2"})) != k
    assert value_key(df.iloc[::-1]) != k
    bumped = df.copy()
    bumped.iloc[3, 1] += 1e-12
    assert value_key(bumped) != k
    whole = pd.DataFrame({"a": [1, 0], "b": ["x", "y"]})
    flags = pd.DataFrame({"a": [True, False], "b": ["x", "y"]})  # equal cells, other dtype
    assert value_key(whole) != value_key(flags)
    assert value_key(whole) != value_key(whole.astype({"a": float}))
