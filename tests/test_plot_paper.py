"""Plots for papers (issue 17 §5): image size from --figsize and --dpi, the domain's aspect
without white bands, titles that never clip, a palette without near-white colours, Newton
axes named after the variables, a surface painted without ordering artefacts, interactive
HTML, and clear errors for bad options. Images are checked by their pixels."""

from __future__ import annotations

import json
import sys

import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.path import Path as MplPath
from mpl_toolkits.mplot3d import proj3d
from scipy import ndimage

from tests.helpers import random_net, run_cli
from tropnet import Network, TropnetError, parse, parse_polynomial, save_network
from tropnet.plot import (
    MAX_ASPECT,
    MIN_WHITE_DISTANCE,
    plot_newton,
    plot_regions,
    plotly_figure,
    save_figure,
)

# Serra, Tjandraatmadja, Ramalingam 2018, Figure 2: 20 activation regions on [-4, 8]^2
SERRA_FIG2 = Network.from_lists(2, [([[-1, 1], [1, 1]], [0, -4], "relu"),
                                    ([[-1, -3], [-3, -1]], [4, 4], "relu"),
                                    ([[1, 3], [3, 1]], [-4, -4], "relu")])


@pytest.fixture
def fig2(tmp_path):
    path = tmp_path / "fig2.json"
    save_network(SERRA_FIG2, path)
    return path


def _pixels(path) -> np.ndarray:
    """The RGB values (0..255) of a PNG."""
    return np.round(mpimg.imread(path)[:, :, :3] * 255).astype(int)


def _region_mask(img: np.ndarray, colours) -> np.ndarray:
    """Pixels of one of the region colours (exactly, up to rounding)."""
    mask = np.zeros(img.shape[:2], dtype=bool)
    for c in colours:
        mask |= np.all(np.abs(img - np.asarray(c)) <= 1, axis=2)
    return mask


def _labelled_regions(img: np.ndarray, colours, min_pixels: int = 12) -> int:
    """Connected areas of one region colour (edges and lines are other colours, so they
    separate the areas and are ignored)."""
    total = 0
    for c in colours:
        labels, _ = ndimage.label(_region_mask(img, [c]))
        total += int(np.sum(np.bincount(labels.ravel())[1:] >= min_pixels))
    return total


def _face_colours(ax) -> set[tuple[int, int, int]]:
    return {tuple(int(v) for v in np.round(np.asarray(c[:3]) * 255))
            for c in ax.collections[0].get_facecolors()}


# -- size and aspect ---------------------------------------------------------------------------

@pytest.mark.parametrize("figsize, dpi, shape", [("3.3,2.5", 100, (250, 330)),
                                                 ("2,4", 75, (300, 150))])
def test_png_size_is_figsize_times_dpi(fig2, tmp_path, capsys, figsize, dpi, shape):
    out = tmp_path / "f.png"
    code, _, _ = run_cli(capsys, "plot", fig2, "--domain", "box:-4,8", "--kind", "activation",
                         "--figsize", figsize, "--dpi", str(dpi), "-o", out)
    assert code == 0
    img = _pixels(out)
    assert img.shape[:2] == shape
    ax = plot_regions(SERRA_FIG2, "box:-4,8", kind="activation")
    assert np.mean(_region_mask(img, _face_colours(ax))) > 0.2  # not empty


@pytest.mark.parametrize("domain, aspect", [
    ("box:-1/3,22/7;-1/7,13/3", (13 / 3 + 1 / 7) / (22 / 7 + 1 / 3)),   # taller than wide
    ("box:-4,8;-1,1", 1 / MAX_ASPECT),      # 12 x 2: beyond MAX_ASPECT, drawn at 1:4
    ("box:-4,8", 1.0),
])
def test_default_figure_keeps_the_aspect_without_white_bands(domain, aspect, tmp_path):
    """The drawn area has the domain's aspect and the image ends close to it on the right
    (the ticks and labels take the left and bottom, the title the top)."""
    ax = plot_regions(SERRA_FIG2, domain, kind="activation", title="")
    dpi = 100
    save_figure(ax, tmp_path / "a.png", dpi=dpi)
    img = _pixels(tmp_path / "a.png")
    rows, cols = np.nonzero(_region_mask(img, _face_colours(ax)))
    height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
    assert height / width == pytest.approx(aspect, rel=0.03)
    assert img.shape[1] - 1 - cols.max() <= 0.15 * dpi         # no band on the right
    assert rows.min() <= 0.15 * dpi                             # nor on top (no title)
    assert cols.min() <= 0.9 * dpi                              # y tick labels and label
    assert img.shape[0] - 1 - rows.max() <= 0.7 * dpi           # x tick labels and label


