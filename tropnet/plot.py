"""Pictures: regions of 2-D maps and 2-D slices, Newton polygons, and curves (matplotlib).

Every function draws on a matplotlib ``Axes`` it is given, or on a new
``matplotlib.figure.Figure`` (no pyplot, so it works with any backend,
including Agg on a machine without a display); it returns the ``Axes``
(``ax.figure`` is the figure to save or show).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from .arithmetic import Arithmetic
from .dispatch import RegionSet, regions
from .domain import Domain
from .engines.boundary import decision_boundary
from .engines.tropical import input_dim
from .errors import DomainError, ExpressionError, InputFileError, TropnetError
from .files import check_input_file
from .network import Network, read_number
from .polyhedra import Polyhedron
from .slicing import (
    parse_points,
    parse_slice,
    plane_coordinates,
    plane_through,
    restrict_to_plane,
)
from .tropical import TropicalPolynomial, TropicalRational

__all__ = ["load_points", "plot_curves", "plot_newton", "plot_regions"]

#: the default domain of a slice through three points, in plane coordinates: the points sit
#: at (0, 0), (1, 0) and (0, 1)
DATA_SLICE_BOX = "box:-1/2,3/2"

#: 60 distinct colours (matplotlib's tab20, tab20b, tab20c); adjacent regions never share one.
PALETTE_NAMES = ("tab20", "tab20b", "tab20c")


# ---------------------------------------------------------------------------------------------
# regions
# ---------------------------------------------------------------------------------------------

def plot_regions(obj: Any, domain: Domain | str | None = None, ax: Any = None,
                 kind: str = "linear", slice: Any = None, surface: bool = False, *,
                 connectivity: str = "facet", exact: bool | Arithmetic | None = None,
                 method: str = "auto", output: int = 0, boundaries: bool = True,
                 linewidth: float | None = None, title: str | None = None,
                 slice_points: Any = None, points: Any = None, boundary: Any = False) -> Any:
    """Draw the regions of a map with 2 inputs (or of a 2-D slice of an n-D map).

    Every region gets one colour (regions that touch, even at a corner, get
    different colours); boundaries between different regions are drawn,
    boundaries between cells of one linear region are not. With
    ``surface=True`` the function itself (output ``output``) is drawn as a 3-D
    piecewise-planar surface over the regions, from the exact affine maps.

    Parameters
    ----------
    obj
        A :class:`~tropnet.Network`, a tropical map (or list of maps), or an
        already computed :class:`~tropnet.RegionSet` of a 2-input map.
    domain
        ``None``/``"rn"``: the regions on all of ``R^2``, drawn in a box that
        holds every vertex and an interior point of every region; a box or
        polytope (or its string, e.g. ``"box:-2,2"``): the regions on it.
        For a slice, the domain is in the ``(s, t)`` plane coordinates.
    kind
        ``"linear"`` (maximal connected sets where the map is affine;
        ``connectivity`` ``"facet"`` or ``"closure"``) or ``"activation"``
        (one region per activation pattern; networks only).
    method
        How the regions are found: a name of :data:`tropnet.dispatch.METHODS` or
        ``"auto"`` (see :func:`tropnet.regions`).
    slice
        ``(p, u, v)`` or the text ``"p=..;u=..;v=.."``: draw ``F(p + s u + t v)``
        (see :func:`restrict_to_plane`).
    slice_points
        Three inputs ``(a, b, c)`` or the text ``"a1,..;b1,..;c1,.."``: draw the plane
        through them, ``p = a``, ``u = b - a``, ``v = c - a`` (SplineCam's slices through
        data; :func:`~tropnet.slicing.plane_through`). The points are marked at
        ``(0, 0), (1, 0), (0, 1)`` and the title names them; the domain defaults to
        :data:`DATA_SLICE_BOX`.
    points
        Inputs to overlay (rows of an array, see :func:`load_points`): drawn as they are on
        a 2-input map, and on a slice at the plane coordinates of their least-squares
        projection onto the plane (:func:`~tropnet.slicing.plane_coordinates`).
    boundary
        ``True`` or a threshold ``t`` (a number or rational string; ``True`` is 0): draw the
        pieces of the decision boundary ``{f = t}`` of output ``output``
        (:func:`~tropnet.decision_boundary`, networks only; on a slice, of the restricted
        network). ``False`` (default): none.
    linewidth
        Width of the boundary lines (default: thinner above 200 regions).

    Returns
    -------
    matplotlib.axes.Axes
        The axes (a new figure's when ``ax`` is ``None``); ``ax.tropnet_regions``
        holds the :class:`~tropnet.RegionSet` that was drawn, ``ax.tropnet_plane`` the
        slice ``(p, u, v)`` (``None`` without one), ``ax.tropnet_points`` the 2-D
        coordinates of the overlaid points, ``ax.tropnet_boundary`` the
        :class:`~tropnet.engines.boundary.DecisionBoundary` and
        ``ax.tropnet_boundary_segments`` the pieces drawn (one segment per piece).

    Examples
    --------
    The plane ``z = 0`` of ``relu(x) + relu(y) + relu(z) - 1/2``: four quadrants, the
    boundary ``{f = 0}`` in three pieces, the input ``(1, 1, 2)`` projected to ``(1, 1)``.

    >>> net = Network.from_lists(3, [([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 0, 0], "relu"),
    ...                              ([[1, 1, 1]], ["-1/2"], "identity")])
    >>> ax = plot_regions(net, slice_points="0,0,0;1,0,0;0,1,0", boundary=True,
    ...                   points=[[1, 1, 2]])
    >>> ax.tropnet_regions.count, len(ax.tropnet_boundary_segments), ax.tropnet_points.tolist()
    (4, 3, [[1.0, 1.0]])
    >>> ax.get_title().splitlines()[1]
    'plane through a=(0, 0, 0), b=(1, 0, 0), c=(0, 1, 0)'

    """

    named = None
    if slice_points is not None:
        if slice is not None:
            raise TropnetError("give slice or slice_points, not both")
        if isinstance(obj, RegionSet):
            raise TropnetError("a RegionSet is already computed: slice the map instead")
        if isinstance(slice_points, str):
            slice_points = parse_points(slice_points, input_dim(obj), 3)
        if len(slice_points) != 3:
            raise DomainError(f"slice_points needs three points, got {len(slice_points)}")
        slice = plane_through(*slice_points)
        named = slice_points
        domain = DATA_SLICE_BOX if domain is None else domain
    threshold = _threshold(boundary)
    if threshold is not None and not isinstance(obj, Network):
        raise TropnetError("the decision boundary is drawn for networks (a RegionSet or a "
                           "tropical expression has no network output to threshold)")
    if isinstance(obj, RegionSet):
        if slice is not None:
            raise TropnetError("a RegionSet is already computed: slice the map instead")
        rs = obj
        n_in = rs.domain.n
    else:
        n_in = input_dim(obj)
        if slice is not None:
            if isinstance(slice, str):
                slice = parse_slice(slice, n_in)
            obj = restrict_to_plane(obj, *slice)
        params = {"connectivity": connectivity} if kind == "linear" else {}
        rs = regions(obj, domain, kind, method, exact=exact, **params)
    overlay = None if points is None else _overlay(points, n_in, slice)
    if rs.domain.n != 2:
        raise DomainError(f"plot_regions draws maps of 2 inputs; this one has {rs.domain.n} "
                          f"(give slice=(p, u, v), or --slice on the command line, to draw "
                          f"a plane through an n-D input)")
    lo, hi = _plot_box(rs)
    cells = _clip_cells(rs, lo, hi)
    segments, adjacent = _boundaries(cells, lo, hi)
    colours = _colours(len(rs.regions), adjacent, cells)
    if linewidth is None:
        linewidth = 0.8 if rs.count < 200 else 0.4
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6.4, 5.2) if surface else (5.4, 5.0), layout="constrained")
        ax = fig.add_subplot(projection="3d" if surface else None)
    if surface:
        _draw_surface(ax, rs, cells, segments, colours, output, linewidth, boundaries)
    else:
        _draw_flat(ax, cells, segments, colours, linewidth, boundaries)
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_aspect("equal" if _ratio(lo, hi) < 4 else "auto")
    ax.tropnet_boundary, ax.tropnet_boundary_segments = None, []
    if threshold is not None:
        bd = decision_boundary(obj, rs.domain, threshold, output, exact=exact)
        segs = _boundary_segments(bd, lo, hi)
        _draw_lines(ax, segs, surface, rs, output)
        ax.tropnet_boundary, ax.tropnet_boundary_segments = bd, segs
    if named is not None:
        marks = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
        _draw_points(ax, marks, surface, rs, output, marker="*", size=160, colour="white",
                     edge="black", label="a, b, c")
        for (x, y), name in zip(marks, "abc", strict=True):
            if not surface:
                ax.annotate(name, (x, y), textcoords="offset points", xytext=(6, 6),
                            fontsize=10, fontweight="bold")
    if overlay is not None:
        _draw_points(ax, overlay, surface, rs, output, marker="o", size=14, colour="black",
                     edge="white", label="data")
    names = ("s", "t") if slice is not None else ("x1", "x2")
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    if title is None:
        what = f"{rs.kind} region{'s' if rs.count != 1 else ''}"
        title = f"{rs.count} {what} on {rs.domain.describe()}"
        if threshold is not None:
            title += f", {len(ax.tropnet_boundary_segments)} pieces of f = {_fmt(threshold)}"
        if named is not None:
            title += "\nplane through " + ", ".join(
                f"{k}={_short_point(x)}" for k, x in zip("abc", named, strict=True))
        elif slice is not None:
            title += " (slice)"
    if title:
        ax.set_title(title)
    ax.tropnet_regions = rs
    ax.tropnet_plane = None if slice is None else tuple(slice)
    ax.tropnet_points = overlay
    return ax


def load_points(path: str, n: int) -> np.ndarray:
    """Inputs from a file to overlay on a plot: ``.npy`` (a 2-D array, one input per row)
    or ``.csv`` (comma-separated numbers, one input per row; ``#`` starts a comment).
    Raises :class:`~tropnet.errors.InputFileError` naming the file when it cannot be read,
    is empty, holds a non-finite number or rows of other than ``n`` numbers."""
    p = check_input_file(path)
    suffix = p.suffix.lower()
    try:
        if suffix == ".npy":
            with open(p, "rb") as fh:
                if fh.read(6) != b"\x93NUMPY":
                    raise InputFileError(f"{p}: not a NumPy .npy file")
            data = np.load(p, allow_pickle=False)
        elif suffix in (".csv", ".txt"):
            with warnings.catch_warnings():  # an empty file: the error below says so
                warnings.simplefilter("ignore", UserWarning)
                data = np.loadtxt(p, delimiter=",", ndmin=2, dtype=float)
        else:
            raise InputFileError(f"{p}: points must be a .npy or .csv file")
        arr = np.asarray(data, dtype=float)
    except InputFileError:
        raise
    except (ValueError, TypeError, OSError, EOFError) as exc:
        raise InputFileError(f"{p}: cannot read points ({exc})") from None
    if arr.ndim == 1 and n == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise InputFileError(f"{p}: expected a non-empty table of points (one input per "
                             f"row), got shape {arr.shape}")
    if arr.shape[1] != n:
        raise InputFileError(f"{p}: the points have {arr.shape[1]} coordinates, the input "
                             f"has {n}")
    if not np.all(np.isfinite(arr)):
        raise InputFileError(f"{p}: the points hold NaN or infinite values")
    return arr


def _threshold(boundary: Any) -> Any:
    """The threshold asked for by ``boundary`` (``None``: no boundary)."""
    if boundary is None or boundary is False:
        return None
    if boundary is True:
        return 0
    if isinstance(boundary, str):
        return read_number(boundary, "boundary threshold")[0]
    return boundary


def _fmt(value: Any) -> str:
    if isinstance(value, Fraction):
        return str(value)
    return f"{float(value):g}"


def _short_point(x: Sequence[Any]) -> str:
    """``(1, 1/2, 0)``; past 4 coordinates the first 3 and the dimension."""
    vals = [_fmt(v) if not isinstance(v, int) else str(v) for v in x]
    if len(vals) > 4:
        return "(" + ", ".join(vals[:3]) + f", ... [{len(vals)}-D])"
    return "(" + ", ".join(vals) + ")"


def _overlay(points: Any, n: int, plane: Any) -> np.ndarray:
    """The 2-D coordinates of the inputs ``points`` on the plot (on a slice, of their
    least-squares projection onto the plane)."""
    arr = np.asarray(points, dtype=float)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] != n:
        raise DomainError(f"points must be rows of {n} coordinates, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise DomainError("points must be finite numbers")
    if plane is None:
        if n != 2:
            raise DomainError(f"points of {n} coordinates need a slice to be drawn")
        return arr
    return plane_coordinates(arr, *plane)


def _boundary_segments(bd: Any, lo: np.ndarray, hi: np.ndarray) -> list[np.ndarray]:
    """One segment per piece of the boundary, clipped to the drawn box (float endpoints)."""
    frame = Polyhedron.box(lo.tolist(), hi.tolist(), bd.pieces[0].polyhedron.arith) \
        if bd.pieces else None
    out = []
    for piece in bd.pieces:
        verts = piece.polyhedron.intersect(frame).vertices()
        if len(verts) < 2:
            continue
        d = verts - verts[0]
        far = np.argmax(np.einsum("ij,ij->i", d, d))
        near = np.argmax(np.einsum("ij,ij->i", verts - verts[far], verts - verts[far]))
        out.append(np.array([verts[near], verts[far]]))
    return out


def _lift(rs: Any, output: int, pts: np.ndarray) -> np.ndarray:
    """Points of the plane lifted to the surface ``z = f(x)`` (the region holding each)."""
    z = []
    for x in pts:
        r = next((r for r in rs.regions if any(c.contains(c.arith.array(x)) for c in r.cells)),
                 rs.regions[0])
        w = np.asarray(r.weight, dtype=float).reshape(-1, 2)[output]
        z.append(float(x @ w + float(np.asarray(r.bias, dtype=float).reshape(-1)[output])))
    return np.column_stack([pts, z])


def _draw_lines(ax: Any, segs: list[np.ndarray], surface: bool, rs: Any, output: int) -> None:
    if not segs:
        return
    if surface:
        from mpl_toolkits.mplot3d.art3d import Line3DCollection

        ax.add_collection3d(Line3DCollection([_lift(rs, output, s) for s in segs],
                                             colors="red", linewidths=2.0))
        return
    from matplotlib.collections import LineCollection

    ax.add_collection(LineCollection(segs, colors="red", linewidths=2.0, zorder=3,
                                     label="decision boundary"))


def _draw_points(ax: Any, pts: np.ndarray, surface: bool, rs: Any, output: int, *,
                 marker: str, size: float, colour: str, edge: str, label: str) -> None:
    if surface:
        lifted = _lift(rs, output, pts)
        ax.scatter(lifted[:, 0], lifted[:, 1], lifted[:, 2], marker=marker, s=size,
                   c=colour, edgecolors=edge, depthshade=False, label=label)
    else:
        ax.scatter(pts[:, 0], pts[:, 1], marker=marker, s=size, c=colour, edgecolors=edge,
                   linewidths=0.8, zorder=4, label=label)


def _ratio(lo: np.ndarray, hi: np.ndarray) -> float:
    w, h = hi - lo
    return max(w / h, h / w)


def _plot_box(rs: Any) -> tuple[np.ndarray, np.ndarray]:
    """The drawn box: the domain's box, or one around every vertex and interior point."""
    dom = rs.domain
    if dom.kind == "box":
        return np.array(dom.lo, dtype=float), np.array(dom.hi, dtype=float)
    pts = [np.asarray(r.interior_point, dtype=float) for r in rs.regions]
    for r in rs.regions:
        for cell in r.cells:
            if len(cell):
                pts.extend(cell.vertices())
    if dom.kind == "polytope":
        pts.extend(dom.polyhedron(rs.arith).vertices())
    arr = np.array(pts, dtype=float).reshape(-1, 2)
    lo, hi = arr.min(axis=0), arr.max(axis=0)
    if dom.kind == "polytope" and dom.bounded:
        pad = 0.04 * np.maximum(hi - lo, 1e-9)
    else:
        span = float(np.max(hi - lo))
        pad = np.full(2, 0.25 * span + (1.0 if span < 1 else 0.0))
    return lo - pad, hi + pad


class _Cell:
    """A region's convex cell clipped to the drawn box: polygon vertices and H-rep (float)."""

    def __init__(self, region: int, poly: np.ndarray, A: np.ndarray, b: np.ndarray) -> None:
        self.region, self.poly, self.A, self.b = region, poly, A, b


def _clip_cells(rs: Any, lo: np.ndarray, hi: np.ndarray) -> list[_Cell]:
    frame = Polyhedron.box(lo.tolist(), hi.tolist(), rs.arith)
    out = []
    for k, region in enumerate(rs.regions):
        for cell in region.cells:
            clipped = cell.intersect(frame)
            verts = clipped.vertices()
            if len(verts) < 3:
                continue
            centre = verts.mean(axis=0)
            order = np.argsort(np.arctan2(verts[:, 1] - centre[1], verts[:, 0] - centre[0]))
            poly = verts[order]
            twice_area = np.sum(poly[:, 0] * np.roll(poly[:, 1], -1)
                                - np.roll(poly[:, 0], -1) * poly[:, 1])
            scale = float(np.max(hi - lo)) ** 2
            if abs(twice_area) <= 1e-12 * scale:
                continue
            A = np.asarray(clipped.A, dtype=float)
            b = np.asarray(clipped.b, dtype=float)
            out.append(_Cell(k, poly, A, b))
    return out


def _boundaries(cells: list[_Cell], lo: np.ndarray, hi: np.ndarray
                ) -> tuple[list[tuple[int, np.ndarray]], set[tuple[int, int]]]:
    """Edge pieces between different regions, and the pairs of regions they separate.

    Every cell edge is split at every vertex lying on it; a piece is a
    boundary when a point just outside its midpoint belongs to another region
    (or to no cell: the edge of the domain).
    """
    if not cells:
        return [], set()
    diam = float(np.hypot(*(hi - lo)))
    tol, eps = 1e-9 * diam, 1e-6 * diam
    verts = np.unique(np.round(np.vstack([c.poly for c in cells]) / tol) * tol, axis=0)
    pieces, probes = [], []
    for cell in cells:
        for a, b in zip(cell.poly, np.roll(cell.poly, -1, axis=0), strict=True):
            d = b - a
            length = float(np.hypot(*d))
            if length <= tol:
                continue
            rel = verts - a
            t = rel @ d / length**2
            off = np.abs(rel[:, 0] * d[1] - rel[:, 1] * d[0]) / length
            cuts = np.unique(np.r_[0.0, t[(off <= 10 * tol) & (t > 1e-9) & (t < 1 - 1e-9)], 1.0])
            normal = np.array([d[1], -d[0]]) / length  # outward for counter-clockwise polygons
            for t0, t1 in itertools.pairwise(cuts):
                pieces.append((cell.region, np.array([a + d * t0, a + d * t1])))
                probes.append(a + d * (t0 + t1) / 2 + eps * normal)
    owners = _owners(cells, np.array(probes), tol)
    segments, adjacent = [], set()
    for (region, seg), owner in zip(pieces, owners, strict=True):
        if owner != region:
            segments.append((region, seg))
            if owner >= 0:
                adjacent.add((min(owner, region), max(owner, region)))
    return segments, adjacent


def _owners(cells: list[_Cell], points: np.ndarray, tol: float, chunk: int = 1024
            ) -> np.ndarray:
    """The region of the first cell containing each point (-1: none).

    Only the cells whose bounding box holds a point are tested, in chunks of
    points, so time and memory grow with the number of candidate pairs.
    """
    A = np.vstack([c.A for c in cells])
    b = np.concatenate([c.b for c in cells])
    slack = b + tol * (1 + np.abs(b))
    sizes = np.array([len(c.A) for c in cells])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    lo = np.array([c.poly.min(axis=0) for c in cells]) - tol
    hi = np.array([c.poly.max(axis=0) for c in cells]) + tol
    regions = np.array([c.region for c in cells])
    owner_cell = np.full(len(points), len(cells))
    for s in range(0, len(points), chunk):
        P = points[s:s + chunk]
        near = np.all((P[None, :, :] >= lo[:, None, :]) & (P[None, :, :] <= hi[:, None, :]),
                      axis=2)
        cell, probe = np.nonzero(near)  # candidate pairs
        if len(cell) == 0:
            continue
        # one row per (pair, inequality of the pair's cell)
        pair = np.repeat(np.arange(len(cell)), sizes[cell])
        offset = np.arange(len(pair)) - np.repeat(np.cumsum(sizes[cell]) - sizes[cell],
                                                  sizes[cell])
        row = starts[cell][pair] + offset
        ok_rows = np.einsum("ij,ij->i", A[row], P[probe[pair]]) <= slack[row]
        bounds = np.concatenate([[0], np.cumsum(sizes[cell])[:-1]])
        ok = np.logical_and.reduceat(ok_rows, bounds)
        found = np.full(len(P), len(cells))
        np.minimum.at(found, probe[ok], cell[ok])
        owner_cell[s:s + chunk] = found
    out = np.full(len(points), -1)
    hit = owner_cell < len(cells)
    out[hit] = regions[owner_cell[hit]]
    return out


def _palette() -> list[tuple[float, float, float]]:
    from matplotlib import colormaps

    return [tuple(float(v) for v in colormaps[name](i)[:3])
            for name in PALETTE_NAMES for i in range(20)]


def _colours(count: int, adjacent: set[tuple[int, int]], cells: list[_Cell]
             ) -> list[tuple[float, float, float]]:
    """One palette colour per region, different from every region it touches (greedy)."""
    touching: dict[int, set[int]] = {k: set() for k in range(count)}
    for i, j in adjacent:
        touching[i].add(j)
        touching[j].add(i)
    corners: dict[tuple, set[int]] = {}
    for cell in cells:
        for v in np.round(cell.poly, 7):
            corners.setdefault(tuple(v), set()).add(cell.region)
    for regs in corners.values():
        for i in regs:
            touching[i] |= regs - {i}
    palette = _palette()
    chosen: list[int] = []
    for k in range(count):
        used = {chosen[j] for j in touching[k] if j < k}
        start = (k * 7) % len(palette)  # spread neighbouring indices over the palette
        pick = next((c % len(palette) for c in range(start, start + len(palette))
                     if c % len(palette) not in used), start)
        chosen.append(pick)
    return [palette[c] for c in chosen]


def _draw_flat(ax: Any, cells: list[_Cell], segments: list, colours: list, linewidth: float,
               boundaries: bool) -> None:
    from matplotlib.collections import LineCollection, PolyCollection

    polys = PolyCollection([c.poly for c in cells], facecolors=[colours[c.region] for c in cells],
                           edgecolors=[colours[c.region] for c in cells], linewidths=0.5,
                           antialiaseds=False)
    ax.add_collection(polys)
    if boundaries and segments:
        ax.add_collection(LineCollection([s for _, s in segments], colors="black",
                                         linewidths=linewidth))


def _draw_surface(ax: Any, rs: Any, cells: list[_Cell], segments: list, colours: list,
                  output: int, linewidth: float, boundaries: bool) -> None:
    from mpl_toolkits.mplot3d.art3d import Line3DCollection, Poly3DCollection

    if not hasattr(ax, "zaxis"):
        raise TropnetError("surface=True needs a 3-D axes (projection='3d')")
    outputs = np.asarray(rs.regions[0].weight).reshape(-1, 2).shape[0]
    if not 0 <= output < outputs:
        raise TropnetError(f"output={output} is out of range: the map has {outputs} "
                           f"output{'s' if outputs != 1 else ''}, numbered from 0 "
                           f"(--output-index counts from 1)")

    def lift(region: int, pts: np.ndarray) -> np.ndarray:
        r = rs.regions[region]
        w = np.asarray(r.weight, dtype=float).reshape(-1, 2)[output]
        b = float(np.asarray(r.bias, dtype=float).reshape(-1)[output])
        return np.column_stack([pts, pts @ w + b])

    faces = [lift(c.region, c.poly) for c in cells]
    ax.add_collection3d(Poly3DCollection(faces, facecolors=[colours[c.region] for c in cells],
                                         edgecolors="none", alpha=0.95))
    if boundaries and segments:
        ax.add_collection3d(Line3DCollection([lift(k, s) for k, s in segments], colors="black",
                                             linewidths=linewidth))
    allp = np.vstack(faces)
    ax.set_xlim(allp[:, 0].min(), allp[:, 0].max())
    ax.set_ylim(allp[:, 1].min(), allp[:, 1].max())
    zlo, zhi = allp[:, 2].min(), allp[:, 2].max()
    ax.set_zlim(zlo, zhi if zhi > zlo else zlo + 1)
    ax.set_zlabel(f"y{output + 1}")


# ---------------------------------------------------------------------------------------------
# Newton polygon and dual subdivision
# ---------------------------------------------------------------------------------------------

def plot_newton(poly: Any, ax: Any = None, *, cells: bool = True,
                domain: Domain | str | None = None, labels: bool = True) -> Any:
    """The Newton polygon of a 2-variable tropical polynomial with its dual subdivision.

    The monomial ``c + a . x`` is the lifted point ``(a, c)``; the upper faces
    of the convex hull of the lifted points project to a subdivision of the
    Newton polygon (the convex hull of the exponents) that is dual to the
    cells of the polynomial: a monomial is irredundant (its cell is
    2-dimensional) iff it is a vertex of the subdivision, and two cells share
    an edge iff their monomials span an edge of it. Irredundant monomials are
    drawn filled, redundant ones hollow.

    With ``cells=True`` and no ``ax``, a second panel on the left shows the
    cells themselves (:func:`plot_regions` of the polynomial).

    Returns
    -------
    matplotlib.axes.Axes
        The axes of the Newton polygon.

    Examples
    --------
    >>> from tropnet import parse_polynomial
    >>> ax = plot_newton(parse_polynomial("max(0, x, y, x + y - 1)"), cells=False)
    >>> len(ax.tropnet_subdivision)     # two triangles
    2
    """
    if isinstance(poly, TropicalRational):
        g = poly.denominator
        if len(g) == 1 and all(v == 0 for v in g.exponents[0]) and g.coefficients[0] == 0:
            poly = poly.numerator
        else:
            raise ExpressionError("plot_newton draws one tropical polynomial; pass "
                                  "r.numerator or r.denominator")
    if not isinstance(poly, TropicalPolynomial):
        raise ExpressionError(f"plot_newton needs a TropicalPolynomial, got "
                              f"{type(poly).__name__}")
    if poly.nvars != 2:
        raise ExpressionError(f"plot_newton draws polynomials in 2 variables, this one has "
                              f"{poly.nvars}")
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(10.0, 4.6) if cells else (5.0, 4.6), layout="constrained")
        axes = fig.subplots(1, 2) if cells else [None, fig.add_subplot()]
        if cells:
            plot_regions(poly, domain, ax=axes[0], title="cells (one per irredundant monomial)")
        ax = axes[1]
    E = np.asarray(poly.exponents, dtype=float)
    c = np.asarray(poly.coefficients, dtype=float)
    keep = set(int(i) for i in poly.irredundant())
    faces = _upper_faces(E, c)
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Polygon

    hull = _hull_polygon(E)
    if len(hull) >= 3:
        ax.add_patch(Polygon(hull, closed=True, facecolor="#dde8f3", edgecolor="none"))
    edges = [np.array([f[i], f[(i + 1) % len(f)]]) for f in faces for i in range(len(f))]
    if len(faces) == 1 and len(faces[0]) == 2:
        edges = [faces[0]]
    ax.add_collection(LineCollection(edges, colors="black", linewidths=1.0))
    on = np.array(sorted(keep))
    off = np.array([i for i in range(len(E)) if i not in keep], dtype=int)
    ax.scatter(E[on, 0], E[on, 1], s=36, color="black", zorder=3, label="irredundant")
    if len(off):
        ax.scatter(E[off, 0], E[off, 1], s=36, facecolors="white", edgecolors="black",
                   zorder=3, label="redundant")
    if labels:
        for i in range(len(E)):
            ax.annotate(_short(poly.coefficients[i]), E[i], textcoords="offset points",
                        xytext=(5, 5), fontsize=8)
    pad = 0.3 + 0.05 * float(np.ptp(E)) if len(E) else 1.0
    ax.set_xlim(E[:, 0].min() - pad, E[:, 0].max() + pad)
    ax.set_ylim(E[:, 1].min() - pad, E[:, 1].max() + pad)
    ax.set_aspect("equal")
    ax.set_xlabel("exponent of x1")
    ax.set_ylabel("exponent of x2")
    ax.set_title(f"Newton polygon: {len(keep)} of {len(E)} monomials irredundant")
    ax.legend(loc="best", fontsize=8)
    ax.tropnet_subdivision = faces
    return ax


def _short(value: Any) -> str:
    v = float(value)
    return str(int(v)) if v == int(v) else f"{v:.3g}"


def _hull_polygon(E: np.ndarray) -> np.ndarray:
    from scipy.spatial import ConvexHull, QhullError

    pts = np.unique(E, axis=0)
    if len(pts) < 3:
        return pts
    try:
        return pts[ConvexHull(pts).vertices]
    except QhullError:  # collinear
        return pts


def _upper_faces(E: np.ndarray, c: np.ndarray) -> list[np.ndarray]:
    """Cells of the regular subdivision: projections of the upper faces of the lifted hull
    (each a polygon of exponent points in counter-clockwise order)."""
    from scipy.spatial import ConvexHull, QhullError

    pts = np.unique(np.column_stack([E, c]), axis=0)
    scale = max(1.0, float(np.abs(pts).max()))
    if len(np.unique(pts[:, :2], axis=0)) < 3 or np.linalg.matrix_rank(
            pts[:, :2] - pts[0, :2], tol=1e-9 * scale) < 2:
        return _upper_chain(pts)
    try:
        hull = ConvexHull(pts)
    except QhullError:  # the lifted points are coplanar: one cell, the whole polygon
        return [_ccw(_hull_polygon(pts[:, :2]))]
    faces: dict[tuple, set[int]] = {}
    for simplex, eq in zip(hull.simplices, hull.equations, strict=True):
        if eq[2] <= 1e-9:  # not an upper face
            continue
        key = tuple(np.round(eq / scale, 9))
        faces.setdefault(key, set()).update(int(i) for i in simplex)
    out = []
    for members in faces.values():
        # all points of the plane (not only the simplex vertices) belong to the face
        face = pts[sorted(members), :2]
        out.append(_ccw(_hull_polygon(face)))
    return out


def _upper_chain(pts: np.ndarray) -> list[np.ndarray]:
    """Collinear exponents: the upper chain of (position on the line, coefficient)."""
    base = pts[0, :2]
    direction = pts[:, :2] - base
    far = direction[np.argmax(np.hypot(*direction.T))]
    if not np.any(far):
        return [pts[:1, :2]]
    t = direction @ far / (far @ far)
    order = np.lexsort((-pts[:, 2], t))
    chain: list[int] = []
    for i in order:
        if chain and math.isclose(t[chain[-1]], t[i]):
            continue
        while len(chain) >= 2:
            a, b = chain[-2], chain[-1]
            cross = ((t[b] - t[a]) * (pts[i, 2] - pts[a, 2])
                     - (pts[b, 2] - pts[a, 2]) * (t[i] - t[a]))
            if cross >= 0:
                chain.pop()
            else:
                break
        chain.append(int(i))
    return [pts[[a, b], :2] for a, b in itertools.pairwise(chain)]


def _ccw(poly: np.ndarray) -> np.ndarray:
    if len(poly) < 3:
        return poly
    centre = poly.mean(axis=0)
    return poly[np.argsort(np.arctan2(poly[:, 1] - centre[1], poly[:, 0] - centre[0]))]


# ---------------------------------------------------------------------------------------------
# curves
# ---------------------------------------------------------------------------------------------

def plot_curves(x: Sequence[Any] | None, series: Mapping[str, Any], ax: Any = None, *,
                bands: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
                xlabel: str = "", ylabel: str = "", logy: bool = False,
                title: str | None = None) -> Any:
    """Curves such as monomial complexity or region counts against width or depth.

    Parameters
    ----------
    x
        Shared x values, or ``None`` when every series is an ``(xs, ys)`` pair.
    series
        ``label -> ys`` (one value per ``x``) or ``label -> (xs, ys)``.
    bands
        ``label -> (low, high)``: a shaded band around that series (e.g. the
        spread over random seeds).
    logy
        Logarithmic y axis (region counts grow exponentially with depth).

    Examples
    --------
    >>> ax = plot_curves([1, 2, 3], {"regions": [2, 4, 8], "monomials": [2, 3, 5]}, logy=True)
    >>> [line.get_label() for line in ax.get_lines()]
    ['regions', 'monomials']
    """
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(5.4, 4.0), layout="constrained").add_subplot()
    if not series:
        raise TropnetError("plot_curves needs at least one series")
    markers = "osD^vP*Xh"
    for k, (label, data) in enumerate(series.items()):
        if x is None:
            xs, ys = data
        else:
            xs, ys = x, data
        xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        if xs.shape != ys.shape:
            raise TropnetError(f"series {label!r} has {ys.size} values for {xs.size} x values")
        line = ax.plot(xs, ys, marker=markers[k % len(markers)], label=str(label))[0]
        if bands and label in bands:
            low, high = bands[label]
            ax.fill_between(xs, np.asarray(low, dtype=float), np.asarray(high, dtype=float),
                            color=line.get_color(), alpha=0.2, linewidth=0)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return ax

