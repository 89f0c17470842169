"""Pictures: regions drawn one colour each (counted back from the PNG), slices, Newton
polygons, curves and the ``tropnet plot`` command."""

from __future__ import annotations

import json
from fractions import Fraction

import matplotlib.image as mpimg
import numpy as np
import pytest
from scipy import ndimage

from tests.helpers import random_net
from tropnet import DomainError, Network, TropnetError, parse, parse_polynomial
from tropnet.cli import main
from tropnet.plot import plot_curves, plot_newton, plot_regions
from tropnet.slicing import parse_slice, restrict_to_plane

# Serra, Tjandraatmadja, Ramalingam 2018, Figure 2: two inputs, three layers of two ReLUs.
SERRA_FIG2 = Network.from_lists(2, [([[-1, 1], [1, 1]], [0, -4], "relu"),
                                    ([[-1, -3], [-3, -1]], [4, 4], "relu"),
                                    ([[1, 3], [3, 1]], [-4, -4], "relu")])


def _coloured_regions(ax, path, min_pixels=10):
    """Connected areas of one region colour in the saved PNG (4-connectivity)."""
    ax.figure.savefig(path, dpi=120)
    assert path.stat().st_size > 5000
    img = np.round(mpimg.imread(path)[:, :, :3] * 255).astype(int)
    colours = {tuple(np.round(np.asarray(c[:3]) * 255).astype(int))
               for c in ax.collections[0].get_facecolors()}
    total = 0
    for c in colours:
        labels, _ = ndimage.label(np.all(np.abs(img - np.array(c)) <= 1, axis=2))
        total += int(np.sum(np.bincount(labels.ravel())[1:] >= min_pixels))
    return total


@pytest.mark.parametrize("text, domain, count", [
    # relu(min(x, y)): x and y on the two halves of the positive quadrant, 0 on the
    # L-shaped rest -- one non-convex region made of two cells, drawn without a seam
    ("max(0, -x, -y) - max(-x, -y)", "box:-1,1", 3),
    ("max(0, x, y, x + y - 1)", "box:-2,2", 4),
])
def test_coloured_regions_match_hand_counts(text, domain, count, tmp_path):
    ax = plot_regions(parse(text), domain)
    assert ax.tropnet_regions.count == count
    assert _coloured_regions(ax, tmp_path / "r.png") == count


@pytest.mark.parametrize("kind", ["activation", "linear"])
def test_serra_figure2_coloured_regions(kind, tmp_path):
    ax = plot_regions(SERRA_FIG2, "box:-4,8", kind=kind)
    rs = ax.tropnet_regions
    if kind == "activation":
        assert rs.count == 20  # the paper's count; all 20 regions meet this box
    assert _coloured_regions(ax, tmp_path / "s.png") == rs.count


def test_rn_plot_shows_every_region():
    """On R^2 the drawn box holds an interior point of every region."""
    ax = plot_regions(SERRA_FIG2, kind="activation")
    rs = ax.tropnet_regions
    assert rs.count == 20 and rs.domain.kind == "rn"
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for r in rs.regions:
        x, y = (float(v) for v in r.interior_point)
        assert x0 < x < x1 and y0 < y < y1


def test_adjacent_regions_get_different_colours():
    ax = plot_regions(SERRA_FIG2, "box:-4,8", kind="activation")
    segments = ax.collections[1].get_segments()
    assert len(segments) > 20  # boundaries are drawn
    colours = [tuple(c) for c in ax.collections[0].get_facecolors()]
    assert len(set(colours)) >= 4


def test_restriction_to_a_plane_is_exact(rng):
    net = random_net(rng, [3, 4, 1])
    p, u, v = parse_slice("p=1/2,0,-1;u=1,1,0;v=0,-1,2", 3)
    plane = restrict_to_plane(net, p, u, v)
    assert plane.input_dim == 2 and plane.exact_input
    for s, t in rng.integers(-6, 7, size=(10, 2)):
        s, t = Fraction(int(s), 3), Fraction(int(t), 2)
        x = [Fraction(1, 2) + s, s - t, -1 + 2 * t]
        assert plane.forward([s, t]) == net.forward(x)
    r = parse("max(x + 2*z, y) - max(0, z)")
    rr = restrict_to_plane(r, [0, 0, 1], [1, 0, 0], [0, 1, 0])
    assert rr([3, 5]) == r([3, 5, 1])


