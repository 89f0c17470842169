"""Region geometry (issue 15 §1): vertices, rays, facets, boundedness, volumes, Chebyshev
centres, and the summary; volumes of the regions on a box add up to the box."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest

from tropnet import Network, activation_regions, linear_regions, parse
from tropnet.arithmetic import EXACT, FLOAT
from tropnet.engines.geometry import (
    chebyshev_center,
    facet_neighbours,
    facet_rows,
    generators,
    is_bounded,
    region_geometry,
    volume,
)
from tropnet.errors import TropnetError
from tropnet.polyhedra import Polyhedron


def _poly(A, b, arith=EXACT):
    return Polyhedron.from_inequalities(A, b, arith)


def _pointset(arr):
    return sorted(tuple(Fraction(v) for v in p) for p in arr)


# -- hand-worked polyhedra -----------------------------------------------------------------

def test_unit_square():
    sq = Polyhedron.box([0, 0], [1, 1], EXACT)
    g = generators(sq)
    assert _pointset(g.points) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert len(g.rays) == 0 and len(g.lines) == 0
    assert volume(sq) == 1 and isinstance(volume(sq), Fraction)
    assert is_bounded(sq)
    c, r = chebyshev_center(sq, "inf")
    assert c.tolist() == [Fraction(1, 2)] * 2 and r == Fraction(1, 2)
    c, r = chebyshev_center(sq)
    assert np.allclose(np.asarray(c, dtype=float), [0.5, 0.5]) and r == pytest.approx(0.5)


def test_triangle_with_redundant_rows():
    # x >= 0, y >= 0, x + y <= 1, plus x <= 5 and 2x + 2y <= 2 (redundant)
    tri = _poly([[-1, 0], [0, -1], [1, 1], [1, 0], [2, 2]], [0, 0, 1, 5, 2])
    assert volume(tri) == Fraction(1, 2)
    assert facet_rows(tri).tolist() == [0, 1, 2]
    assert _pointset(generators(tri).points) == [(0, 0), (0, 1), (1, 0)]
    # Euclidean inradius of the right triangle with legs 1: (2 - sqrt 2) / 2
    assert chebyshev_center(tri)[1] == pytest.approx((2 - math.sqrt(2)) / 2)


def test_thin_rational_triangle_and_simplex_3d():
    tri = _poly([[-1, 0], [0, -1], [3, 7]], [0, 0, Fraction(1, 5)])
    assert volume(tri) == Fraction(1, 2) * Fraction(1, 15) * Fraction(1, 35)
    simplex = _poly([[-1, 0, 0], [0, -1, 0], [0, 0, -1], [1, 1, 1]], [0, 0, 0, 1])
    assert volume(simplex) == Fraction(1, 6)
    assert len(generators(simplex).points) == 4
    cube = Polyhedron.box([0, 0, 0], [1, 2, 3], EXACT)
    assert volume(cube) == 6 and len(generators(cube).points) == 8
    # an octahedron |x| + |y| + |z| <= 1: 8 facets, 6 vertices, volume 4/3
    rows = [[sx, sy, sz] for sx in (1, -1) for sy in (1, -1) for sz in (1, -1)]
    octa = _poly(rows, [1] * 8)
    assert volume(octa) == Fraction(4, 3) and len(generators(octa).points) == 6


def test_unbounded_wedge():
    wedge = _poly([[-1, 0], [1, -1]], [0, 0])  # x >= 0, y >= x
    g = generators(wedge)
    assert _pointset(g.points) == [(0, 0)]
    assert sorted(tuple(np.sign(np.asarray(r, dtype=float)).astype(int)) for r in g.rays) \
        == [(0, 1), (1, 1)]
    assert not is_bounded(wedge)
    assert volume(wedge) == math.inf
    assert volume(wedge, "box:-1,1") == Fraction(1, 2)  # the triangle (0,0),(0,1),(1,1)
    assert chebyshev_center(wedge)[1] == math.inf


def test_half_plane_has_a_line_and_empty_cells():
    half = _poly([[1, 0]], [0])
    g = generators(half)
    assert len(g.lines) == 1 and len(g.points) == 1
    assert volume(half) == math.inf and not is_bounded(half)
    empty = _poly([[1, 0], [-1, 0]], [0, -1])
    assert volume(empty) == 0
    flat = _poly([[1, 0], [-1, 0], [0, 1], [0, -1]], [0, 0, 1, 0])  # a segment
    assert volume(flat) == 0
    with pytest.raises(TropnetError, match="empty interior"):
        facet_rows(flat)


def test_float_mode_square_and_triangle():
    sq = Polyhedron.box([0.0, 0.0], [0.5, 3.0], FLOAT)
    assert isinstance(volume(sq), float) and volume(sq) == pytest.approx(1.5)
    tri = _poly([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]], [0.0, 0.0, 0.1], FLOAT)
    assert volume(tri) == pytest.approx(0.005)
    assert facet_rows(tri).tolist() == [0, 1, 2]


# -- regions --------------------------------------------------------------------------------

def test_quadrants_vertices_rays_and_neighbours():
    rs = linear_regions(parse("max(0, x) + max(0, y)"))
    for i, r in enumerate(rs):
        assert _pointset(r.vertices) == [(0, 0)]
        assert len(r.rays) == 2 and not r.is_bounded and r.volume == math.inf
        assert r.volume_in("box:-1,1") == 1
        assert len(r.facets) == 2 and not any(f.glued for f in r.facets)
        # each quadrant has one neighbour across each of its two facets
        hits = facet_neighbours(rs, i)
        assert sorted(len(h) for h in hits) == [1, 1]
        assert set(sum(hits, ())) == set(rs.graph.neighbors(i))


def test_glued_cells_of_one_linear_region():
    # relu(x) + relu(-x) - |x| = 0: one linear region on [-1, 1] glued from two cells
    net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])
    flat = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"),
                                  ([[1, -1]], [0], "identity"),
                                  ([[0]], [0], "identity")])
    rs = linear_regions(flat, "box:-1,1")
    assert rs.count == 1 and len(rs.regions[0].cells) == 2
    r = rs.regions[0]
    assert r.volume == 2
    assert sorted(f.glued for f in r.facets) == [False, False, True, True]
    assert geometry_facets(r) == 2
    assert linear_regions(net, "box:-1,1").summary()["facets"] == {"mean": 2, "max": 2}


def geometry_facets(region):
    return sum(not f.glued for f in region.facets)


def _random_net(n, widths, seed, as_float=False):
    rng = np.random.default_rng(seed)
    layers = []
    d = n
    for w in widths:
        W = rng.integers(-3, 4, size=(w, d))
        b = rng.integers(-2, 3, size=w)
        if as_float:  # floats that are not dyadic: 1/7 steps
            layers.append(((W / 7).tolist(), (b / 7).tolist(), "relu"))
        else:
            layers.append((W.tolist(), b.tolist(), "relu"))
        d = w
    layers.append((rng.integers(-3, 4, size=(1, d)).tolist(), [0], "identity"))
    return Network.from_lists(n, layers)


@pytest.mark.parametrize("n, widths, seed", [(2, (5, 4), 0), (2, (6,), 1), (3, (4, 3), 2)])
@pytest.mark.parametrize("kind", ["activation", "linear"])
def test_volumes_sum_to_the_box_exactly(n, widths, seed, kind):
    net = _random_net(n, widths, seed)
    dom = "box:-2,3" if n == 2 else "box:-1,2"
    side = 5 if n == 2 else 3
    rs = (activation_regions if kind == "activation" else linear_regions)(net, dom)
    vols = [r.volume for r in rs]
    assert all(isinstance(v, Fraction) and v > 0 for v in vols)
    assert sum(vols) == side ** n
    summary = rs.summary()
    assert summary["bounded"] == rs.count and summary["unbounded"] == 0
    assert Fraction(summary["volume"]["total"]) == side ** n
    assert sum(summary["volume"]["histogram"]["counts"]) == rs.count


@pytest.mark.parametrize("n, widths, seed", [(2, (5, 4), 3), (3, (4, 3), 4)])
@pytest.mark.parametrize("kind", ["activation", "linear"])
def test_volumes_sum_to_the_box_float(n, widths, seed, kind):
    net = _random_net(n, widths, seed, as_float=True)
    rs = (activation_regions if kind == "activation" else linear_regions)(net, "box:-1,1")
    assert not rs.arith.exact
    vols = [r.volume for r in rs]
    assert all(isinstance(v, float) and v > 0 for v in vols)
    assert sum(vols) == pytest.approx(2.0 ** n, rel=1e-9)


def test_unbounded_regions_on_rn_and_their_box_volumes():
    net = _random_net(2, (4,), 5)
    rs = activation_regions(net)
    assert any(not r.is_bounded for r in rs)
    assert all((r.volume == math.inf) == (not r.is_bounded) for r in rs)
    assert sum(r.volume_in("box:-4,4") for r in rs) == 64
    s = rs.summary()
    assert s["bounded"] + s["unbounded"] == rs.count


def test_region_geometry_json():
    rs = activation_regions(_random_net(2, (3,), 6), "box:-1,1")
    d = region_geometry(rs.regions[0])
    assert set(d) == {"vertices", "rays", "lines", "bounded", "volume", "facets"}
    assert d["bounded"] is True and d["rays"] == []
    assert all(isinstance(v, (int, str)) for p in d["vertices"] for v in p)
    total = sum(Fraction(region_geometry(r)["volume"]) for r in rs)
    assert total == 4


def test_summary_with_unbounded_regions_is_json_ready():
    import json

    s = linear_regions(parse("max(0, x) + max(0, y)")).summary()
    assert s["unbounded"] == 4 and s["volume"]["total"] is None
    json.dumps(s, allow_nan=False)


def test_cli_regions_list_geometry(capsys):
    """max(0, x, y) on [-1, 1]^2: the 0 region is the square [-1, 0]^2 (area 1), the x and y
    regions have area 3/2 each; their volumes sum to the box's 4."""
    from .helpers import run_cli

    code, out, err = run_cli(capsys, "regions", "--expr", "max(0, x, y)", "--domain",
                             "box:-1,1", "--list", "--geometry", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert sorted(Fraction(str(r["volume"])) for r in data["regions"]) == \
        [1, Fraction(3, 2), Fraction(3, 2)]
    assert data["geometry"]["volume"]["total"] == "4"
    assert all(r["bounded"] and len(r["vertices"]) >= 3 for r in data["regions"])
    code, _, err = run_cli(capsys, "regions", "--expr", "max(0, x, y)", "--geometry")
    assert code == 2 and "--geometry needs --list" in err
