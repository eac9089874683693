"""Value keys: equal contents give equal keys, any change of contents a different key."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd

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