def test_slice_plot_counts_the_restricted_map(tmp_path):
    net = random_net(np.random.default_rng(1), [3, 4, 1])
    ax = plot_regions(net, "box:-2,2", slice="p=0,0,0;u=1,0,0;v=0,0,1")
    from tropnet import linear_regions

    direct = linear_regions(restrict_to_plane(net, [0, 0, 0], [1, 0, 0], [0, 0, 1]), "box:-2,2")
    assert ax.tropnet_regions.count == direct.count
    assert ax.get_xlabel() == "s" and ax.get_ylabel() == "t"
    # the title names the plane
    assert ax.tropnet_title.splitlines()[1] == \
        "plane x = p + s u + t v, p=(0, 0, 0), u=(1, 0, 0), v=(0, 0, 1)"
    with pytest.raises(DomainError, match="slice"):
        plot_regions(net)
    with pytest.raises(DomainError, match="parallel"):
        plot_regions(net, slice="u=1,0,0;v=2,0,0")


def test_surface_plot(tmp_path):
    ax = plot_regions(parse("max(0, x, y)"), "box:-1,1", surface=True)
    ax.figure.savefig(tmp_path / "surf.png", dpi=80)
    assert (tmp_path / "surf.png").stat().st_size > 5000
    assert ax.get_zlim()[1] == pytest.approx(1.0)  # max(0, x, y) reaches 1 on the box
    with pytest.raises(TropnetError, match="output"):
        plot_regions(parse("max(0, x, y)"), "box:-1,1", surface=True, output=1)


def test_activation_kind_needs_a_network():
    with pytest.raises(TropnetError, match="network"):
        plot_regions(parse("max(0, x, y)"), kind="activation")


@pytest.mark.parametrize("text, cells, redundant", [
    ("max(0, x, y, x + y - 1)", 2, 0),          # two triangles
    ("max(0, x, y, x + y)", 1, 0),              # lifted points coplanar: the square
    ("max(0, x, 2*x, y)", 1, 1),                # x lies on the edge: its cell is a line
    ("max(0, x, y, x + y - 1, 2*x - 3, 2*y - 3, x + y - 3)", 4, 0),
])
def test_newton_subdivision(text, cells, redundant, tmp_path):
    poly = parse_polynomial(text)
    ax = plot_newton(poly)
    assert len(ax.tropnet_subdivision) == cells
    points = ax.collections[1:]  # after the subdivision edges: filled, then hollow points
    assert len(points[0].get_offsets()) == len(poly) - redundant
    assert (len(points[1].get_offsets()) if len(points) > 1 else 0) == redundant
    ax.figure.savefig(tmp_path / "n.png", dpi=80)
    assert (tmp_path / "n.png").stat().st_size > 5000


def test_plot_curves(tmp_path):
    ax = plot_curves([1, 2, 3], {"regions": [2, 4, 8], "monomials": [2, 3, 5]},
                     bands={"regions": ([1, 3, 6], [3, 5, 10])}, logy=True, xlabel="depth")
    assert [ln.get_label() for ln in ax.get_lines()] == ["regions", "monomials"]
    assert ax.get_yscale() == "log"
    ax = plot_curves(None, {"a": ([1, 2], [3, 4])})
    assert list(ax.get_lines()[0].get_ydata()) == [3, 4]
    with pytest.raises(TropnetError, match="values"):
        plot_curves([1, 2], {"a": [1, 2, 3]})


def test_cli_plot(tmp_path, capsys):
    net = tmp_path / "fig2.json"
    net.write_text(json.dumps(SERRA_FIG2.to_dict()))
    out = tmp_path / "fig2.png"
    assert main(["plot", str(net), "-o", str(out), "--kind", "activation", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["count"] == 20 and payload["kind"] == "activation"
    assert out.stat().st_size > 5000
    assert main(["plot", "--expr", "max(0, x, y, x + y - 1)", "--newton", "-o",
                 str(tmp_path / "n.png"), "--quiet"]) == 0
    assert (tmp_path / "n.png").exists()
    # failures write nothing
    bad = tmp_path / "bad.png"
    assert main(["plot", "--expr", "max(0, x, y, z)", "-o", str(bad)]) == 2
    assert "slice" in capsys.readouterr().err
    assert main(["plot", "--expr", "max(0, x, y, z)", "-o", str(bad), "--slice", "u=1,0"]) == 2
    assert not bad.exists()
    assert main(["plot", "--expr", "max(0, x, y, z)", "-o", str(bad),
                 "--slice", "p=0,0,1;u=1,0,0;v=0,1,0", "--domain", "box:-1,1"]) == 0
    assert bad.exists()
