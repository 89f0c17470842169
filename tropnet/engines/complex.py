"""The polyhedral complex of a region set: every face of the subdivision of a bounded domain
by the regions' cells, with incidences, sign vectors and the gluing faces of linear regions.

The cells of a :class:`~tropnet.RegionSet` on a box or polytope (activation cells, or the
cells glued into linear regions) are the maximal faces of a polyhedral complex: the
activation cells of a network meet face to face (each layer cuts every cell of the previous
subdivision by hyperplanes that agree on shared faces, the pre-activations being
continuous), and so do the cells of a common refinement of tropical subdivisions. A *face*
of the complex is a face of one of its cells; a face shared by several cells is one face.

Everything is decided exactly: the vertices and the row incidences of every cell come from
cdd's exact (gmp) double description, faces are identified by their sets of vertices, and
vertices by their exact coordinates. Float region sets are analysed on the exact rationals
of their cells (the cells that certify :attr:`RegionSet.graph`), so no float tolerance
decides whether two faces are one; their coordinates are reported as floats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..arithmetic import EXACT, FLOAT, Arithmetic, format_number, parse_number
from ..domain import Domain, box, parse_domain, polytope
from ..errors import DomainError, InputFileError, NetworkError, TropnetError
from ..files import load_json
from ..network import Network
from ..polyhedra import Polyhedron
from ..progress import tracked
from .geometry import generators

__all__ = ["Face", "PolyhedralComplex", "polyhedral_complex"]

#: the ``"format"`` key of the JSON form
FORMAT = "tropnet-complex"


@dataclass(frozen=True)
class Face:
    """One face of dimension ``dim``: its vertices (indices of :attr:`PolyhedralComplex.points`),
    its ``facets`` (indices of the faces of dimension ``dim - 1`` on its boundary: an edge's
    two endpoints, a 2-face's edges; empty for a vertex), the ``cells`` (indices of the
    top-dimensional faces) that contain it and their ``regions``.

    ``on_boundary``: the face lies in the boundary of the domain. ``glued``: it lies in at
    least two cells and all of them belong to one region (linear regions of several cells:
    the face separates cells of one region, not two regions). ``signs`` (when the complex was
    built with the network of activation cells): see :func:`polyhedral_complex`.

    Attributes
    ----------
    dim : int
        The dimension.
    vertices : tuple of int
        Its vertices.
    facets : tuple of int
        Its facets (faces of dimension ``dim - 1``).
    cells : tuple of int
        The cells containing it.
    regions : tuple of int
        Their regions.
    on_boundary : bool
        It lies in the domain's boundary.
    glued : bool, default False
        It lies inside one region (above).
    signs : tuple or None, default None
        The sign vector, with the network.
    """

    dim: int
    vertices: tuple[int, ...]
    facets: tuple[int, ...]
    cells: tuple[int, ...]
    regions: tuple[int, ...]
    on_boundary: bool
    glued: bool = False
    signs: tuple | None = None

    def to_dict(self) -> dict:
        """The JSON form of the face."""
        out: dict[str, Any] = {"vertices": list(self.vertices), "facets": list(self.facets),
                               "cells": list(self.cells), "regions": list(self.regions),
                               "on_boundary": self.on_boundary, "glued": self.glued}
        if self.signs is not None:
            out["signs"] = [[list(u) if isinstance(u, tuple) else u for u in layer]
                            for layer in self.signs]
        return out


@dataclass(frozen=True, eq=False)
class PolyhedralComplex:
    """The faces of the subdivision of a bounded domain by the cells of a region set
    (:func:`polyhedral_complex`). ``faces[d]`` lists the faces of dimension ``d``, from the
    vertices (``d = 0``; vertex ``i`` is ``faces[0][i]`` at ``points[i]``) to the cells
    (``d = n``; cell ``c`` lies in region ``faces[n][c].regions[0]``).

    Attributes
    ----------
    dimension : int
        The dimension ``n``.
    points : ndarray
        The vertices' coordinates.
    faces : tuple of tuple of Face
        The faces of each dimension.
    kind : str
        The kind of the regions.
    domain : Domain
        The bounded domain.
    arith : Arithmetic
        The arithmetic of ``points``.
    connectivity : str or None, default None
        The connectivity of linear regions.
    info : dict, default {}
        Further facts.
    """

    dimension: int
    points: np.ndarray
    faces: tuple[tuple[Face, ...], ...]
    kind: str
    domain: Domain
    arith: Arithmetic
    connectivity: str | None = None
    info: dict = field(default_factory=dict)

    @property
    def vertices(self) -> tuple[Face, ...]:
        """The faces of dimension 0."""
        return self.faces[0]

    @property
    def edges(self) -> tuple[Face, ...]:
        """The faces of dimension 1 (none when ``n = 0``)."""
        return self.faces[1] if self.dimension >= 1 else ()

    @property
    def two_faces(self) -> tuple[Face, ...]:
        """The faces of dimension 2 (none when ``n < 2``)."""
        return self.faces[2] if self.dimension >= 2 else ()

    @property
    def cells(self) -> tuple[Face, ...]:
        """The faces of dimension ``n``."""
        return self.faces[self.dimension]

    @property
    def f_vector(self) -> tuple[int, ...]:
        """The number of faces of each dimension ``0, ..., n``."""
        return tuple(len(f) for f in self.faces)

    @property
    def euler_characteristic(self) -> int:
        """``sum_d (-1)^d f_d``: 1 for every subdivision of a convex polytope (a ball)."""
        return sum((-1) ** d * f for d, f in enumerate(self.f_vector))

    def to_dict(self) -> dict:
        """The JSON form (exact coordinates as ``"p/q"`` strings in exact mode)."""
        out: dict[str, Any] = {
            "format": FORMAT, "dimension": self.dimension, "kind": self.kind,
            "domain": self.domain.describe(), "domain_spec": self.domain.to_dict(),
            "exact": self.arith.exact, "f_vector": list(self.f_vector),
            "euler_characteristic": self.euler_characteristic}
        if self.connectivity is not None:
            out["connectivity"] = self.connectivity
        out.update(self.info)
        out["points"] = [[format_number(v) for v in p] for p in self.points]
        out["faces"] = [[f.to_dict() for f in level] for level in self.faces]
        return out

    @classmethod
    def load(cls, path: str) -> PolyhedralComplex:
        """Read a complex written by ``tropnet complex -o FILE`` (:meth:`from_dict`).

        Parameters
        ----------
        path : str
            The JSON file.
        """
        return cls.from_dict(load_json(path), str(path))

    @classmethod
    def from_dict(cls, data: Any, source: str = "complex") -> PolyhedralComplex:
        """Read back :meth:`to_dict` (exact numbers from their ``"p/q"`` strings); a clear
        :class:`~tropnet.errors.InputFileError` on anything else.

        Parameters
        ----------
        data : dict
            The parsed JSON.
        source : str, default "complex"
            Where it was read, named in the error.
        """
        try:
            return _from_dict(data)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, NetworkError,
                DomainError) as exc:
            raise InputFileError(f"{source}: not a tropnet polyhedral complex "
                                 f"({type(exc).__name__}: {exc})") from None


def polyhedral_complex(rs: Any, net: Network | None = None) -> PolyhedralComplex:
    """The polyhedral complex of the regions ``rs`` (a :class:`~tropnet.RegionSet`) on a
    bounded domain: every face of every dimension ``0..n`` of the subdivision of the domain
    by the regions' cells, each once, with its incidences.

    Parameters
    ----------
    rs : RegionSet
        The regions on a box or a bounded polytope. ``R^n`` is refused (the cells are
        unbounded and a finite complex would need rays): compute the regions on a box, for
        instance the effective box of `tropnet.hoffman.effective_box`, which meets
        every region of ``R^n``.
    net : Network or None, default None
        The network of activation cells (``kind="activation"``, or linear regions glued
        from activation cells by ``method="enumerate"``): each face gets its sign vector.

    Returns
    -------
    PolyhedralComplex
        Each `Face` has its vertices, its facets (for an edge, its two vertices; for a
        2-face, its edges), the cells and regions containing it, whether it lies on the
        domain's boundary, and ``glued`` for faces inside one linear region (see `Face`).

    Notes
    -----
    The **sign vector** of a face ``F`` (with ``net``) is, per patterned layer, one entry per
    unit, read at a point of the relative interior of ``F`` (the barycentre of its vertices;
    the entry is the same on the whole relative interior): for ReLU and leaky ReLU units the
    sign ``+1 / 0 / -1`` of the pre-activation ``z``, 0 when ``z`` vanishes on ``F``; for
    maxout units the tuple of the pieces attaining the maximum (two or more: the unit is at
    a tie on ``F``). On a cell it is the activation pattern with ``-1`` for inactive units.

    Examples
    --------
    ``|x| + |y|`` on the square: 4 quadrants, 12 edges (8 on the boundary), 9 vertices.

    >>> from tropnet import activation_regions
    >>> net = Network.from_lists(2, [([[1, 0], [-1, 0], [0, 1], [0, -1]], [0] * 4, "relu"),
    ...                              ([[1, 1, 1, 1]], [0], "identity")])
    >>> cx = polyhedral_complex(activation_regions(net, "box:-1,1"), net)
    >>> cx.f_vector, cx.euler_characteristic
    ((9, 12, 4), 1)
    >>> origin = next(v for v in cx.vertices if v.cells == (0, 1, 2, 3))
    >>> cx.points[origin.vertices[0]].tolist(), origin.signs
    ([Fraction(0, 1), Fraction(0, 1)], ((0, 0, 0, 0),))

    Notes
    -----
    Per cell: cdd's exact double description gives its vertices and, for each row, the
    vertices where it is tight. The facets of a face ``F`` are the maximal proper non-empty
    sets ``F ∩ tight(row)``, so the face lattice follows by set operations from the cell
    down to its vertices. Faces of different cells are one face when their vertex sets
    (exact coordinates) are equal. The cost is one double description per cell plus the
    faces times the rows.
    """
    dom = rs.domain
    if not dom.bounded:
        raise DomainError(f"the polyhedral complex needs a bounded domain (a box or a "
                          f"bounded polytope), not {dom.describe()}: give a box such as "
                          f"'box:-1,1', or the effective box (--domain effective) that meets "
                          f"every region of R^n")
    n = dom.n
    arith = rs.arith
    cells, owners = _exact_cells(rs)
    rounded = dom.polyhedron(arith)  # float mode: the domain the float cells were cut by
    domain_rows = Polyhedron(EXACT.array(rounded.A), EXACT.array(rounded.b), EXACT)
    signs_of = _sign_reader(rs, net) if net is not None else None

    key_of: dict[tuple, int] = {}  # exact coordinates -> vertex index
    points: list[tuple] = []
    found: dict[frozenset, list] = {}  # vertex set -> [dim, facet vertex sets, cells]
    for c, cell in enumerate(tracked(cells, "faces of cells", "cells",
                                     detail=lambda: f"{len(found):,} faces")):
        gens = generators(cell)
        if len(gens.rays) or len(gens.lines) or not len(gens.points):
            raise DomainError(f"cell {c} of the regions is unbounded or empty: the complex "
                              f"needs bounded cells")
        ids = []
        for p in gens.points:
            key = tuple(Fraction(v) for v in p)
            if key not in key_of:
                key_of[key] = len(points)
                points.append(key)
            ids.append(key_of[key])
        rows = [frozenset(ids[v] for v, t in enumerate(gens.tight) if r in t)
                for r in range(len(cell))]
        for face, (dim, subs) in _cell_faces(frozenset(ids), n, set(rows)).items():
            entry = found.setdefault(face, [dim, subs, set()])
            if entry[0] != dim:  # pragma: no cover - a bug, not bad input
                raise RuntimeError("internal error: one vertex set with two dimensions")
            entry[2].add(c)

    levels: list[list[frozenset]] = [[] for _ in range(n + 1)]
    for face, (dim, _, _) in found.items():
        levels[dim].append(face)
    levels[0].sort(key=lambda f: points[min(f)])  # vertices in lexicographic order
    final = {min(f): i for i, f in enumerate(levels[0])}
    for d in range(1, n):
        levels[d].sort(key=lambda f: sorted(final[v] for v in f))
    levels[n].sort(key=lambda f: min(found[f][2]))  # cells in region order
    index = [{f: i for i, f in enumerate(level)} for level in levels]
    cell_index = {c: index[n][f] for f in levels[n] for c in found[f][2]}

    pts = [points[min(f)] for f in levels[0]]  # vertex i is faces[0][i]
    faces: list[tuple[Face, ...]] = []
    for d, level in enumerate(levels):
        out = []
        for f in tracked(level, f"incidences of {d}-faces", "faces", 256):
            _, subs, where = found[f]
            in_cells = tuple(sorted(cell_index[c] for c in where))
            regions = tuple(sorted({owners[c] for c in where}))
            verts = tuple(sorted(final[v] for v in f))
            facets = tuple(sorted(index[d - 1][s] for s in subs)) if d else ()
            boundary = _on_boundary(domain_rows, [points[v] for v in f])
            glued = len(in_cells) >= 2 and len(regions) == 1
            signs = signs_of(_barycentre([points[v] for v in f])) if signs_of else None
            out.append(Face(d, verts, facets, in_cells, regions, boundary, glued, signs))
        faces.append(tuple(out))
    _check_complex(faces, n)
    coords = arith.array([[arith.convert(v) for v in p] for p in pts]).reshape(-1, n)
    info: dict[str, Any] = {} if arith.exact else {"decided": "exact"}
    return PolyhedralComplex(n, coords, tuple(faces), rs.kind, dom, arith,
                             rs.connectivity if rs.kind == "linear" else None, info)


# -- helpers -----------------------------------------------------------------------------------

def _exact_cells(rs: Any) -> tuple[list[Polyhedron], list[int]]:
    """Every cell of ``rs`` in exact arithmetic (float results: the exact cells behind their
    certified graph, or the rationals of the float rows) and the region of each."""
    if rs.arith.exact:
        per_region: Sequence[tuple] = [r.cells for r in rs.regions]
    elif rs.exact_cells is not None:
        per_region = rs.exact_cells()
    else:
        per_region = [tuple(Polyhedron(EXACT.array(c.A), EXACT.array(c.b), EXACT)
                            for c in r.cells) for r in rs.regions]
    cells, owners = [], []
    for k, group in enumerate(per_region):
        for cell in group:
            cells.append(cell)
            owners.append(k)
    return cells, owners


def _cell_faces(top: frozenset, n: int, rows: set[frozenset]
                ) -> dict[frozenset, tuple[int, tuple[frozenset, ...]]]:
    """The faces of a full-dimensional polytope given by its vertex set ``top`` and the
    vertex sets on which each row is tight: ``vertex set -> (dimension, its facets)``. The
    facets of a face ``F`` are the maximal proper non-empty sets ``F ∩ row``."""
    out: dict[frozenset, tuple[int, tuple[frozenset, ...]]] = {}
    todo = [(top, n)]
    while todo:
        face, dim = todo.pop()
        if face in out:
            continue
        if dim == 0:
            if len(face) != 1:  # pragma: no cover - a bug, not bad input
                raise RuntimeError("internal error: a 0-face with several vertices")
            out[face] = (0, ())
            continue
        cands = {face & r for r in rows} - {face, frozenset()}
        subs = tuple(s for s in cands if not any(s < t for t in cands))
        out[face] = (dim, subs)
        todo += [(s, dim - 1) for s in subs]
    return out


def _on_boundary(domain: Polyhedron, pts: list[tuple]) -> bool:
    """Some row of the domain is tight at every point (the face lies on a domain facet)."""
    return any(all(sum(a * x for a, x in zip(row, p, strict=True)) == b for p in pts)
               for row, b in zip(domain.A.tolist(), domain.b.tolist(), strict=True))


def _barycentre(pts: list[tuple]) -> list[Fraction]:
    k = len(pts)
    return [sum(col, Fraction(0)) / k for col in zip(*pts, strict=True)]


def _sign_reader(rs: Any, net: Network) -> Any:
    """The function giving the sign vector of a point (see :func:`polyhedral_complex`);
    refused unless the cells are activation cells of ``net``."""
    if net.input_dim != rs.domain.n:
        raise TropnetError(f"the network has {net.input_dim} inputs, the regions "
                           f"{rs.domain.n}")
    if not (rs.kind == "activation" or rs.method == "enumerate"):
        raise TropnetError(f"sign vectors need activation cells: these {rs.kind} regions "
                           f"come from method {rs.method!r}, whose cells are not activation "
                           f"regions (use kind='activation' or method='enumerate', or leave "
                           f"out the network)")

    layers = [(_over_one_denominator(w), _over_one_denominator(b), layer.act)
              for layer in net.layers for w, b in [layer.params(EXACT)]]

    def signs(x: list[Fraction]) -> tuple:
        # every activation is positively homogeneous: the layers act on the integer
        # numerators of h = H / D (D > 0), and the signs are those of the numerators
        H, D = _over_one_denominator(np.array(x, dtype=object))
        out = []
        for (W, dw), (b, db), act in layers:
            Z = W.dot(H) * db + b * (dw * D)  # z = Z / (dw db D)
            if act.patterned:
                out.append(_unit_signs(act, Z))
            H, m = _over_one_denominator(act.activate(Z, EXACT))  # (a slope's denominator)
            D *= dw * db * m
        return tuple(out)

    return signs


def _over_one_denominator(values: np.ndarray) -> tuple[np.ndarray, int]:
    """``(N, d)`` with ``values = N / d``: integer numerators (an object array of ``int``)
    over their least common denominator ``d > 0``."""
    d = math.lcm(1, *(Fraction(v).denominator for v in values.flat))
    return np.array([int(Fraction(v) * d) for v in values.flat], dtype=object
                    ).reshape(values.shape), d


def _unit_signs(act: Any, z: np.ndarray) -> tuple:
    if act.hyperplane:
        return tuple((v > 0) - (v < 0) for v in z)
    k, pieces = act.rank, act.pieces()
    out = []
    for u in range(len(z) // k):
        vals = [s * z[u * k + o] for o, s in pieces]
        top = max(vals)
        out.append(tuple(r for r, v in enumerate(vals) if v == top))
    return tuple(out)


def _check_complex(faces: list[tuple[Face, ...]], n: int) -> None:
    """Every ``(n-1)``-face lies in two cells, or in one on the domain's boundary: the cells
    meet face to face (otherwise a face of one cell would be a union of faces of another)."""
    for f in faces[n - 1] if n >= 1 else ():
        if len(f.cells) != (1 if f.on_boundary else 2):
            raise TropnetError("the cells do not meet face to face: a facet of one cell is "
                               "not a facet of the cell across it; no polyhedral complex")


def _from_dict(data: dict) -> PolyhedralComplex:
    if data.get("format") != FORMAT:
        raise ValueError(f"'format' must be {FORMAT!r}")
    n = int(data["dimension"])
    exact = bool(data["exact"])
    arith = EXACT if exact else FLOAT
    spec = data["domain_spec"]
    dom = parse_domain(_domain_text(spec), n)
    points = [[parse_number(v, "points")[0] for v in p] for p in data["points"]]
    if any(len(p) != n for p in points):
        raise ValueError(f"every point needs {n} coordinates")
    coords = arith.array([[arith.convert(v) for v in p] for p in points]).reshape(-1, n)
    levels = data["faces"]
    if len(levels) != n + 1:
        raise ValueError(f"'faces' must list {n + 1} dimensions")
    faces = []
    for d, level in enumerate(levels):
        out = []
        for f in level:
            signs = f.get("signs")
            if signs is not None:
                signs = tuple(tuple(tuple(u) if isinstance(u, list) else int(u) for u in layer)
                              for layer in signs)
            out.append(Face(d, tuple(int(v) for v in f["vertices"]),
                            tuple(int(v) for v in f["facets"]),
                            tuple(int(v) for v in f["cells"]),
                            tuple(int(v) for v in f["regions"]), bool(f["on_boundary"]),
                            bool(f["glued"]), signs))
        faces.append(tuple(out))
    if len(faces[0]) != len(coords):
        raise ValueError("one point per vertex is needed")
    keys = {"format", "dimension", "kind", "domain", "domain_spec", "exact", "f_vector",
            "euler_characteristic", "connectivity", "points", "faces"}
    info = {k: v for k, v in data.items() if k not in keys}
    return PolyhedralComplex(n, coords, tuple(faces), str(data["kind"]), dom, arith,
                             data.get("connectivity"), info)


def _domain_text(spec: dict) -> str | Domain:
    """The domain of a ``Domain.to_dict()``."""
    kind = spec["kind"]
    if kind == "box":
        return box(spec["lo"], spec["hi"])
    if kind == "polytope":
        return polytope(spec["A"], spec["b"])
    raise ValueError(f"domain kind {kind!r} is not bounded")