# -- regions counted back from the pixels ------------------------------------------------------

@pytest.mark.parametrize("linewidth", [None, 0])
def test_pixel_labelling_counts_the_regions(fig2, tmp_path, capsys, linewidth):
    """Serra's 20 regions are found in the PNG the command wrote, with or without lines."""
    out = tmp_path / "s.png"
    extra = [] if linewidth is None else ["--linewidth", str(linewidth)]
    code, text, _ = run_cli(capsys, "plot", fig2, "--domain", "box:-4,8", "--kind",
                            "activation", "-o", out, "--dpi", "120", "--json", *extra)
    assert code == 0 and json.loads(text)["count"] == 20
    ax = plot_regions(SERRA_FIG2, "box:-4,8", kind="activation")  # the same colours
    assert _labelled_regions(_pixels(out), _face_colours(ax)) == 20


def test_pixel_labelling_on_a_random_net(tmp_path):
    net = random_net(np.random.default_rng(3), [2, 6, 1])
    ax = plot_regions(net, "box:-2,2", figsize=(5, 5))
    save_figure(ax, tmp_path / "r.png", dpi=150)
    found = _labelled_regions(_pixels(tmp_path / "r.png"), _face_colours(ax))
    count = ax.tropnet_regions.count
    assert count > 10 and abs(found - count) <= 1  # a sliver may fall under 12 pixels


def test_linewidth_is_the_boundary_width():
    ax = plot_regions(SERRA_FIG2, "box:-4,8", linewidth=1.7)
    assert ax.collections[1].get_linewidths()[0] == pytest.approx(1.7)
    ax = plot_regions(SERRA_FIG2, "box:-4,8", linewidth=0)
    assert len(ax.collections) == 1  # the regions only
    with pytest.raises(TropnetError, match="linewidth"):
        plot_regions(SERRA_FIG2, "box:-4,8", linewidth=-1)


# -- palette -----------------------------------------------------------------------------------

def test_no_region_colour_is_near_white_or_grey():
    net = random_net(np.random.default_rng(7), [2, 8, 8, 1])
    ax = plot_regions(net, "box:-2,2")
    colours = np.asarray(ax.collections[0].get_facecolors())[:, :3]
    assert len({tuple(c) for c in colours}) >= 30  # most of the palette is used
    assert np.linalg.norm(1 - colours, axis=1).min() >= MIN_WHITE_DISTANCE
    assert np.ptp(colours, axis=1).min() > 0.1      # no grey


# -- titles ------------------------------------------------------------------------------------

def test_title_options(fig2, tmp_path, capsys):
    out = tmp_path / "t.png"
    code, text, _ = run_cli(capsys, "plot", fig2, "--domain", "box:-4,8", "-o", out,
                            "--title", "Figure 2 of Serra et al.", "--json")
    assert code == 0 and json.loads(text)["title"] == "Figure 2 of Serra et al."
    code, text, _ = run_cli(capsys, "plot", fig2, "--domain", "box:-4,8", "-o", out,
                            "--no-title", "--json")
    assert code == 0 and json.loads(text)["title"] == ""
    assert plot_regions(SERRA_FIG2, "box:-4,8", title="").get_title() == ""
    code, _, err = run_cli(capsys, "plot", fig2, "-o", out, "--title", "x", "--no-title")
    assert code == 2 and "not allowed with" in err


