"""Result values of region computations: :class:`Region` and :class:`RegionSet`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import networkx as nx
import numpy as np

from ..arithmetic import Arithmetic, format_number
from ..domain import Domain
from ..network import Network
from ..polyhedra import Polyhedron
from .complex import PolyhedralComplex, polyhedral_complex
from .geometry import (
    INF,
    Facet,
    Generators,
    geometry_summary,
    is_bounded,
    region_chebyshev,
    region_facets,
    region_generators,
    region_volume,
)
from .graph import region_graph

__all__ = ["Region", "RegionSet"]


@dataclass(frozen=True, eq=False)
class Region:
    """One region: a union of convex cells on which the map is ``x -> weight @ x + bias``.

    Activation regions have one cell and an activation ``pattern`` (a tuple per
    layer, see :meth:`tropnet.Layer.pattern`); linear regions may have several
    cells (glued along facets or closures) and no pattern. ``map_error`` (float mode, from
    the certified enumeration) bounds the round-off of the map: the exact entries of the
    flattened weight followed by the bias lie within it of the float ones.

    Attributes
    ----------
    cells : tuple of Polyhedron
        The region's convex cells.
    weight : ndarray
        The Jacobian of the region's affine map.
    bias : ndarray
        The map's offset.
    interior_point : ndarray
        A point strictly inside the region.
    pattern : tuple or None, default None
        The activation pattern (activation regions), one tuple per layer.
    map_error : ndarray or None, default None
        Float mode: the bound on the round-off of the map (above); ``None`` otherwise.
    """

    cells: tuple[Polyhedron, ...]
    weight: np.ndarray
    bias: np.ndarray
    interior_point: np.ndarray
    pattern: tuple | None = None
    map_error: np.ndarray | None = None

    # -- geometry (computed on first use, cached; see tropnet.engines.geometry) -----------
    @cached_property
    def generators(self) -> Generators:
        """The distinct vertices, rays and lines of the region's cells."""
        return region_generators(self)

    @property
    def vertices(self) -> np.ndarray:
        """The vertices of the cells (exact in exact mode), one row each."""
        return self.generators.points

    @property
    def rays(self) -> np.ndarray:
        """The extreme rays of the cells, one row each (see :attr:`generators` for lines)."""
        return self.generators.rays

    @cached_property
    def facets(self) -> tuple[Facet, ...]:
        """The irredundant facets of each cell (certified); ``glued`` marks those between
        two cells of the region. Neighbours across them:
        :func:`tropnet.engines.geometry.facet_neighbours`."""
        return region_facets(self)

    @cached_property
    def is_bounded(self) -> bool:
        """Whether every cell is bounded (decided exactly)."""
        return all(is_bounded(c) for c in self.cells)

    @cached_property
    def volume(self) -> Any:
        """The volume: the sum of the cells' volumes, an exact Fraction in exact mode, a float
        otherwise, ``math.inf`` when unbounded."""
        return INF if not self.is_bounded else region_volume(self)

    def volume_in(self, box: Any) -> Any:
        """The volume of the region inside ``box`` (a Domain, a domain string such as
        ``"box:-1,1"``, or a Polyhedron).

        Parameters
        ----------
        box : Domain, str or Polyhedron
            The bounded set to measure in.
        """
        return region_volume(self, box)

    @cached_property
    def chebyshev(self) -> tuple[np.ndarray, Any]:
        """Centre and radius of the largest Euclidean ball inside one cell (float; see
        :func:`tropnet.engines.geometry.chebyshev_center` for the exact max-norm ball)."""
        return region_chebyshev(self)

    @property
    def chebyshev_center(self) -> np.ndarray:
        """The center of the largest ball inside the region (see ``chebyshev``)."""
        return self.chebyshev[0]

    @property
    def chebyshev_radius(self) -> Any:
        """The radius of the largest ball inside the region (see ``chebyshev``)."""
        return self.chebyshev[1]

    def to_dict(self, with_cells: bool = False) -> dict:
        """The JSON form: interior point, affine map, pattern if any, and cells on request.

        Parameters
        ----------
        with_cells : bool, default False
            Include the cells' rows.
        """
        out: dict[str, Any] = {
            "interior_point": [format_number(v) for v in self.interior_point],
            "affine_map": {"weight": [[format_number(v) for v in row] for row in self.weight],
                           "bias": [format_number(v) for v in self.bias]},
        }
        if self.pattern is not None:
            out["pattern"] = [list(p) for p in self.pattern]
        if with_cells:
            out["cells"] = [c.to_dict() for c in self.cells]
        return out


