"""The polyhedral complex (issue 15 §2): hand-counted faces, Euler's relation on random nets
(exact and float, activation and linear), agreement with the region graph, sign vectors,
gluing faces, the JSON round trip and the ``tropnet complex`` command."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from tests.helpers import random_net, run_cli
from tropnet import Network, activation_regions, linear_regions, parse, save_network
from tropnet.arithmetic import EXACT
from tropnet.engines.complex import PolyhedralComplex, polyhedral_complex
from tropnet.errors import DomainError, InputFileError, TropnetError
from tropnet.polyhedra import Polyhedron

#: |x| + |y| as relu(x) + relu(-x) + relu(y) + relu(-y)
ABS2 = Network.from_lists(2, [([[1, 0], [-1, 0], [0, 1], [0, -1]], [0] * 4, "relu"),
                              ([[1, 1, 1, 1]], [0], "identity")])


def _abs_net(n: int) -> Network:
    rows = [[s if j == i else 0 for j in range(n)] for i in range(n) for s in (1, -1)]
    return Network.from_lists(n, [(rows, [0] * (2 * n), "relu"), ([[1] * (2 * n)], [0],
                                                                   "identity")])


def _point(cx: PolyhedralComplex, face) -> list:
    return [tuple(cx.points[v].tolist()) for v in face.vertices]


# -- hand-worked ---------------------------------------------------------------------------

def test_abs_on_square_by_hand():
    # 4 quadrant squares: 9 vertices (4 corners, 4 edge midpoints, the origin), 12 edges
    # (8 on the boundary, 4 half-axes), 4 cells: 9 - 12 + 4 = 1
    cx = polyhedral_complex(activation_regions(ABS2, "box:-1,1"), ABS2)
    assert cx.f_vector == (9, 12, 4) and cx.euler_characteristic == 1
    pts = {tuple(p) for p in cx.points.tolist()}
    assert pts == {(Fraction(a), Fraction(b)) for a in (-1, 0, 1) for b in (-1, 0, 1)}
    assert sum(e.on_boundary for e in cx.edges) == 8
    assert all(len(e.facets) == 2 and e.facets == e.vertices for e in cx.edges)
    assert all(len(c.facets) == 4 and len(c.vertices) == 4 for c in cx.cells)
    by_point = {tuple(cx.points[v.vertices[0]].tolist()): v for v in cx.vertices}
    origin = by_point[(0, 0)]
    assert origin.cells == (0, 1, 2, 3) and not origin.on_boundary
    assert origin.signs == ((0, 0, 0, 0),)           # every unit vanishes at the origin
    assert len(by_point[(1, 1)].cells) == 1 and len(by_point[(1, 0)].cells) == 2
    # the half-axis from (0,0) to (1,0): x > 0, y = 0 on its relative interior
    half = next(e for e in cx.edges if set(_point(cx, e)) == {(0, 0), (1, 0)})
    assert half.signs == ((1, -1, 0, 0),) and len(half.cells) == 2 and not half.on_boundary
    for c in cx.cells:   # a cell's sign vector is its pattern with -1 for inactive units
        r = activation_regions(ABS2, "box:-1,1").regions[c.regions[0]]
        assert c.signs == (tuple(1 if p else -1 for p in r.pattern[0]),)
    assert not any(f.glued for level in cx.faces for f in level)


def test_abs_on_cube_by_hand():
    # 8 octant cubes: 27 vertices, 54 edges, 36 squares, 8 cells: 27 - 54 + 36 - 8 = 1
    net = _abs_net(3)
    cx = activation_regions(net, "box:-1,1").complex(net)
    assert cx.f_vector == (27, 54, 36, 8) and cx.euler_characteristic == 1
    assert all(len(f.facets) == 4 for f in cx.two_faces)    # squares have 4 edges
    assert all(len(c.facets) == 6 for c in cx.cells)
    assert sum(f.on_boundary for f in cx.two_faces) == 24   # 6 sides of 4 squares


def test_gluing_faces_of_linear_regions():
    # relu(x) + y: two linear regions (x < 0, x > 0), each of two activation cells glued
    # along the half-axes of y = 0; the origin is where the two regions meet
    net = Network.from_lists(2, [([[1, 0], [0, 1], [0, -1]], [0] * 3, "relu"),
                                 ([[1, 1, -1]], [0], "identity")])
    rs = linear_regions(net, "box:-1,1")
    cx = rs.complex(net)
    assert rs.count == 2 and cx.f_vector == (9, 12, 4)
    glued = {tuple(sorted(_point(cx, f))) for level in cx.faces for f in level if f.glued}
    assert glued == {((-1, 0),), ((1, 0),), ((-1, 0), (0, 0)), ((0, 0), (1, 0))}
    # the glued edges are the facets that region_facets marks glued (one per cell)
    assert 2 * sum(e.glued for e in cx.edges) == sum(f.glued for r in rs for f in r.facets)
    assert all(len(c.regions) == 1 for c in cx.cells)
    assert sorted(c.regions[0] for c in cx.cells) == [0, 0, 1, 1]
    act = activation_regions(net, "box:-1,1").complex(net)
    assert act.f_vector == cx.f_vector and not any(f.glued for lv in act.faces for f in lv)


def test_maxout_sign_vectors_name_the_maximal_pieces():
    net = Network.from_lists(2, [{"weight": [[1, 0], [0, 1]], "bias": [0, 0],
                                  "activation": "maxout", "rank": 2},
                                 ([[1]], [0], "identity")])  # max(x, y)
    cx = activation_regions(net, "box:-1,1").complex(net)
    assert cx.f_vector == (4, 5, 2)     # the square cut by its diagonal
    diagonal = next(e for e in cx.edges if not e.on_boundary)
    assert set(_point(cx, diagonal)) == {(-1, -1), (1, 1)}
    assert diagonal.signs == (((0, 1),),)
    assert sorted(c.signs for c in cx.cells) == [(((0,),),), (((1,),),)]


# -- Euler's relation and the region graph on random nets -------------------------------------

@pytest.mark.parametrize("n,widths,act", [(2, [4, 3], "relu"), (2, [3, 3], "leaky_relu"),
                                          (2, [3, 2], "maxout"), (3, [4, 3], "relu"),
                                          (3, [3, 2], "maxout")])
@pytest.mark.parametrize("rational", [True, False])
@pytest.mark.parametrize("kind", ["activation", "linear"])
def test_euler_relation_on_random_nets(n, widths, act, rational, kind):
    rng = np.random.default_rng(100 * n + len(widths) + sum(widths))
    net = random_net(rng, [n, *widths, 1], act, rational=rational)
    rs = (activation_regions if kind == "activation" else linear_regions)(net, "box:-1,1")
    cx = rs.complex(net)
    # V - E + F = 1 in 2-D, V - E + F2 - F3 = 1 in 3-D (a subdivision of a ball)
    assert cx.euler_characteristic == 1
    assert cx.f_vector[-1] == sum(len(r.cells) for r in rs)
    assert cx.arith.exact == rational
    # every face's vertices lie in each of its cells (exactly, on the exact cells)
    cells = [c for cells in (rs.exact_cells() if rs.exact_cells else [r.cells for r in rs])
             for c in cells]
    for level in cx.faces[:-1]:
        for f in level:
            for c in f.cells:
                if rational:
                    assert all(cells[c].contains(cx.points[v]) for v in f.vertices)
                else:  # float coordinates rounded from the exact vertices
                    A, b = (np.asarray(m, dtype=float) for m in (cells[c].A, cells[c].b))
                    for v in f.vertices:   # rows of huge integers: relative slack
                        x = cx.points[v]
                        assert np.all(A @ x - b <= 1e-12 * (np.abs(A) @ np.abs(x) + np.abs(b)))
    # an edge has 2 vertices, a 2-face at least 3 edges; facets have one dimension less
    assert all(len(e.facets) == 2 for e in cx.edges)
    assert all(len(f.facets) >= 3 for f in cx.two_faces)
    # regions sharing an (n-1)-face are exactly the edges of the (exact) region graph
    shared = {tuple(f.regions) for f in cx.faces[n - 1] if len(f.regions) == 2}
    assert shared == {tuple(sorted(e)) for e in rs.graph.edges}


def test_float_mode_same_complex_as_exact_on_the_same_floats():
    net = random_net(np.random.default_rng(7), [2, 4, 3, 1], rational=False)
    fl = activation_regions(net, "box:-1,1").complex(net)
    ex = activation_regions(net, "box:-1,1", exact=True).complex(net)
    assert fl.f_vector == ex.f_vector and not fl.arith.exact and fl.info["decided"] == "exact"
    assert np.array_equal(np.asarray(fl.points, dtype=float),
                          np.asarray(ex.points, dtype=float))
    assert [f.signs for f in fl.edges] == [f.signs for f in ex.edges]


def test_tropical_cells_and_polytope_domain(tmp_path):
    rs = linear_regions(parse("max(0, x) + max(0, -x) + max(0, y) + max(x, 2*y, 1)"),
                        "box:-2,2", method="tropical")
    cx = polyhedral_complex(rs)
    assert cx.euler_characteristic == 1 and cx.f_vector[-1] == sum(len(r.cells) for r in rs)
    assert all(f.signs is None for level in cx.faces for f in level)
    tri = tmp_path / "tri.json"
    tri.write_text(json.dumps({"A": [[-1, 0], [0, -1], [1, 1]], "b": [1, 1, 1]}))
    cx = activation_regions(ABS2, f"polytope:{tri}").complex(ABS2)
    # the triangle x, y >= -1, x + y <= 1 cut by the axes: 4 cells
    assert cx.f_vector[-1] == 4 and cx.euler_characteristic == 1


def test_refusals():
    with pytest.raises(DomainError, match="bounded domain"):
        activation_regions(ABS2).complex()
    rs = linear_regions(ABS2, "box:-1,1", method="layerwise")
    with pytest.raises(TropnetError, match="activation cells"):
        rs.complex(ABS2)
    assert rs.complex().euler_characteristic == 1


# -- JSON ------------------------------------------------------------------------------------

@pytest.mark.parametrize("rational", [True, False])
def test_json_round_trip(tmp_path, rational):
    net = random_net(np.random.default_rng(3), [2, 3, 3, 1], rational=rational,
                     denominator=3)
    cx = linear_regions(net, "box:-1/3,1").complex(net)
    data = json.loads(json.dumps(cx.to_dict()))
    if rational:   # exact coordinates as "p/q" strings
        assert any(isinstance(v, str) and "/" in v for p in data["points"] for v in p)
    back = PolyhedralComplex.from_dict(data)
    assert back.to_dict() == cx.to_dict()
    assert back.f_vector == cx.f_vector and back.arith.exact == rational
    assert back.points.tolist() == cx.points.tolist()
    assert back.faces == cx.faces and back.domain.describe() == cx.domain.describe()
    path = tmp_path / "cx.json"
    path.write_text(json.dumps(cx.to_dict()))
    assert PolyhedralComplex.load(str(path)).faces == cx.faces


def test_bad_json_is_a_clear_error(tmp_path):
    with pytest.raises(InputFileError, match="not a tropnet polyhedral complex"):
        PolyhedralComplex.from_dict({"format": "something else"})
    data = activation_regions(ABS2, "box:-1,1").complex().to_dict()
    data["points"] = data["points"][:-1]
    with pytest.raises(InputFileError, match="one point per vertex"):
        PolyhedralComplex.from_dict(data)
    with pytest.raises(InputFileError):
        PolyhedralComplex.from_dict([1, 2])


# -- CLI -------------------------------------------------------------------------------------

def test_cli_complex(tmp_path, capsys):
    net = tmp_path / "abs.json"
    save_network(ABS2, net)
    out = tmp_path / "cx.json"
    code, stdout, _ = run_cli(capsys, "complex", net, "--domain", "box:-1,1", "-o", out)
    assert code == 0 and "9 vertices, 12 edges, 4 cells" in stdout
    assert "Euler characteristic 1" in stdout
    back = PolyhedralComplex.load(str(out))
    assert back.f_vector == (9, 12, 4) and back.vertices[0].signs is not None
    code, stdout, _ = run_cli(capsys, "complex", net, "--domain", "box:-1,1", "--kind",
                              "activation", "--json")
    rep = json.loads(stdout)
    assert code == 0 and rep["f_vector"] == [9, 12, 4] and rep["euler_characteristic"] == 1
    assert rep["sign_vectors"] is True and rep["output"] is None
    code, stdout, stderr = run_cli(capsys, "complex", net, "--domain", "box:-1,1", "-o", "-")
    assert code == 0 and json.loads(stdout)["f_vector"] == [9, 12, 4]
    assert "Euler characteristic 1" in stderr
    code, stdout, _ = run_cli(capsys, "complex", "--expr", "max(0, x) + max(0, y)",
                              "--domain", "box:-1,1", "--json")
    assert code == 0 and json.loads(stdout)["f_vector"] == [9, 12, 4]


@pytest.mark.parametrize("args,message", [
    ((), "give --domain"),
    (("--domain", "rn"), "bounded domain"),
    (("--domain", "box:1,-1"), "empty box"),
    (("--domain", "box:-1,1", "--method", "milp", "--kind", "linear"), "milp"),
])
def test_cli_complex_errors_write_nothing(tmp_path, capsys, args, message):
    net = tmp_path / "abs.json"
    save_network(ABS2, net)
    out = tmp_path / "cx.json"
    code, stdout, stderr = run_cli(capsys, "complex", net, *args, "-o", out)
    assert code == 2 and message in stderr and "Traceback" not in stderr
    assert not out.exists() and stdout == ""


def test_cells_are_bounded_polyhedra_in_float_mode():
    # a float result keeps float points while every decision was exact
    net = random_net(np.random.default_rng(11), [2, 3, 1], rational=False)
    cx = activation_regions(net, "box:-1,1").complex()
    assert cx.points.dtype == float and cx.euler_characteristic == 1
    assert Polyhedron.box([-1, -1], [1, 1], EXACT).contains(EXACT.array(cx.points[0]))