@pytest.mark.parametrize("figsize", [(2.5, 2.5), (6, 3), None])
def test_a_long_title_never_clips(figsize):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    title = ("Linear regions of a two-layer ReLU network trained on two moons, drawn on "
             "the box around the data with the decision boundary ") * 2
    ax = plot_regions(SERRA_FIG2, "box:-4,8", title=title, figsize=figsize)
    fig = ax.figure
    FigureCanvasAgg(fig).draw()
    box = ax.title.get_window_extent()
    if figsize is not None:  # an image of exactly this size
        assert 0 <= box.x0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height
    else:  # a figure sized from the domain is saved cropped to its contents, title included
        assert box.width <= fig.bbox.width
    assert ax.get_title().split() == title.split()  # wrapped, nothing lost
    assert len(ax.get_title().splitlines()) >= 2


def test_long_exact_domain_is_written_with_decimals():
    ax = plot_regions(SERRA_FIG2, "box:-12345/678,98765/4321;-1/3,1/7", kind="activation")
    assert "box:[-18.21,22.86]x[-0.3333,0.1429]" in ax.tropnet_title
    assert "12345/678" not in ax.tropnet_title
    short = plot_regions(SERRA_FIG2, "box:-1/2,3/2", kind="activation")
    assert "box:[-1/2,3/2]^2" in short.tropnet_title  # short: stays exact


def test_slice_title_names_the_plane():
    net = random_net(np.random.default_rng(1), [3, 4, 1])
    ax = plot_regions(net, "box:-1,1", slice="p=1/2,0,0;u=1,0,0;v=0,1,1")
    assert ax.tropnet_title.splitlines()[1] == \
        "plane x = p + s u + t v, p=(1/2, 0, 0), u=(1, 0, 0), v=(0, 1, 1)"


# -- Newton polygon ----------------------------------------------------------------------------

def test_newton_axes_use_the_variable_names_and_a_legend_explains_the_points():
    ax = plot_newton(parse_polynomial("max(0, a, b, a + b - 1, 2*a, a + 1)"))
    assert ax.get_xlabel() == "exponent of a" and ax.get_ylabel() == "exponent of b"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("irredundant") and "lifted point (a, c)" in t for t in legend)
    assert any(t.startswith("redundant") for t in legend)
    assert any("coefficient c" in t for t in legend)
    assert any("upper faces" in t for t in legend)
    # the cells panel names the axes after the variables too
    cells = ax.figure.axes[0]
    assert (cells.get_xlabel(), cells.get_ylabel()) == ("a", "b")


# -- surface -----------------------------------------------------------------------------------

def _zbuffer_violations(ax, faces, samples: int = 2000) -> int:
    """Screen points where the face painted last is not the nearest one there.

    Each face is projected with matplotlib's own projection (a larger projected z is
    further away: matplotlib paints the largest first); at random screen points the faces
    covering the point are compared by their depth there (affine in the screen
    coordinates, orthographic view)."""
    M = ax.get_proj()
    proj = [np.column_stack(proj3d.proj_transform(f[:, 0], f[:, 1], f[:, 2], M))
            for f in faces]
    allp = np.vstack(proj)
    lo, hi = allp[:, :2].min(axis=0), allp[:, :2].max(axis=0)
    S = lo + np.random.default_rng(0).random((samples, 2)) * (hi - lo)
    depth = np.full((len(faces), samples), np.nan)
    for k, p in enumerate(proj):
        area = abs(np.sum(p[:, 0] * np.roll(p[:, 1], -1) - np.roll(p[:, 0], -1) * p[:, 1]))
        if area < 1e-12:
            continue
        path = MplPath(p[:, :2])
        inside = path.contains_points(S, radius=1e-9) & path.contains_points(S, radius=-1e-9)
        coef = np.linalg.lstsq(np.column_stack([p[:, :2], np.ones(len(p))]), p[:, 2],
                               rcond=None)[0]
        depth[k, inside] = S[inside] @ coef[:2] + coef[2]
    bad = 0
    for j in range(samples):
        ks = np.nonzero(~np.isnan(depth[:, j]))[0]
        if len(ks) > 1 and ks[np.argmin(depth[ks, j])] != ks.max():
            d = np.sort(depth[ks, j])
            bad += int(d[1] - d[0] > 1e-9)
    return bad


