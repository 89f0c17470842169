"""The dispatcher: one method table, one entry point, every consumer reading the table."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tropnet
from tropnet import Network, TooLargeError, TropnetError, count_regions, parse, regions
from tropnet.comparison import CHECKS, ROWS
from tropnet.dispatch import METHODS, choose_method, method_names, resolve_kind

from .helpers import random_net

ABS = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])


def test_the_table():
    assert list(METHODS) == ["enumerate", "tropical", "layerwise", "milp"]
    assert [m.name for m in METHODS.values() if m.float_exact] == ["tropical", "layerwise"]
    assert method_names("activation") == ("enumerate", "milp")
    assert method_names("linear", "expression") == ("tropical",)
    assert [m.name for m in METHODS.values() if m.bounded] == ["milp"]
    assert METHODS["enumerate"].engines == ("vertex", "lp", "planar", "batch")


def test_auto_and_kind_resolution():
    assert choose_method("linear", "auto", ABS).name == "enumerate"  # networks
    assert choose_method("activation", "auto", ABS).name == "enumerate"
    assert choose_method("linear", "auto", parse("max(x, 0)")).name == "tropical"
    assert resolve_kind(None, "milp") == "activation"
    assert resolve_kind(None, "enumerate") == "linear"
    assert resolve_kind(None) == "linear"
    assert regions(ABS).kind == "linear" and regions(ABS).method == "enumerate"
    assert regions(ABS, method="milp", domain="box:-1,1").kind == "activation"


@pytest.mark.parametrize(("args", "kw", "message"), [
    ((ABS,), {"method": "magic"}, "unknown method 'magic'"),
    ((ABS,), {"kind": "cells"}, "unknown region kind 'cells'"),
    ((ABS,), {"kind": "linear", "method": "milp"}, "counts activation regions"),
    ((parse("max(x, 0)"),), {"method": "enumerate"}, "needs a network"),
    ((parse("max(x, 0)"),), {"kind": "activation"}, "need a network"),
    ((ABS,), {"method": "tropical", "engine": "lp"}, r"unknown option.*engine"),
    ((ABS,), {"connectivity": "corner"}, "connectivity"),
])
def test_clear_errors(args, kw, message):
    with pytest.raises(TropnetError, match=message):
        regions(*args, **kw)


def test_count_regions_is_regions_count():
    for kind in ("linear", "activation"):
        for method in method_names(kind, "network"):
            dom = "box:-1,1" if METHODS[method].bounded else None
            assert count_regions(ABS, dom, kind, method) == regions(ABS, dom, kind, method).count


def test_bounded_method_on_rn_uses_the_effective_box_and_says_so():
    rs = regions(ABS, kind="activation", method="milp")
    assert rs.count == 2 and rs.domain.kind == "rn"
    assert rs.info["box_from"] == "effective radius" and rs.info["domain"].startswith("box:")


def test_force_lifts_the_budgets(monkeypatch):
    import tropnet.limits as limits

    net = tropnet.load_network("benchmarks/nets/A.json")
    monkeypatch.setattr(limits.check_size, "__defaults__", (50,))
    with pytest.raises(TooLargeError, match="force=True"):
        regions(net, method="tropical")
    assert regions(net, method="tropical", force=True).count == 111
    with pytest.raises(TooLargeError):
        tropnet.compile_network(net)
    assert len(tropnet.compile_network(net, force=True)) == 1
    with limits.forced():
        with limits.forced(False):  # an inner False keeps the outer force
            assert regions(net, method="tropical").count == 111


def test_consumers_read_the_table():
    from tropnet.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    method = next(a for a in sub.choices["regions"]._actions if a.dest == "method")
    assert tuple(method.choices) == ("auto", *METHODS)
    # crosscheck: every exact method for every kind it counts on a network, engines apart
    assert set(CHECKS) == {"activation-vertex", "activation-lp", "activation-planar",
                           "activation-batch", "activation-milp", "linear-tropical",
                           "linear-enumerate", "linear-layerwise"}
    assert set(ROWS) == {*CHECKS, "sampling"}
    assert tropnet.crosscheck.__module__ == "tropnet.comparison"


@pytest.mark.slow
@settings(max_examples=8)
@given(st.integers(0, 2**31 - 1))
def test_every_method_agrees_on_random_nets(seed):
    """Independent methods give one count per kind, and linear <= activation."""
    net = random_net(np.random.default_rng(seed), [2, 3, 3, 1])
    counts = {}
    for kind in ("activation", "linear"):
        for m in method_names(kind, "network"):
            engines = METHODS[m].engines if kind == "activation" else ()
            for engine in engines or (None,):
                params = {"engine": engine} if engine else {}
                if engine == "batch":  # also in certified float: the exact count again
                    counts.setdefault(kind, set()).add(regions(net, "box:-2,2", kind, m,
                                                               exact=False, **params).count)
                counts.setdefault(kind, set()).add(
                    regions(net, "box:-2,2", kind, m, **params).count)
    assert len(counts["activation"]) == 1 and len(counts["linear"]) == 1
    assert counts["linear"].pop() <= counts["activation"].pop()
