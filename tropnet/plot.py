"""Pictures: regions of 2-D maps and 2-D slices, Newton polygons, and curves (matplotlib),
and interactive region maps (plotly, optional).

Every function draws on a matplotlib ``Axes`` it is given, or on a new
``matplotlib.figure.Figure`` (no pyplot, so it works with any backend,
including Agg on a machine without a display); it returns the ``Axes``
(``ax.figure`` is the figure to save or show, best with :func:`save_figure`).

A new figure of :func:`plot_regions` is sized from the domain's aspect ratio (the drawing
keeps the domain's proportions, up to :data:`MAX_ASPECT`), and :func:`save_figure`
crops it to its contents, so there are no white bands; ``figsize=(w, h)`` fixes the size
in inches instead. Titles are wrapped (and shrunk) to the figure's width.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from .arithmetic import Arithmetic
from .dispatch import RegionSet, regions
from .domain import Domain
from .engines.boundary import decision_boundary
from .engines.tropical import input_dim
from .errors import DomainError, ExpressionError, InputFileError, TropnetError
from .files import check_input_file, write_atomic
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
from .tropical.polynomial import format_affine

__all__ = ["check_figsize", "html_text", "load_points", "plot_curves", "plot_newton",
           "plot_regions", "plotly_figure", "save_figure", "write_html"]

#: the default domain of a slice through three points, in plane coordinates: the points sit
#: at (0, 0), (1, 0) and (0, 1)
DATA_SLICE_BOX = "box:-1/2,3/2"

#: the colour maps the region palette is drawn from (matplotlib's tab20, tab20b, tab20c);
#: adjacent regions never share a colour
PALETTE_NAMES = ("tab20", "tab20b", "tab20c")

#: palette colours are at least this far from white (Euclidean distance of RGB in [0, 1])
#: and not grey, so that no region looks like a hole; 48 of the 60 colours remain
MIN_WHITE_DISTANCE = 0.4

#: the long side of the drawing of a new figure, in inches
PLOT_INCHES = 4.2

#: a domain whose sides differ by more than this factor is drawn stretched to this aspect
MAX_ASPECT = 4.0

#: a domain text longer than this is written with decimals in a title
TITLE_DOMAIN_CHARS = 30

#: the largest ``figsize`` side, in inches
MAX_FIGSIZE = 100.0

#: the most pixels on a side of a saved image (``figsize`` times ``dpi``)
MAX_PIXELS = 20000

#: the installation hint when plotly is missing
PLOTLY_HINT = "pip install 'tropnet[plot]'"


# ---------------------------------------------------------------------------------------------
# regions
# ---------------------------------------------------------------------------------------------

def plot_regions(obj: Any, domain: Domain | str | None = None, ax: Any = None,
                 kind: str = "linear", slice: Any = None, surface: bool = False, *,
                 connectivity: str = "facet", exact: bool | Arithmetic | None = None,
                 method: str = "auto", output: int = 0, boundaries: bool = True,
                 linewidth: float | None = None, title: str | None = None,
                 slice_points: Any = None, points: Any = None, boundary: Any = False,
                 figsize: tuple[float, float] | None = None) -> Any:
    """Draw the regions of a map with 2 inputs (or of a 2-D slice of an n-D map).

    Every region gets one colour (regions that touch, even at a corner, get
    different colours; no colour is near white, see :data:`MIN_WHITE_DISTANCE`);
    boundaries between different regions are drawn, boundaries between cells of one
    linear region are not. With ``surface=True`` the function itself (output
    ``output``) is drawn as a 3-D piecewise-planar surface over the regions, from the
    exact affine maps: one opaque face per convex cell, painted back to front in an
    order that is exact for the view angle of the axes (convex cells with disjoint
    interiors are ordered along the horizontal viewing direction, in orthographic
    projection), so no face is drawn over one in front of it. Rotating the view
    afterwards (``ax.view_init`` or the mouse) keeps the order of the first view; draw
    again for another angle, or use :func:`write_html` for a figure to rotate.

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
    ax
        A matplotlib ``Axes`` to draw on (3-D for ``surface=True``); ``None``: a new
        figure, sized from the domain's aspect (or ``figsize``).
    kind
        ``"linear"`` (maximal connected sets where the map is affine;
        ``connectivity`` ``"facet"`` or ``"closure"``) or ``"activation"``
        (one region per activation pattern; networks only).
    slice
        ``(p, u, v)`` or the text ``"p=..;u=..;v=.."``: draw ``F(p + s u + t v)``
        (see :func:`restrict_to_plane`); the title names the plane.
    surface
        Draw the graph of output ``output`` over the regions in 3-D.
    connectivity
        For linear regions: ``"facet"`` (default) or ``"closure"``.
    exact
        The arithmetic (see :func:`tropnet.regions`); ``None``: exact iff the input is
        rational.
    method
        How the regions are found: a name of :data:`tropnet.dispatch.METHODS` or
        ``"auto"`` (see :func:`tropnet.regions`).
    output
        The output drawn by ``surface`` and thresholded by ``boundary`` (0-based).
    boundaries
        Draw the lines between regions.
    linewidth
        Width of the region boundary lines in points (0: none; default: 0.8, or 0.4
        above 200 regions).
    title
        ``None``: the count, the kind and the domain (a domain text longer than
        :data:`TITLE_DOMAIN_CHARS` characters in 4-digit decimals), and the plane of a
        slice; ``""``: no title; any other text: that title. Titles are wrapped (and
        shrunk) to fit the width of the axes, so they never clip.
    slice_points
        Three inputs ``(a, b, c)`` or the text ``"a1,..;b1,..;c1,.."``: draw the plane
        through them, ``p = a``, ``u = b - a``, ``v = c - a`` (SplineCam's slices through
        data; :func:`~tropnet.slicing.plane_through`). The points are marked at
        ``(0, 0), (1, 0), (0, 1)`` and the title names them; the domain defaults to
        :data:`DATA_SLICE_BOX`.
    points
        Inputs to overlay (rows of an array, see :func:`load_points`): drawn as they are on
        a 2-input map, and on a slice at the plane coordinates of their least-squares
        projection onto the plane (:func:`~tropnet.slicing.plane_coordinates`); on the
        surface, lifted to it (points outside the drawn box are left out there).
    boundary
        ``True`` or a threshold ``t`` (a number or rational string; ``True`` is 0): draw the
        pieces of the decision boundary ``{f = t}`` of output ``output``
        (:func:`~tropnet.decision_boundary`, networks only; on a slice, of the restricted
        network). ``False`` (default): none.
    figsize
        ``(width, height)`` of a new figure in inches: the saved image has exactly that
        size (:func:`save_figure`), the drawing keeps the domain's aspect inside it.
        ``None`` (default): sized from the domain's aspect, and cropped to its contents
        when saved.

    Returns
    -------
    matplotlib.axes.Axes
        The axes (a new figure's when ``ax`` is ``None``); ``ax.tropnet_regions``
        holds the :class:`~tropnet.RegionSet` that was drawn, ``ax.tropnet_plane`` the
        slice ``(p, u, v)`` (``None`` without one), ``ax.tropnet_points`` the 2-D
        coordinates of the overlaid points, ``ax.tropnet_boundary`` the
        :class:`~tropnet.engines.boundary.DecisionBoundary`,
        ``ax.tropnet_boundary_segments`` the pieces drawn (one segment per piece),
        ``ax.tropnet_title`` the title before wrapping, and for a surface
        ``ax.tropnet_faces`` the lifted cells in the order they are painted (back to
        front). :func:`plotly_figure` and :func:`write_html` turn the axes into an
        interactive figure.

    Raises
    ------
    TropnetError
        A bad option (``figsize``, ``linewidth``, an output out of range, ...).
    DomainError
        A map of other than 2 inputs without a slice, or a bad slice or domain.

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
    >>> ax.tropnet_title.splitlines()[1]
    'plane through a=(0, 0, 0), b=(1, 0, 0), c=(0, 1, 0)'

    """

    figsize = check_figsize(figsize)
    if linewidth is not None and not (isinstance(linewidth, (int, float)) and
                                      math.isfinite(linewidth) and 0 <= linewidth <= 100):
        raise TropnetError(f"linewidth must be a number from 0 to 100 (points), got "
                           f"{linewidth!r}")
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
    names = ("s", "t") if slice is not None else _variable_names(obj)
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
        ax = _new_axes(lo, hi, surface, figsize)
    boundaries = boundaries and linewidth > 0
    drawing = _Drawing(rs, cells, colours, [s for _, s in segments] if boundaries else [],
                       names, lo, hi, obj)
    if surface:
        drawing.surface = _draw_surface(ax, rs, cells, segments, colours, output, linewidth,
                                        boundaries, lo, hi)
        ax.tropnet_faces = [drawing.surface.faces[i] for i in drawing.surface.order]
    else:
        _draw_flat(ax, cells, segments, colours, linewidth, boundaries)
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        _keep_aspect(ax, lo, hi)
    ax.tropnet_boundary, ax.tropnet_boundary_segments = None, []
    if threshold is not None:
        bd = decision_boundary(obj, rs.domain, threshold, output, exact=exact)
        segs = _boundary_segments(bd, lo, hi)
        _draw_lines(ax, segs, drawing)
        ax.tropnet_boundary, ax.tropnet_boundary_segments = bd, segs
        drawing.boundary = segs
    if named is not None:
        drawing.marks = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
        _draw_points(ax, drawing.marks, drawing, marker="*", size=160, colour="white",
                     edge="black", label="a, b, c")
        for (x, y), name in zip(drawing.marks, "abc", strict=True):
            if not surface:
                ax.annotate(name, (x, y), textcoords="offset points", xytext=(6, 6),
                            fontsize=10, fontweight="bold")
    if overlay is not None:
        drawing.points = overlay
        _draw_points(ax, overlay, drawing, marker="o", size=14, colour="black",
                     edge="white", label="data")
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    if title is None:
        what = f"{rs.kind} region{'s' if rs.count != 1 else ''}"
        title = f"{rs.count} {what} on {_domain_text(rs.domain)}"
        if threshold is not None:
            title += f", {len(ax.tropnet_boundary_segments)} pieces of f = {_fmt(threshold)}"
        if named is not None:
            title += "\nplane through " + ", ".join(
                f"{k}={_short_point(x)}" for k, x in zip("abc", named, strict=True))
        elif slice is not None:
            title += "\nplane x = p + s u + t v, " + ", ".join(
                f"{k}={_short_point(x)}" for k, x in zip("puv", slice, strict=True))
    _set_title(ax, title)
    drawing.title = title
    ax.tropnet_title = title
    ax.tropnet_regions = rs
    ax.tropnet_plane = None if slice is None else tuple(slice)
    ax.tropnet_points = overlay
    ax.tropnet_drawing = drawing
    return ax


def check_figsize(figsize: Any, dpi: float | None = None) -> tuple[float, float] | None:
    """Check a figure size: ``(width, height)`` in inches as two floats.

    Parameters
    ----------
    figsize
        Two numbers in ``(0, MAX_FIGSIZE]`` (inches), or ``None`` (returned as is).
    dpi
        With a resolution, each side must also be at most :data:`MAX_PIXELS` pixels.

    Returns
    -------
    tuple of float or None
        ``(width, height)``.

    Raises
    ------
    TropnetError
        Not two finite numbers in range, or too many pixels at ``dpi``.
    """
    if figsize is None:
        return None
    try:
        w, h = (float(v) for v in figsize)
    except (TypeError, ValueError):
        raise TropnetError(f"figsize must be two numbers (width, height) in inches, got "
                           f"{figsize!r}") from None
    if not all(math.isfinite(v) and 0 < v <= MAX_FIGSIZE for v in (w, h)):
        raise TropnetError(f"figsize must be two numbers in (0, {MAX_FIGSIZE:g}] inches, got "
                           f"{w:g},{h:g}")
    if dpi is not None and max(w, h) * dpi > MAX_PIXELS:
        raise TropnetError(f"figsize {w:g},{h:g} at {dpi:g} dpi is "
                           f"{round(w * dpi)} x {round(h * dpi)} pixels; at most {MAX_PIXELS} "
                           f"a side: lower the size or the dpi")
    return w, h


def save_figure(fig: Any, path: str | Path, dpi: float = 150) -> None:
    """Write the image of a plot to a file, atomically (nothing is left on failure).

    A figure sized by :func:`plot_regions` from the domain is cropped to its contents
    (``bbox_inches="tight"``, a 0.05 inch margin), so no white band is left; a figure of a
    given ``figsize`` (or one not made here) is written at exactly its size:
    ``width * dpi`` by ``height * dpi`` pixels.

    Parameters
    ----------
    fig
        A matplotlib ``Figure``, or an ``Axes`` of it (as the plot functions return).
    path
        The image file; the format follows the suffix (``.png``, ``.pdf``, ``.svg``,
        ``.jpg``).
    dpi
        Resolution of raster images, in pixels per inch.
    """
    fig = fig if hasattr(fig, "savefig") else fig.figure
    tight = {"bbox_inches": "tight", "pad_inches": 0.05} if getattr(fig, "tropnet_fit", False) \
        else {}
    write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=dpi, **tight))


def load_points(path: str, n: int) -> np.ndarray:
    """Read inputs to overlay on a plot from a ``.npy`` or ``.csv`` file.

    Parameters
    ----------
    path
        A ``.npy`` file (a 2-D array, one input per row) or a ``.csv`` file
        (comma-separated numbers, one input per row; ``#`` starts a comment).
    n
        The number of coordinates of each input.

    Returns
    -------
    numpy.ndarray
        One row per input.

    Raises
    ------
    InputFileError
        Naming the file when it cannot be read, is empty, holds a non-finite number or
        rows of other than ``n`` numbers.
    """
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


def _variable_names(obj: Any) -> tuple[str, str]:
    """The names of the two inputs: an expression's variable names, else ``x1, x2``."""
    first = obj[0] if isinstance(obj, (list, tuple)) and obj else obj
    if isinstance(first, TropicalRational):
        first = first.numerator
    names = getattr(first, "names", None) if isinstance(first, TropicalPolynomial) else None
    return (names[0], names[1]) if names and len(names) == 2 else ("x1", "x2")


def _domain_text(dom: Domain) -> str:
    """The domain for a title: its text, or past :data:`TITLE_DOMAIN_CHARS` characters a box
    with 4-digit decimals (``box:[-0.3333,3.142]x[0,1]``)."""
    text = dom.describe()
    if len(text) <= TITLE_DOMAIN_CHARS or dom.kind != "box":
        return text

    def dec(v: Any) -> str:
        return str(int(v)) if v == int(v) else f"{float(v):.4g}"

    lo, hi = dom.lo or (), dom.hi or ()
    if len(set(lo)) == 1 and len(set(hi)) == 1:
        return f"box:[{dec(lo[0])},{dec(hi[0])}]^{dom.n}"
    return "box:" + "x".join(f"[{dec(a)},{dec(b)}]" for a, b in zip(lo, hi, strict=True))


def _set_title(ax: Any, text: str) -> None:
    """Set the title, wrapped at spaces (or inside a word longer than a line) to the width
    available over the axes, and shrunk from 12 to 10 or 8 points when it needs more than
    3 lines: it never runs past the figure's edges."""
    if not text:
        return
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    measure = TextToPath()
    # the axes' share of the figure's width, less the tick labels and the axis label (a
    # figure sized here is cropped to its contents when saved: the title may pass over them)
    spec = ax.get_subplotspec()
    share = len(spec.colspan) / spec.get_gridspec().ncols if spec is not None \
        else ax.get_position().width / 0.775
    margin = 0.2 if getattr(ax.figure, "tropnet_fit", False) else 0.9
    avail = 72 * max(1.0, ax.figure.get_figwidth() * share - margin)
    lines: list[str] = []
    for size in (12.0, 10.0, 8.0):
        prop = FontProperties(size=size)

        def width(s: str, prop: Any = prop) -> float:
            return measure.get_text_width_height_descent(s, prop, ismath=False)[0]

        lines = [w for line in text.splitlines() for w in _wrap(line, avail, width)]
        if len(lines) <= 3:
            break
    ax.set_title("\n".join(lines), fontsize=size)


def _wrap(line: str, avail: float, width: Any) -> list[str]:
    """Greedy wrap of ``line`` at spaces into pieces of ``width`` at most ``avail``; a word
    longer than that is cut where it must be."""
    out: list[str] = []
    current = ""
    for word in line.split(" "):
        trial = f"{current} {word}" if current else word
        if width(trial) <= avail:
            current = trial
            continue
        if current:
            out.append(current)
        current = word
        while len(current) > 1 and width(current) > avail:
            lo, hi = 1, len(current) - 1  # the longest head that fits (at least 1 character)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                lo, hi = (mid, hi) if width(current[:mid]) <= avail else (lo, mid - 1)
            out.append(current[:lo])
            current = current[lo:]
    out.append(current)
    return out


def _fit_size(lo: np.ndarray, hi: np.ndarray) -> tuple[float, float]:
    """A figure size whose drawing area has the domain's aspect (up to :data:`MAX_ASPECT`),
    with room for the labels and the title (cropped when saved)."""
    r = _aspect(lo, hi)
    w, h = (PLOT_INCHES, PLOT_INCHES * r) if r <= 1 else (PLOT_INCHES / r, PLOT_INCHES)
    return max(w + 1.0, 3.6), h + 1.3


def _aspect(lo: np.ndarray, hi: np.ndarray) -> float:
    """Height over width of the drawing: the domain's, clamped to [1/MAX_ASPECT, MAX_ASPECT]."""
    w, h = hi - lo
    return float(min(max(h / w, 1 / MAX_ASPECT), MAX_ASPECT))


def _keep_aspect(ax: Any, lo: np.ndarray, hi: np.ndarray) -> None:
    """Equal scales on both axes, or a stretched box of aspect :data:`MAX_ASPECT`."""
    w, h = hi - lo
    if 1 / MAX_ASPECT <= h / w <= MAX_ASPECT:
        ax.set_aspect("equal", adjustable="box")
    else:
        ax.set_box_aspect(_aspect(lo, hi))


def _new_axes(lo: np.ndarray, hi: np.ndarray, surface: bool,
              figsize: tuple[float, float] | None) -> Any:
    from matplotlib.figure import Figure

    fit = figsize is None
    if figsize is None:
        figsize = (6.4, 5.2) if surface else _fit_size(lo, hi)
    fig = Figure(figsize=figsize, layout="constrained")
    fig.tropnet_fit = fit  # save_figure crops a figure sized here to its contents
    ax = fig.add_subplot(projection="3d" if surface else None)
    if surface:
        ax.set_proj_type("ortho")  # the painter's order of the faces is exact for it
    return ax


class _Surface:
    """The faces of a surface: the lifted cells, their painting order (back to front), the
    z-order of each cell, and the z-order step between consecutive faces."""

    def __init__(self, faces: list[np.ndarray], order: list[int], output: int,
                 zorder: np.ndarray, step: float) -> None:
        self.faces, self.order, self.output = faces, order, output
        self.zorder, self.step = zorder, step


class _Drawing:
    """What :func:`plot_regions` drew, for :func:`plotly_figure`."""

    def __init__(self, rs: Any, cells: list[_Cell], colours: list, segments: list,
                 names: tuple[str, str], lo: np.ndarray, hi: np.ndarray, obj: Any) -> None:
        self.rs, self.cells, self.colours, self.segments = rs, cells, colours, segments
        self.names, self.lo, self.hi, self.obj = names, lo, hi, obj
        self.surface: _Surface | None = None
        self.boundary: list[np.ndarray] = []
        self.marks: np.ndarray | None = None
        self.points: np.ndarray | None = None
        self.title = ""


def _cell_map(rs: Any, cell: _Cell, output: int) -> tuple[np.ndarray, float]:
    """The float weight row and bias of output ``output`` on a cell's region."""
    r = rs.regions[cell.region]
    w = np.asarray(r.weight, dtype=float).reshape(-1, 2)[output]
    return w, float(np.asarray(r.bias, dtype=float).reshape(-1)[output])


def _lift_on(d: _Drawing, cell: int, pts: np.ndarray) -> np.ndarray:
    """Points of the plane lifted to the surface with the map of cell ``cell``."""
    w, b = _cell_map(d.rs, d.cells[cell], d.surface.output)
    return np.column_stack([pts, pts @ w + b])


def _cells_of(d: _Drawing, pts: np.ndarray) -> np.ndarray:
    """The drawn cell holding each point (-1: outside the drawn box)."""
    tol = 1e-9 * float(np.hypot(*(d.hi - d.lo)))
    return _owner_cells(d.cells, np.asarray(pts, dtype=float).reshape(-1, 2), tol)


def _draw_lines(ax: Any, segs: list[np.ndarray], d: _Drawing) -> None:
    """The decision boundary in red (on a surface: lifted, each piece at its cell's depth)."""
    if not segs:
        return
    if d.surface is not None:
        from mpl_toolkits.mplot3d.art3d import Line3DCollection

        owners = _cells_of(d, np.array([s.mean(axis=0) for s in segs]))
        for seg, k in zip(segs, owners, strict=True):
            if k >= 0:
                ax.add_collection3d(Line3DCollection([_lift_on(d, k, seg)], colors="red",
                                                     linewidths=2.0,
                                                     zorder=d.surface.zorder[k] + 0.7 * _dz(d)))
        return
    from matplotlib.collections import LineCollection

    ax.add_collection(LineCollection(segs, colors="red", linewidths=2.0, zorder=3,
                                     label="decision boundary"))


def _draw_points(ax: Any, pts: np.ndarray, d: _Drawing, *, marker: str, size: float,
                 colour: str, edge: str, label: str) -> None:
    if d.surface is None:
        ax.scatter(pts[:, 0], pts[:, 1], marker=marker, s=size, c=colour, edgecolors=edge,
                   linewidths=0.8, zorder=4, label=label)
        return
    owners = _cells_of(d, pts)
    for k in np.unique(owners[owners >= 0]):  # one scatter per cell, at the cell's depth
        lifted = _lift_on(d, int(k), pts[owners == k])
        ax.scatter(lifted[:, 0], lifted[:, 1], lifted[:, 2], marker=marker, s=size,
                   c=colour, edgecolors=edge, depthshade=False,
                   label=label if k == owners[owners >= 0][0] else None,
                   zorder=d.surface.zorder[k] + 0.8 * _dz(d))


def _dz(d: _Drawing) -> float:
    """The z-order step between two consecutive faces of a surface."""
    return d.surface.step


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
    """Edge pieces between different regions (each with the index of the cell it bounds),
    and the pairs of regions they separate.

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
    for k, cell in enumerate(cells):
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
                pieces.append((k, np.array([a + d * t0, a + d * t1])))
                probes.append(a + d * (t0 + t1) / 2 + eps * normal)
    owner_cells = _owner_cells(cells, np.array(probes), tol)
    segments, adjacent = [], set()
    for (k, seg), oc in zip(pieces, owner_cells, strict=True):
        region, owner = cells[k].region, cells[oc].region if oc >= 0 else -1
        if owner != region:
            segments.append((k, seg))
            if owner >= 0:
                adjacent.add((min(owner, region), max(owner, region)))
    return segments, adjacent


def _owner_cells(cells: list[_Cell], points: np.ndarray, tol: float, chunk: int = 1024
                 ) -> np.ndarray:
    """The index of the first cell containing each point (-1: none).

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
    return np.where(owner_cell < len(cells), owner_cell, -1)


def _palette() -> list[tuple[float, float, float]]:
    """The colours of :data:`PALETTE_NAMES` at least :data:`MIN_WHITE_DISTANCE` from white,
    without greys (48 colours)."""
    from matplotlib import colormaps

    out = []
    for name in PALETTE_NAMES:
        for i in range(20):
            c = np.asarray(colormaps[name](i)[:3], dtype=float)
            if np.linalg.norm(1 - c) >= MIN_WHITE_DISTANCE and np.ptp(c) > 0.1:
                out.append(tuple(float(v) for v in c))
    return out


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
                                         linewidths=linewidth, zorder=2))