def test_surface_faces_are_painted_back_to_front():
    net = random_net(np.random.default_rng(6), [2, 6, 4, 1])
    ax = plot_regions(net, "box:-3,3", surface=True)
    faces = ax.tropnet_faces
    assert len(faces) > 20
    assert _zbuffer_violations(ax, faces) == 0
    # matplotlib's own sort (by the mean depth of each face) gets this surface wrong
    mean_depth = [proj3d.proj_transform(*f.mean(axis=0)[:, None], ax.get_proj())[2][0]
                  for f in faces]
    naive = [faces[i] for i in np.argsort(mean_depth)[::-1]]
    assert _zbuffer_violations(ax, naive) > 0
    # the faces are opaque and drawn in that order
    polys = [c for c in ax.collections if type(c).__name__ == "Poly3DCollection"]
    assert ax.computed_zorder is False
    assert [c.get_zorder() for c in polys] == sorted(c.get_zorder() for c in polys)
    assert all(c.get_alpha() in (None, 1) for c in polys)


def test_surface_help_documents_the_painting(capsys):
    code, out, _ = run_cli(capsys, "plot", "--help")
    text = " ".join(out.split())
    assert code == 0 and "painted back to front in an order exact for the view" in text


# -- points on every kind of 2-D plot ----------------------------------------------------------

@pytest.mark.parametrize("options, projected", [
    (["--kind", "linear"], False),
    (["--kind", "activation"], False),
    (["--surface"], False),
    (["--boundary"], False),
])
def test_points_overlay_on_every_2d_plot(fig2, tmp_path, capsys, options, projected):
    pts = np.array([[0.0, 0.0], [2.0, 3.0], [6.0, -2.0], [-3.0, 7.0]])
    np.save(tmp_path / "p.npy", pts)
    out = tmp_path / "p.png"
    code, text, err = run_cli(capsys, "plot", fig2, "--domain", "box:-4,8", "--points",
                              tmp_path / "p.npy", "-o", out, "--json", *options)
    rep = json.loads(text)
    assert code == 0, err
    assert rep["points"] == 4 and rep["points_projected"] is projected
    ax = plot_regions(SERRA_FIG2, "box:-4,8", points=pts, surface="--surface" in options)
    drawn = [p for c in ax.collections if type(c).__name__ in ("PathCollection",
                                                               "Path3DCollection")
             for p in np.asarray(c.get_offsets())]
    assert len(drawn) == 4


@pytest.mark.parametrize("plane", [["--slice", "p=0,0,0;u=1,0,0;v=0,0,1"],
                                   ["--slice-points", "0,0,0;1,0,0;0,1,0"]])
def test_points_overlay_on_slices(tmp_path, capsys, plane):
    net = random_net(np.random.default_rng(4), [3, 4, 1])
    save_network(net, tmp_path / "n.json")
    np.savetxt(tmp_path / "p.csv", np.random.default_rng(0).normal(size=(7, 3)),
               delimiter=",")
    code, text, _ = run_cli(capsys, "plot", tmp_path / "n.json", *plane, "--points",
                            tmp_path / "p.csv", "-o", tmp_path / "s.png", "--json")
    rep = json.loads(text)
    assert code == 0 and rep["points"] == 7 and rep["points_projected"] is True


# -- interactive HTML --------------------------------------------------------------------------

def test_html_shows_patterns_and_maps(fig2, tmp_path, capsys):
    pytest.importorskip("plotly")  # the plot extra (make installs it with dev)
    page = tmp_path / "r.html"
    code, text, _ = run_cli(capsys, "plot", fig2, "--domain", "box:-4,8", "--kind",
                            "activation", "--html", page, "--json")
    assert code == 0 and json.loads(text)["html"] == str(page)
    html = page.read_text()
    ax = plot_regions(SERRA_FIG2, "box:-4,8", kind="activation")
    patterns = {"|".join("".join(str(v) for v in layer) for layer in r.pattern)
                for r in ax.tropnet_regions.regions}
    assert len(patterns) == 20
    assert all(f"pattern {p}" in html for p in patterns)
    # the affine maps: region 0 of the fig is the one where every unit is off but the last
    fig = plotly_figure(ax)
    fills = [t for t in fig.data if t.fill == "toself"]
    assert len(fills) == len(ax.tropnet_drawing.cells) == 20
    for trace, region in zip(fills, ax.tropnet_regions.regions, strict=True):
        w, b = region.weight, region.bias
        assert f"y1 = {_affine(w[0], b[0])}" in trace.text


