"""Plots with data (issue 15 §4 plot, §5): slices through three inputs, points overlaid from
.npy / .csv files, and decision boundaries drawn over the regions."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from tests.helpers import random_net, run_cli
from tropnet import DomainError, Network, TropnetError, decision_boundary, parse, save_network
from tropnet.errors import InputFileError
from tropnet.plot import load_points, plot_regions
from tropnet.slicing import parse_points, plane_coordinates, plane_through, restrict_to_plane

A, B, C = (Fraction(1, 2), 0, -1), (1, 1, 0), (0, Fraction(-1, 3), 2)


def _net3(seed: int = 4) -> Network:
    return random_net(np.random.default_rng(seed), [3, 4, 3, 1])


def _offsets(ax) -> list[list[float]]:
    """Every scattered point of the axes."""
    return [p for coll in ax.collections if hasattr(coll, "get_offsets")
            for p in np.asarray(coll.get_offsets()).tolist()]


# -- slices through three points ---------------------------------------------------------------

def test_plane_through_three_points_is_exact():
    p, u, v = plane_through(A, B, C)
    assert p == A and u == (Fraction(1, 2), 1, 1) and v == (Fraction(-1, 2), Fraction(-1, 3), 3)
    assert parse_points("1/2,0,-1;1,1,0;0,-1/3,2", 3, 3) == [A, B, C]
    with pytest.raises(DomainError, match="collinear"):
        plane_through((0, 0, 0), (1, 2, 3), (2, 4, 6))
    with pytest.raises(DomainError, match="collinear"):
        plane_through((0, 0, 0), (1, 2, 3), (0, 0, 0))
    with pytest.raises(DomainError, match="needs 3 points"):
        parse_points("0,0,0;1,1,1", 3, 3)


@pytest.mark.parametrize("kind", ["linear", "activation"])
def test_slice_points_count_equals_the_equivalent_slice(kind):
    net = _net3()
    ax = plot_regions(net, "box:-1,2", kind=kind, slice_points=(A, B, C))
    p, u, v = plane_through(A, B, C)
    same = plot_regions(net, "box:-1,2", kind=kind, slice=(p, u, v))
    assert ax.tropnet_regions.count == same.tropnet_regions.count > 1
    assert ax.tropnet_plane == (p, u, v)
    # the restricted network takes the values of the network at a, b, c at the marks
    small = restrict_to_plane(net, p, u, v)
    for st, x in (((0, 0), A), ((1, 0), B), ((0, 1), C)):
        assert small.forward(st).tolist() == net.forward(x).tolist()
    marks = _offsets(ax)
    assert all(m in marks for m in ([0, 0], [1, 0], [0, 1]))
    assert ax.tropnet_title.splitlines()[1] == \
        "plane through a=(1/2, 0, -1), b=(1, 1, 0), c=(0, -1/3, 2)"
    # the title drawn is the same text, wrapped to the figure's width
    assert ax.get_title().split() == ax.tropnet_title.split()


def test_slice_points_default_domain_and_text_form():
    ax = plot_regions(_net3(), slice_points="1/2,0,-1;1,1,0;0,-1/3,2")
    assert ax.tropnet_regions.domain.describe() == "box:[-1/2,3/2]^2"
    with pytest.raises(DomainError, match="collinear"):
        plot_regions(_net3(), slice_points="0,0,0;1,1,1;2,2,2")
    with pytest.raises(TropnetError, match="not both"):
        plot_regions(_net3(), slice="u=1,0,0;v=0,1,0", slice_points=(A, B, C))


def test_cli_slice_points_equals_slice(tmp_path, capsys):
    path = tmp_path / "net.json"
    save_network(_net3(), path)
    code, out, _ = run_cli(capsys, "plot", path, "--slice-points", "1/2,0,-1;1,1,0;0,-1/3,2",
                           "--domain", "box:-1,2", "-o", tmp_path / "a.png", "--json")
    rep = json.loads(out)
    assert code == 0 and rep["plane"]["u"] == ["1/2", 1, 1]
    code, out2, _ = run_cli(capsys, "plot", path, "--slice",
                            "p=1/2,0,-1;u=1/2,1,1;v=-1/2,-1/3,3", "--domain", "box:-1,2",
                            "-o", tmp_path / "b.png", "--json")
    assert code == 0 and json.loads(out2)["count"] == rep["count"]
    bad = tmp_path / "bad.png"
    code, _, err = run_cli(capsys, "plot", path, "--slice-points", "0,0,0;1,1,1;2,2,2", "-o",
                           bad)
    assert code == 2 and "collinear" in err and not bad.exists()
    code, _, err = run_cli(capsys, "plot", path, "--slice-points", "0,0,0;1,1,1", "-o", bad)
    assert code == 2 and "needs 3 points" in err and not bad.exists()
    code, _, err = run_cli(capsys, "plot", path, "--slice-points", "0,0,0;1,0,0;0,1,0",
                           "--slice", "u=1,0,0;v=0,1,0", "-o", bad)
    assert code == 2 and "not allowed with" in err and not bad.exists()


# -- points overlaid ---------------------------------------------------------------------------

def test_points_on_a_2d_plot_are_drawn_as_given():
    pts = np.array([[0.25, -0.5], [0.0, 0.75], [-1.0, 1.0]])
    ax = plot_regions(parse("max(0, x) + max(0, y)"), "box:-1,1", points=pts)
    assert np.array_equal(ax.tropnet_points, pts)
    assert all(p in _offsets(ax) for p in pts.tolist())
    with pytest.raises(DomainError, match="rows of 2"):
        plot_regions(parse("max(0, x) + max(0, y)"), "box:-1,1", points=[[1, 2, 3]])


def test_points_on_a_slice_are_projected_by_least_squares():
    p, u, v = plane_through(A, B, C)
    P, U, V = (np.array(x, dtype=float) for x in (p, u, v))
    normal = np.cross(U, V)
    on = P + 0.3 * U + 0.6 * V
    off = on + 2.0 * normal                   # the same point moved off the plane
    assert np.allclose(plane_coordinates([on, off], p, u, v), [[0.3, 0.6], [0.3, 0.6]])
    ax = plot_regions(_net3(), slice_points=(A, B, C), points=np.array([on, off, P]))
    assert np.allclose(ax.tropnet_points, [[0.3, 0.6], [0.3, 0.6], [0, 0]])
    ax = plot_regions(_net3(), "box:-1,1", slice=(p, u, v), points=[B])
    assert np.allclose(ax.tropnet_points, [[1, 0]])


def test_load_points_csv_and_npy(tmp_path):
    pts = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, 0.25]])
    np.save(tmp_path / "p.npy", pts)
    (tmp_path / "p.csv").write_text("# x,y,z\n0.5,-1,2\n1,0,0.25\n")
    assert np.array_equal(load_points(str(tmp_path / "p.npy"), 3), pts)
    assert np.array_equal(load_points(str(tmp_path / "p.csv"), 3), pts)


@pytest.mark.parametrize("name,content,message", [
    ("missing.csv", None, "no such file"),
    ("p.csv", "1,2\n3,4\n", "2 coordinates, the input has 3"),
    ("p.csv", "1,2,x\n", "cannot read points"),
    ("p.csv", "# nothing\n", "non-empty"),
    ("p.csv", "1,2,nan\n", "NaN"),
    ("p.npy", "not numpy", "not a NumPy .npy file"),
    ("p.txt.gz", "1,2,3\n", "must be a .npy or .csv"),
])
def test_bad_point_files_are_clear_errors(tmp_path, capsys, name, content, message):
    f = tmp_path / name
    if content is not None:
        f.write_text(content)
    with pytest.raises(InputFileError, match=message):
        load_points(str(f), 3)
    path = tmp_path / "net.json"
    save_network(_net3(), path)
    out = tmp_path / "x.png"
    code, _, err = run_cli(capsys, "plot", path, "--slice-points", "0,0,0;1,0,0;0,1,0",
                           "--points", f, "-o", out)
    assert code == 2 and message in err and "Traceback" not in err and not out.exists()


def test_cli_points_overlay(tmp_path, capsys):
    np.save(tmp_path / "p.npy", np.array([[0.1, 0.2, 0.3]] * 5))
    path = tmp_path / "net.json"
    save_network(_net3(), path)
    code, out, _ = run_cli(capsys, "plot", path, "--slice-points", "0,0,0;1,0,0;0,1,0",
                           "--points", tmp_path / "p.npy", "-o", tmp_path / "x.png", "--json")
    rep = json.loads(out)
    assert code == 0 and rep["points"] == 5 and rep["points_projected"] is True
    assert (tmp_path / "x.png").stat().st_size > 5000


# -- decision boundaries -----------------------------------------------------------------------

@pytest.mark.parametrize("threshold", [0, "1/2", -1])
def test_boundary_pieces_drawn_match_decision_boundary(threshold):
    net = random_net(np.random.default_rng(5), [2, 5, 4, 1])
    ax = plot_regions(net, "box:-2,2", boundary=threshold if threshold != 0 else True)
    bd = decision_boundary(net, "box:-2,2", threshold)
    assert ax.tropnet_boundary.count == bd.count == len(ax.tropnet_boundary_segments)
    assert bd.count > 0
    # every drawn segment lies on {f = t}: f at its two ends and its midpoint is t
    t = float(Fraction(threshold))
    for seg in ax.tropnet_boundary_segments:
        for x in (seg[0], seg[1], seg.mean(axis=0)):
            assert float(net.forward(x, exact=False)[0]) == pytest.approx(t, abs=1e-9)


def test_boundary_on_a_slice_and_on_rn():
    net = _net3()
    ax = plot_regions(net, "box:-1,1", slice_points=(A, B, C), boundary=True)
    small = restrict_to_plane(net, *plane_through(A, B, C))
    assert len(ax.tropnet_boundary_segments) == decision_boundary(small, "box:-1,1").count
    # |x| + |y| = 1 on R^2: the diamond, 4 pieces, all inside the drawn box
    absxy = Network.from_lists(2, [([[1, 0], [-1, 0], [0, 1], [0, -1]], [0] * 4, "relu"),
                                   ([[1, 1, 1, 1]], [-1], "identity")])
    ax = plot_regions(absxy, boundary=True)
    assert len(ax.tropnet_boundary_segments) == 4
    with pytest.raises(TropnetError, match="networks"):
        plot_regions(parse("max(0, x, y)"), "box:-1,1", boundary=True)


def test_cli_boundary(tmp_path, capsys):
    net = random_net(np.random.default_rng(5), [2, 5, 4, 1])
    path = tmp_path / "net.json"
    save_network(net, path)
    code, out, _ = run_cli(capsys, "plot", path, "--domain", "box:-2,2", "--threshold", "1/2",
                           "-o", tmp_path / "b.png", "--json")
    rep = json.loads(out)
    assert code == 0 and rep["boundary"]["threshold"] == "1/2"
    assert rep["boundary"]["pieces"] == rep["boundary"]["drawn"] == \
        decision_boundary(net, "box:-2,2", "1/2").count
    code, out, _ = run_cli(capsys, "plot", path, "--domain", "box:-2,2", "--boundary",
                           "-o", tmp_path / "c.png")
    assert code == 0 and "pieces of the decision boundary f = 0" in out
    bad = tmp_path / "bad.png"
    code, _, err = run_cli(capsys, "plot", "--expr", "max(0, x, y)", "--boundary", "-o", bad)
    assert code == 2 and "network" in err and not bad.exists()
    code, _, err = run_cli(capsys, "plot", path, "--threshold", "abc", "-o", bad)
    assert code == 2 and "--threshold" in err and not bad.exists()