def _draw_surface(ax: Any, rs: Any, cells: list[_Cell], segments: list, colours: list,
                  output: int, linewidth: float, boundaries: bool, lo: np.ndarray,
                  hi: np.ndarray) -> _Surface:
    """One opaque face per cell (and its boundary pieces), painted back to front in the
    order of :func:`_depth_order` for the view of ``ax``."""
    from mpl_toolkits.mplot3d.art3d import Line3DCollection, Poly3DCollection

    if not hasattr(ax, "zaxis"):
        raise TropnetError("surface=True needs a 3-D axes (projection='3d')")
    outputs = np.asarray(rs.regions[0].weight).reshape(-1, 2).shape[0]
    if not 0 <= output < outputs:
        raise TropnetError(f"output={output} is out of range: the map has {outputs} "
                           f"output{'s' if outputs != 1 else ''}, numbered from 0 "
                           f"(--output-index counts from 1)")

    def lift(k: int, pts: np.ndarray) -> np.ndarray:
        w, b = _cell_map(rs, cells[k], output)
        return np.column_stack([pts, pts @ w + b])

    faces = [lift(k, c.poly) for k, c in enumerate(cells)]
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    order = _depth_order([c.poly for c in cells], _view_direction(ax))
    # z-orders in (0.1, 1.1): below the axis labels (1.5), in painting order
    step = 1.0 / (len(cells) + 1)
    zorder = np.empty(len(cells))
    zorder[order] = 0.1 + step * np.arange(len(order))
    ax.computed_zorder = False  # draw in the z-order given, not matplotlib's face sort
    by_cell: dict[int, list[np.ndarray]] = {}
    for k, seg in segments:
        by_cell.setdefault(k, []).append(seg)
    for k in order:
        colour = colours[cells[k].region]
        ax.add_collection3d(Poly3DCollection([faces[k]], facecolors=[colour],
                                             edgecolors=[colour], linewidths=0.3,
                                             zorder=zorder[k]))
        if boundaries and k in by_cell:
            ax.add_collection3d(Line3DCollection([lift(k, s) for s in by_cell[k]],
                                                 colors="black", linewidths=linewidth,
                                                 zorder=zorder[k] + 0.5 * step))
    z = np.concatenate([f[:, 2] for f in faces]) if faces else np.zeros(1)
    ax.set_zlim(z.min(), z.max() if z.max() > z.min() else z.min() + 1)
    ax.set_zlabel(f"y{output + 1}")
    return _Surface(faces, order, output, zorder, step)


