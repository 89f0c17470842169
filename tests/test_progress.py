"""Progress as the algorithms report it (tropnet.progress) and as the CLI shows it."""

from __future__ import annotations

import json

import numpy as np

from tests.helpers import random_net, run_cli
from tropnet import Network, activation_regions, linear_regions
from tropnet.engines.monomials import compile_network
from tropnet.io import save_network
from tropnet.progress import Step, active, listening, step, tracked


def _heard(run):
    seen: list[Step] = []
    with listening(seen.append):
        result = run()
    return result, seen


def test_a_step_reaches_every_listener_inside_the_block_only():
    outer, inner = [], []
    assert not active()
    step("nobody listens", 1)  # no effect, no error
    with listening(outer.append):
        with listening(inner.append):
            assert active()
            step("both", 1, 2, "things", "detail")
        step("outer only", 3)
    step("after", 4)
    assert [s.phase for s in outer] == ["both", "outer only"]
    assert inner == [Step("both", 1, 2, "things", "detail")]
    assert not active()


def test_tracked_reports_every_kth_item_and_builds_the_detail_only_for_a_listener():
    calls = []

    def detail() -> str:
        calls.append(1)
        return "d"

    assert list(tracked(range(5), "p", "u", 2, detail)) == [0, 1, 2, 3, 4] and not calls
    seen: list[Step] = []
    with listening(seen.append):
        assert list(tracked("abcde", "p", "u", 2, detail)) == list("abcde")
    assert seen == [Step("p", k, 5, "u", "d") for k in (0, 2, 4)] and len(calls) == 3


def test_enumeration_reports_the_regions_split_in_each_layer():
    net = random_net(np.random.default_rng(3), [2, 12, 12, 1])
    after_layer: list[int] = []
    rs, seen = _heard(lambda: activation_regions(net, "box:-2,2", "vertex",
                                                 progress=after_layer.append))
    splits = {}
    for s in seen:
        if s.phase.startswith("layer "):
            splits.setdefault(s.phase, []).append(s)
    assert list(splits) == ["layer 1 of 3", "layer 2 of 3", "layer 3 of 3"]
    # a layer splits the regions the layer before left: 1, then the counts after each layer
    assert [v[0].total for v in splits.values()] == [1, *after_layer[:2]]
    for reports in splits.values():
        assert all(0 <= s.done < s.total and s.unit == "regions" for s in reports)
        assert [s.done for s in reports] == sorted(s.done for s in reports)
    found = [int(s.detail.split()[0].replace(",", "")) for s in splits["layer 2 of 3"]]
    assert found == sorted(found) and found[-1] <= after_layer[1]
    built = [s for s in seen if s.phase == "building regions"]
    assert built and all(s.total == rs.count for s in built)


def test_the_lp_engine_counts_its_lps():
    net = random_net(np.random.default_rng(5), [3, 6, 6, 1])
    _, seen = _heard(lambda: activation_regions(net, None, "lp"))
    lps = [int(s.detail.split(", ")[1].split()[0].replace(",", ""))
           for s in seen if ", " in s.detail and s.detail.endswith(" LPs")]
    assert lps and lps == sorted(lps) and lps[-1] > 0


def test_gluing_reports_the_maps_it_glues():
    # f = 0 * relu(x) + 0 * relu(-x): two activation regions, one map, one linear region
    net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[0, 0]], [0], "identity")])
    rs, seen = _heard(lambda: linear_regions(net, method="enumerate"))
    assert rs.count == 1
    glued = [s for s in seen if s.phase == "gluing"]
    assert glued and glued[0].total == 1 and glued[0].unit == "maps"


def test_the_tropical_route_reports_cells_and_the_compile_its_products():
    net = random_net(np.random.default_rng(7), [2, 4, 3, 1])
    rs, seen = _heard(lambda: linear_regions(net, method="tropical"))
    cells = [s.done for s in seen if s.phase == "refining cells"]
    assert cells[0] == 0 and cells == sorted(cells) and cells[-1] < rs.info["cells"]
    _, seen = _heard(lambda: compile_network(net, method="products"))
    phases = {s.phase for s in seen}
    assert {"unit 1 of 4", "unit 4 of 4", "unit 1 of 3", "activation"} <= phases
    products = [s for s in seen if s.phase == "unit 2 of 3"]
    assert [s.done for s in products] == list(range(4)) and products[0].total == 4


def test_the_cli_shows_the_phase_under_the_bar(capsys, tmp_path, monkeypatch):
    import tropnet.cli.common as common

    monkeypatch.setattr(common, "PHASE_DELAY", 0)
    net = random_net(np.random.default_rng(11), [2, 10, 10, 1])
    path = tmp_path / "net.json"
    save_network(net, path)
    # the vertex engine (the batch engine splits this net's layers faster than a bar's
    # 0.1 s refresh, so its phases may never be drawn)
    code, out, err = run_cli(capsys, "regions", path, "--kind", "activation", "--json",
                             "--progress", "--engine", "vertex")
    assert code == 0, err
    assert "layer 2 of 3" in err and "regions/s" in err and "building regions" in err
    assert json.loads(out)["count"] > 0
    code, out, err = run_cli(capsys, "regions", path, "--kind", "activation", "--json")
    assert code == 0 and "layer 2 of 3" not in err  # no bars under --json unless asked