@dataclass(frozen=True, eq=False)
class RegionSet:
    """The regions of a network or tropical map on a domain, and how they were found.

    ``kind`` is ``"activation"`` (Serra et al. 2018: inputs sharing one
    activation pattern, counted when the set has non-empty interior) or
    ``"linear"`` (Lezeau et al.: maximal connected sets on which the map is
    affine; ``connectivity`` is ``"facet"`` or ``"closure"``). ``graph`` (computed on
    first use) has one node per region (its index) and an edge between regions
    whose closures share a facet.

    Attributes
    ----------
    kind : str
        The region kind: ``"activation"`` or ``"linear"``.
    regions : tuple of Region
        The regions.
    domain : Domain
        The domain they cover.
    method : str
        The method that found them.
    arith : Arithmetic
        The arithmetic of their numbers.
    engine : str or None, default None
        The engine, for methods that have several.
    connectivity : str or None, default None
        How cells were joined (linear regions): ``"facet"`` or ``"closure"``.
    warnings : tuple of str, default ()
        Warnings raised while counting (near-degenerate decisions, ...).
    info : dict, default {}
        Further facts of the run (JSON-ready).
    exact_cells : callable or None, default None
        Float results: returns the cells of every region in exact arithmetic (on the exact
        rationals of the float input), so that `graph` is certified.
    """

    kind: str
    regions: tuple[Region, ...]
    domain: Domain
    method: str
    arith: Arithmetic
    engine: str | None = None
    connectivity: str | None = None
    warnings: tuple[str, ...] = field(default=())
    info: dict = field(default_factory=dict)
    #: float results: a function giving the cells of every region in exact arithmetic (on
    #: the exact rationals of the float input), so that :attr:`graph` is certified
    exact_cells: Callable[[], Sequence[tuple[Polyhedron, ...]]] | None = field(
        default=None, repr=False, compare=False)

    @cached_property
    def graph(self) -> nx.Graph:
        """Adjacency of regions: an edge between regions whose closures share a facet
        (computed on first use, exactly; see :func:`tropnet.engines.graph.region_graph`)."""
        exact = None if self.arith.exact or self.exact_cells is None else self.exact_cells()
        return region_graph(self, exact)

    @property
    def count(self) -> int:
        """The number of regions."""
        return len(self.regions)

    def __len__(self) -> int:
        return len(self.regions)

    def __iter__(self):
        return iter(self.regions)

    def converted(self, arith: Arithmetic, domain: Domain) -> RegionSet:
        """The same regions with their numbers in ``arith`` (exact results reported in float
        mode), on ``domain``.

        Parameters
        ----------
        arith : Arithmetic
            The arithmetic of the result.
        domain : Domain
            The domain reported.
        """
        def region(r: Region) -> Region:
            cells = tuple(Polyhedron.from_inequalities(c.A, c.b, arith, c.n) for c in r.cells)
            return Region(cells, arith.array(r.weight), arith.array(r.bias),
                          arith.array(r.interior_point), r.pattern)

        exact = self.regions if self.arith.exact else None
        return replace(self, regions=tuple(region(r) for r in self.regions), arith=arith,
                       domain=domain,
                       exact_cells=None if exact is None else lambda: [r.cells for r in exact])

    def summary(self, bins: int = 10) -> dict:
        """Geometry statistics (JSON-ready, exact numbers as ``"p/q"``): the numbers of
        bounded and unbounded regions, the total, smallest and largest volume of the bounded
        ones with a histogram of ``bins`` equal bins, and the mean and largest number of
        facets per region (facets between cells of one region left out). See
        :func:`tropnet.engines.geometry.geometry_summary`.

        Parameters
        ----------
        bins : int, default 10
            The number of bins of the volume histogram.
        """
        return geometry_summary(self.regions, bins)

    def complex(self, net: Network | None = None) -> PolyhedralComplex:
        """The polyhedral complex of the regions on a bounded domain: every face of the
        subdivision by the cells, once, with incidences and (given the ``net`` of
        activation cells) sign vectors; see
        :func:`tropnet.engines.complex.polyhedral_complex`.

        Parameters
        ----------
        net : Network or None, default None
            The network of activation cells, for sign vectors.
        """
        return polyhedral_complex(self, net)

    def to_dict(self, list_regions: bool = False, with_cells: bool = False) -> dict:
        """The JSON form of ``tropnet regions`` (``"regions"`` only with ``list_regions``).

        Parameters
        ----------
        list_regions : bool, default False
            List every region.
        with_cells : bool, default False
            With ``list_regions``: include each region's cells.
        """
        out: dict[str, Any] = {"kind": self.kind, "count": self.count, "method": self.method,
                               "domain": self.domain.describe(), "exact": self.arith.exact}
        if self.engine:
            out["engine"] = self.engine
        if self.kind == "linear":
            out["connectivity"] = self.connectivity
        out.update(self.info)
        if self.warnings:
            out["warnings"] = list(self.warnings)
        if list_regions:
            out["regions"] = [r.to_dict(with_cells) for r in self.regions]
        return out