def _view_direction(ax: Any) -> np.ndarray:
    """The horizontal direction towards the viewer of a 3-D axes, in data coordinates
    (matplotlib places the eye at azimuth ``azim`` in the box scaled to ``box_aspect``)."""
    az = math.radians(ax.azim)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    bx, by = np.asarray(ax.get_box_aspect(), dtype=float)[:2]
    return np.array([math.cos(az) * (x1 - x0) / bx, math.sin(az) * (y1 - y0) / by])


def _depth_order(polys: list[np.ndarray], d: np.ndarray) -> list[int]:
    """A painter's order (back to front) of convex polygons with disjoint interiors seen
    along the horizontal direction ``d`` (towards the viewer).

    A point of a graph surface hides another only if it lies further along ``d``, so
    polygon ``B`` must be painted after ``A`` when a line parallel to ``d`` meets ``A``
    and then ``B``. For convex polygons with disjoint interiors this relation has no cycle
    (Guibas and Yao 1983); it is read in every slab between consecutive vertices across
    ``d`` (where the chords of the polygons are ordered along the line) and sorted
    topologically, ties by depth. Cost: O(vertices x polygons) numpy work.
    """
    import networkx as nx

    n = len(polys)
    if n < 2:
        return list(range(n))
    d = d / np.linalg.norm(d)
    e = np.array([-d[1], d[0]])
    m = max(len(p) for p in polys)
    P = np.stack([np.vstack([p, np.repeat(p[-1:], m - len(p), axis=0)]) for p in polys])
    pe, pd = P @ e, P @ d
    ne, nd = np.roll(pe, -1, axis=1), np.roll(pd, -1, axis=1)
    emin, emax = pe.min(axis=1), pe.max(axis=1)
    tol = 1e-9 * max(float(np.ptp(pe)), 1e-300)
    ks = np.unique(pe)
    ks = ks[np.r_[True, np.diff(ks) > tol]]
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    for t in (ks[:-1] + ks[1:]) / 2:
        act = np.nonzero((emin < t) & (emax > t))[0]
        if len(act) < 2:
            continue
        s, s2 = pe[act] - t, ne[act] - t
        cross = s * s2 < 0
        lam = s / np.where(cross, s - s2, 1.0)
        x = pd[act] + lam * (nd[act] - pd[act])
        mid = np.where(cross, x, -np.inf).max(axis=1) + np.where(cross, x, np.inf).min(axis=1)
        seq = act[np.argsort(mid, kind="stable")]
        graph.add_edges_from(zip(seq[:-1].tolist(), seq[1:].tolist(), strict=True))
    depth = P.mean(axis=1) @ d
    try:
        return list(nx.lexicographical_topological_sort(graph, key=lambda i: depth[i]))
    except nx.NetworkXUnfeasible:  # round-off in a degenerate view: the order by depth
        return [int(i) for i in np.argsort(depth, kind="stable")]