def _affine(w, b) -> str:
    from tropnet.tropical.polynomial import format_affine

    return format_affine(list(w), b, ["x1", "x2"])


def test_html_of_a_linear_slice_and_a_surface(tmp_path):
    pytest.importorskip("plotly")
    from tropnet.plot import write_html

    net = random_net(np.random.default_rng(4), [3, 4, 1])
    ax = plot_regions(net, "box:-1,1", slice="p=0,0,0;u=1,0,0;v=0,0,1")
    fig = plotly_figure(ax)
    texts = [t.text for t in fig.data if t.fill == "toself"]
    # a linear region's cells carry the pattern of the network at the cell
    assert all("pattern " in t and " = " in t for t in texts)
    ax = plot_regions(parse("max(0, x, y)"), "box:-1,1", surface=True)
    write_html(ax, tmp_path / "s.html")
    html = (tmp_path / "s.html").read_text()
    assert '"type":"mesh3d"' in html and "y = x" in html and "y = 0" in html


def test_html_without_plotly_is_one_clear_error(fig2, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "plotly", None)
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
    out, page = tmp_path / "r.png", tmp_path / "r.html"
    code, _, err = run_cli(capsys, "plot", fig2, "-o", out, "--html", page)
    assert code == 2
    assert err.strip() == ("tropnet: error: interactive HTML figures need plotly: "
                           "pip install 'tropnet[plot]'")
    assert not out.exists() and not page.exists()


# -- bad options -------------------------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    (["--figsize", "0,3"], "--figsize: must be two numbers W,H in inches"),
    (["--figsize", "3"], "--figsize: must be two numbers"),
    (["--figsize", "abc,2"], "--figsize: must be two numbers"),
    (["--figsize", "3,inf"], "--figsize: must be two numbers"),
    (["--figsize", "90,90", "--dpi", "600"], "at most 20000 a side"),
    (["--linewidth", "-1"], "--linewidth: must be a number in [0, 20]"),
    (["--linewidth", "x"], "--linewidth: must be a number"),
    (["--dpi", "0"], "--dpi: must be an integer from 10"),
    (["--html", "page.txt"], "--html must end in .html"),
    (["--newton"], "--newton draws a tropical polynomial"),
])
def test_bad_options_are_one_line_errors(fig2, tmp_path, capsys, options, message):
    out = tmp_path / "bad.png"
    options = [str(tmp_path / o) if o.endswith(".txt") else o for o in options]
    code, _, err = run_cli(capsys, "plot", fig2, "-o", out, *options)
    assert code == 2 and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [fig2]  # nothing written


def test_an_output_is_required(fig2, tmp_path, capsys):
    code, _, err = run_cli(capsys, "plot", fig2)
    assert code == 2 and "give -o IMAGE" in err
    code, _, err = run_cli(capsys, "plot", fig2, "-o", tmp_path / "a.html", "--html",
                           tmp_path / "a.html")
    assert code == 2 and not (tmp_path / "a.html").exists()


def test_figsize_in_the_library():
    ax = plot_regions(SERRA_FIG2, "box:-4,8", figsize=(3, 2))
    assert tuple(ax.figure.get_size_inches()) == (3, 2)
    with pytest.raises(TropnetError, match="figsize"):
        plot_regions(SERRA_FIG2, "box:-4,8", figsize=(3, -2))
    with pytest.raises(TropnetError, match="figsize"):
        plot_newton(parse_polynomial("max(0, x, y)"), figsize="big")
