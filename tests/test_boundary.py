"""Decision boundaries (issue 15 §4): hand-worked level sets, exact lengths, and every
piece's interior point on the level set exactly."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
import sympy

from tropnet import Network, decision_boundary
from tropnet.cli import main
from tropnet.errors import TropnetError

# relu(x) - relu(y)
DIFF = Network.from_lists(2, [([[1, 0], [0, 1]], [0, 0], "relu"),
                              ([[1, -1]], [0], "identity")])
# x - y written with four relus
LINEAR = Network.from_lists(2, [([[1, 0], [-1, 0], [0, 1], [0, -1]], [0] * 4, "relu"),
                                ([[1, -1, -1, 1]], [0], "identity")])


def _on_level_set(net, bd, t):
    for p in bd.pieces:
        x = [Fraction(v) for v in p.point]
        assert net.forward(x, exact=True)[0] == t
        # strictly inside the piece: inside every row of the cell except those on the
        # hyperplane of the piece
        cell = bd.regions.regions[p.region].cells[0]
        slack = cell.b - cell.A.dot(np.array(x, dtype=object))
        assert all(s >= 0 for s in slack)


def test_diagonal_cut_at_the_origin():
    bd = decision_boundary(LINEAR, "box:-1,1")
    assert bd.count == 2 and len(bd.components) == 1 and bd.linear_pieces == 1
    assert bd.volume_exact == 2 * sympy.sqrt(2)
    assert bd.volume == pytest.approx(2 * 2 ** 0.5)
    assert sorted(p.measure for p in bd.pieces) == [1, 1]
    _on_level_set(LINEAR, bd, 0)


def test_relu_difference_with_a_flat_region():
    bd = decision_boundary(DIFF, "box:-1,1")
    # f = 0 on the closed third quadrant (flat) and on the diagonal of the first; pieces:
    # the diagonal (sqrt 2) and the two unit segments bounding the flat quadrant
    assert bd.count == 3 and len(bd.flat) == 1 and len(bd.components) == 1
    assert bd.volume_exact == sympy.sqrt(2) + 2
    _on_level_set(DIFF, bd, 0)
    # t = 1/2: x = 1/2 for y < 0 (length 1) and x - y = 1/2 for y > 0 (length sqrt(2)/2)
    half = decision_boundary(DIFF, "box:-1,1", threshold="1/2")
    assert half.count == 2 and not half.flat and len(half.components) == 1
    assert half.volume_exact == 1 + sympy.sqrt(2) / 2
    _on_level_set(DIFF, half, Fraction(1, 2))
    # t = 2 is never reached on the box
    assert decision_boundary(DIFF, "box:-1,1", threshold=2).count == 0


def test_two_components_and_unbounded_pieces():
    # |x| - 1/2 = 0 at x = +-1/2: two vertical lines, two components
    net = Network.from_lists(2, [([[1, 0], [-1, 0]], [0, 0], "relu"),
                                 ([[1, 1]], ["-1/2"], "identity")])
    bd = decision_boundary(net, "box:-1,1")
    assert bd.count == 2 and len(bd.components) == 2 and bd.volume_exact == 4
    _on_level_set(net, bd, 0)
    rn = decision_boundary(net)
    assert rn.count == 2 and rn.volume == float("inf") and rn.volume_exact is None


def test_boundary_on_a_region_facet_is_counted_once():
    # f = relu(x) - relu(-x) = x: the level set x = 0 is the facet between two regions
    net = Network.from_lists(2, [([[1, 0], [-1, 0]], [0, 0], "relu"),
                                 ([[1, -1]], [0], "identity")])
    bd = decision_boundary(net, "box:-1,2")
    assert bd.count == 1 and bd.volume_exact == 3
    _on_level_set(net, bd, 0)


def test_three_inputs_and_float_weights():
    rng = np.random.default_rng(7)
    W = rng.integers(-3, 4, size=(5, 3))
    b = rng.integers(-2, 3, size=5)
    v = rng.integers(-3, 4, size=(1, 5))
    net = Network.from_lists(3, [(W.tolist(), b.tolist(), "relu"), (v.tolist(), [1], "identity")])
    bd = decision_boundary(net, "box:-1,1")
    assert bd.count >= 1
    _on_level_set(net, bd, 0)
    fnet = Network.from_lists(3, [((W / 4).tolist(), (b / 4).tolist(), "relu"),
                                  ((v / 4).tolist(), [0.0625], "identity")])
    fb = decision_boundary(fnet, "box:-1,1")   # dyadic floats: f / 16, the same level set
    assert not fb.arith.exact and fb.info == {"decided": "exact"}
    assert fb.count == bd.count and len(fb.components) == len(bd.components)
    assert fb.volume == pytest.approx(bd.volume)


def test_bad_input():
    two = Network.from_lists(1, [([[1]], [0], "relu"), ([[1], [2]], [0, 0], "identity")])
    with pytest.raises(TropnetError, match="2 outputs"):
        decision_boundary(two)
    assert decision_boundary(two, "box:-1,1", output=1).count == 1
    with pytest.raises(TropnetError, match="does not exist"):
        decision_boundary(two, output=2)


def test_cli(tmp_path, capsys):
    f = tmp_path / "diff.json"
    f.write_text(json.dumps(DIFF.to_dict()))
    assert main(["boundary", str(f), "--domain", "box:-1,1", "--threshold", "1/2", "--list",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["count"] == 2 and out["components"] == 1 and out["threshold"] == "1/2"
    assert out["volume_exact"] == "sqrt(2)/2 + 1" and len(out["pieces"]) == 2
    assert out["approximate_volume"] == pytest.approx(2 ** 0.5 / 2 + 1)
    assert main(["boundary", str(f), "--threshold", "x"]) == 2
    assert "not a number" in capsys.readouterr().err


def test_cli_text_keeps_a_long_exact_volume_for_json(tmp_path, capsys):
    """A float net's exact boundary length is a long sum of square roots: the text report
    gives the float and says where the exact value is; the demo's short one is printed."""
    from tropnet import save_network

    from .helpers import random_net, run_cli

    save_network(random_net(np.random.default_rng(2), [2, 6, 1], rational=False),
                 tmp_path / "f.json")
    code, out, _ = run_cli(capsys, "boundary", tmp_path / "f.json", "--domain", "box:-2,3")
    assert code == 0 and max(len(line) for line in out.splitlines()) < 200
    code, js, _ = run_cli(capsys, "boundary", tmp_path / "f.json", "--domain", "box:-2,3",
                          "--json")
    exact = json.loads(js)["volume_exact"]
    assert len(exact) > 120 and "in --json" in out
    code, out, _ = run_cli(capsys, "boundary", "tropnet/examples/demo.json", "--domain",
                           "box:-1,1")
    assert out.splitlines()[-1].endswith("= sqrt(17)/3 + 4*sqrt(29)/15")