# ---------------------------------------------------------------------------------------------
# Newton polygon and dual subdivision
# ---------------------------------------------------------------------------------------------

def plot_newton(poly: Any, ax: Any = None, *, cells: bool = True,
                domain: Domain | str | None = None, labels: bool = True,
                title: str | None = None, figsize: tuple[float, float] | None = None,
                linewidth: float | None = None) -> Any:
    """The Newton polygon of a 2-variable tropical polynomial with its dual subdivision.

    The monomial ``c + a . x`` is the lifted point ``(a, c)``; the upper faces
    of the convex hull of the lifted points project to a subdivision of the
    Newton polygon (the convex hull of the exponents) that is dual to the
    cells of the polynomial: a monomial is irredundant (its cell is
    2-dimensional) iff it is a vertex of the subdivision, and two cells share
    an edge iff their monomials span an edge of it. Irredundant monomials are
    drawn filled, redundant ones hollow; a legend under the axes says so. The axes
    are the exponents of the polynomial's variables (by their names, ``x1, x2``
    without names).

    Parameters
    ----------
    poly
        A :class:`~tropnet.TropicalPolynomial` in 2 variables (or a tropical rational
        map with the denominator 0).
    ax
        A matplotlib ``Axes`` for the Newton polygon; ``None``: a new figure.
    cells
        With no ``ax``: a second panel on the left shows the cells themselves
        (:func:`plot_regions` of the polynomial on ``domain``).
    domain
        The domain of the cells panel (default: all of ``R^2``).
    labels
        Write each monomial's coefficient ``c`` (the height of its lifted point) beside it.
    title
        ``None``: how many monomials are irredundant; ``""``: none; else that title.
    figsize
        ``(width, height)`` of a new figure in inches (default 10 x 4.6 with the cells
        panel, 5 x 4.6 without).
    linewidth
        Width of the subdivision's edges in points (default 1; also the cells' boundaries).

    Returns
    -------
    matplotlib.axes.Axes
        The axes of the Newton polygon; ``ax.tropnet_subdivision`` holds its cells.

    Examples
    --------
    >>> from tropnet import parse_polynomial
    >>> ax = plot_newton(parse_polynomial("max(0, a, b, a + b - 1)"), cells=False)
    >>> len(ax.tropnet_subdivision)     # two triangles
    2
    >>> ax.get_xlabel()
    'exponent of a'
    """
    figsize = check_figsize(figsize)
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
    width = 1.0 if linewidth is None else linewidth
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize or ((10.0, 4.6) if cells else (5.0, 4.6)),
                     layout="constrained")
        fig.tropnet_fit = figsize is None
        axes = fig.subplots(1, 2) if cells else [None, fig.add_subplot()]
        if cells:
            plot_regions(poly, domain, ax=axes[0], title="cells (one per irredundant monomial)",
                         linewidth=linewidth)
        ax = axes[1]
    E = np.asarray(poly.exponents, dtype=float)
    c = np.asarray(poly.coefficients, dtype=float)
    keep = set(int(i) for i in poly.irredundant())
    faces = _upper_faces(E, c)
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Polygon

    hull = _hull_polygon(E)
    if len(hull) >= 3:
        ax.add_patch(Polygon(hull, closed=True, facecolor="#dde8f3", edgecolor="none"))
    edges = [np.array([f[i], f[(i + 1) % len(f)]]) for f in faces for i in range(len(f))]
    if len(faces) == 1 and len(faces[0]) == 2:
        edges = [faces[0]]
    ax.add_collection(LineCollection(edges, colors="black", linewidths=width))
    on = np.array(sorted(keep))
    off = np.array([i for i in range(len(E)) if i not in keep], dtype=int)
    ax.scatter(E[on, 0], E[on, 1], s=36, color="black", zorder=3)
    if len(off):
        ax.scatter(E[off, 0], E[off, 1], s=36, facecolors="white", edgecolors="black",
                   zorder=3)
    if labels:
        for i in range(len(E)):
            ax.annotate(_short(poly.coefficients[i]), E[i], textcoords="offset points",
                        xytext=(5, 5), fontsize=8)
    pad = 0.3 + 0.05 * float(np.ptp(E)) if len(E) else 1.0
    ax.set_xlim(E[:, 0].min() - pad, E[:, 0].max() + pad)
    ax.set_ylim(E[:, 1].min() - pad, E[:, 1].max() + pad)
    ax.set_aspect("equal")
    x, y = _variable_names(poly)
    ax.set_xlabel(f"exponent of {x}")
    ax.set_ylabel(f"exponent of {y}")
    # the legend explains the lifted points (a, c) of the monomials c + a . x
    dot = {"linestyle": "none", "marker": "o", "markersize": 6, "markeredgecolor": "black"}
    handles = [Line2D([], [], markerfacecolor="black", **dot,
                      label="irredundant monomial c + a.x: lifted point (a, c) on the upper "
                            "hull"),
               Line2D([], [], markerfacecolor="white", **dot,
                      label="redundant monomial: (a, c) below the upper hull"),
               Line2D([], [], color="black", linewidth=width,
                      label="dual subdivision: upper faces of the lifted points")]
    if labels:
        handles.append(Line2D([], [], linestyle="none", marker="$c$", color="black",
                              label="number: the coefficient c (height of the lifted point)"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=7,
              frameon=False)
    if title is None:
        title = f"Newton polygon: {len(keep)} of {len(E)} monomials irredundant"
    _set_title(ax, title)
    ax.tropnet_title = title
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
# interactive figures (plotly, optional)
# ---------------------------------------------------------------------------------------------

def plotly_figure(ax: Any) -> Any:
    """Turn the drawing of :func:`plot_regions` into an interactive plotly figure.

    One filled shape per cell in the colours of the matplotlib figure (a
    ``Mesh3d`` face per cell for a surface, which plotly draws with a depth buffer and
    lets the reader rotate), the boundaries, the decision boundary and the overlaid
    points. Hovering over a region shows its index, the activation pattern (of the
    region, or for a linear region of the network at the centre of the cell:
    one group of 0/1 per hidden layer, ``|`` between layers; a maxout unit shows the
    index of its winning piece) and its affine map ``y = W x + b`` in the arithmetic of
    the count (exact fractions in exact mode).

    Needs plotly (``pip install 'tropnet[plot]'``); without it raises
    :class:`~tropnet.errors.TropnetError` saying so.

    Parameters
    ----------
    ax
        The axes :func:`plot_regions` returned (flat or surface).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    go = _plotly()
    d = getattr(ax, "tropnet_drawing", None)
    if d is None:
        raise TropnetError("plotly_figure needs the axes returned by plot_regions")
    hover = _hover_texts(d)
    fig = go.Figure()
    surface = d.surface is not None
    for k, cell in enumerate(d.cells):
        colour = _rgb(d.colours[cell.region])
        if surface:
            face = d.surface.faces[k]
            fan = np.arange(1, len(face) - 1)
            fig.add_trace(go.Mesh3d(x=face[:, 0], y=face[:, 1], z=face[:, 2], i=0 * fan,
                                    j=fan, k=fan + 1, color=colour, flatshading=True,
                                    hovertext=hover[k], hoverinfo="text", showscale=False,
                                    name=f"region {cell.region}"))
        else:
            ring = np.vstack([cell.poly, cell.poly[:1]])
            fig.add_trace(go.Scatter(x=ring[:, 0], y=ring[:, 1], fill="toself", mode="lines",
                                     fillcolor=colour, line={"width": 0, "color": colour},
                                     hoveron="fills", text=hover[k], hoverinfo="text",
                                     showlegend=False, name=f"region {cell.region}"))
    lines = [(d.segments, "black", 1.2, "boundaries"), (d.boundary, "red", 3.0,
                                                         "decision boundary")]
    for segs, colour, width, name in lines:
        if not segs:
            continue
        if surface:
            lifted = [_lift_on(d, int(k), s) for s, k in
                      zip(segs, _cells_of(d, np.array([s.mean(axis=0) for s in segs])),
                          strict=True) if k >= 0]
            xyz = _polylines(lifted, 3)
            fig.add_trace(go.Scatter3d(x=xyz[:, 0], y=xyz[:, 1], z=xyz[:, 2], mode="lines",
                                       line={"color": colour, "width": 2 * width},
                                       hoverinfo="skip", name=name))
        else:
            xy = _polylines(segs, 2)
            fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="lines", hoverinfo="skip",
                                     line={"color": colour, "width": width}, name=name))
    for pts, name, symbol, size in ((d.marks, "a, b, c", "star", 14),
                                    (d.points, "data", "circle", 6)):
        if pts is None:
            continue
        if surface:
            owners = _cells_of(d, pts)
            lifted = np.vstack([_lift_on(d, int(k), pts[owners == k])
                                for k in np.unique(owners[owners >= 0])] or [np.zeros((0, 3))])
            fig.add_trace(go.Scatter3d(x=lifted[:, 0], y=lifted[:, 1], z=lifted[:, 2],
                                       mode="markers", name=name,
                                       marker={"size": size / 2, "color": "black"}))
        else:
            fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name=name,
                                     marker={"symbol": symbol, "size": size, "color": "black",
                                             "line": {"color": "white", "width": 1}}))
    title = {"text": d.title.replace("\n", "<br>")} if d.title else None
    if surface:
        fig.update_layout(title=title, scene={"xaxis_title": d.names[0],
                                              "yaxis_title": d.names[1],
                                              "zaxis_title": f"y{d.surface.output + 1}"})
    else:
        r = _aspect(d.lo, d.hi)
        fig.update_layout(title=title, plot_bgcolor="white",
                          width=720, height=int(120 + 600 * r) if r <= 1 else 720,
                          xaxis={"title": d.names[0], "range": [d.lo[0], d.hi[0]],
                                 "constrain": "domain"},
                          yaxis={"title": d.names[1], "range": [d.lo[1], d.hi[1]],
                                 "constrain": "domain"})
        if 1 / MAX_ASPECT <= (d.hi - d.lo)[1] / (d.hi - d.lo)[0] <= MAX_ASPECT:
            fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def write_html(ax: Any, path: str | Path) -> None:
    """Write the interactive figure of a region plot to an HTML page, atomically.

    The page holds :func:`plotly_figure` of ``ax`` and plotly's JavaScript (about 5 MB),
    so it opens offline.

    Parameters
    ----------
    ax
        The axes :func:`plot_regions` returned.
    path
        The ``.html`` file to write.
    """
    write_atomic(path, html_text(ax))


def html_text(ax: Any) -> str:
    """Build the HTML page :func:`write_html` writes, as text (to fail before any file is
    written).

    Parameters
    ----------
    ax
        The axes :func:`plot_regions` returned.
    """
    return plotly_figure(ax).to_html(include_plotlyjs=True, full_html=True)


def _plotly() -> Any:
    """``plotly.graph_objects``, or one error naming the install command."""
    try:
        import plotly.graph_objects as go
    except ImportError:
        raise TropnetError(f"interactive HTML figures need plotly: {PLOTLY_HINT}") from None
    return go


def _rgb(colour: Sequence[float]) -> str:
    r, g, b = (round(255 * float(v)) for v in colour[:3])
    return f"rgb({r},{g},{b})"


def _polylines(segs: Sequence[np.ndarray], dim: int) -> np.ndarray:
    """Segments as one polyline with NaN breaks (plotly draws them as one trace)."""
    gap = np.full((1, dim), np.nan)
    return np.vstack([np.vstack([s, gap]) for s in segs]) if segs else np.zeros((0, dim))


def _hover_texts(d: _Drawing) -> list[str]:
    """Per cell: the region, its activation pattern (if any) and its affine map."""
    net = d.obj if isinstance(d.obj, Network) else None
    out = []
    for cell in d.cells:
        r = d.rs.regions[cell.region]
        lines = [f"region {cell.region} ({d.rs.kind})"]
        pattern = r.pattern
        if pattern is None and net is not None:
            pattern = net.patterns(cell.poly.mean(axis=0), exact=d.rs.arith)
        if pattern is not None:
            lines.append("pattern " + _pattern_text(pattern))
        w = np.asarray(r.weight, dtype=object).reshape(-1, 2)
        b = np.asarray(r.bias, dtype=object).reshape(-1)
        many = len(b) > 1
        for j in range(len(b)):
            lines.append(f"y{j + 1 if many else ''} = "
                         f"{format_affine(list(w[j]), b[j], list(d.names), 6)}")
        out.append("<br>".join(lines))
    return out


def _pattern_text(pattern: Sequence[Sequence[int]]) -> str:
    """``101|01``: one group per layer with units (``,`` between units when a maxout piece
    index exceeds 9)."""
    groups = [tuple(int(v) for v in layer) for layer in pattern if len(layer)]
    sep = "," if any(v > 9 for g in groups for v in g) else ""
    return "|".join(sep.join(str(v) for v in g) for g in groups)


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
    ax
        A matplotlib ``Axes`` to draw on; ``None``: a new figure.
    bands : mapping, optional
        ``label -> (low, high)``: a shaded band around that series (e.g. the
        spread over random seeds).
    xlabel
        The label of the x axis.
    ylabel
        The label of the y axis.
    logy
        Logarithmic y axis (region counts grow exponentially with depth).
    title
        The title (none by default); wrapped to the width of the axes.

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
        _set_title(ax, title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return ax

