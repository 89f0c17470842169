"""Region graphs (issue 12 §2, issue 18 §2): ``RegionSet.graph`` on a few hundred regions.

Target: the graph of 500 regions in < 1 s. Each row builds the regions (not timed) in a
fresh process, then times the graph alone (:func:`tropnet.engines.graph.region_graph`).
Float rows are certified: their exact cells come from the exact enumeration of the same
float weights (:func:`~tropnet.engines.graph.cells_by_pattern`), and that enumeration is
timed with the graph. ``graph_table()`` returns the markdown table; the regions benchmark
includes it.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

from tropnet import Network, activation_regions, linear_regions, load_network
from tropnet.engines.graph import cells_by_pattern, region_graph
from tropnet.engines.patterns import read_in

from .common import NETS, he_net, isolated, table

MOONS_BOX = "box:-1.13,2.18;-0.65,1.23"  # the data box of the trained net


@dataclass(frozen=True)
class Case:
    """One row: a net, a domain, the region kind and the arithmetic."""

    name: str
    domain: str | None
    kind: str
    exact: bool
    target: str = ""


def _net(name: str) -> Network:
    if name == "moons16":
        return load_network(NETS / "moons16.json")
    if name == "B":
        return load_network(NETS / "B.json")
    if name == "he 2-[16,16]-1 (half the outputs 0)":
        net = he_net([2, 16, 16, 1], 0)
        last = net.layers[-1]
        w = [[float(v) if j % 2 else 0.0 for j, v in enumerate(last.weight[0])]]
        return Network.from_lists(2, [*((L.weight.tolist(), L.bias.tolist(), "relu")
                                        for L in net.layers[:-1]),
                                      (w, last.bias.tolist(), "identity")])
    dims = [int(v) for v in name.split()[1].replace("-[", ",").replace("]-", ",").split(",")]
    return he_net(dims, 0)


def _run(case: Case) -> tuple[int, int, int, float]:
    """``(regions, cells, edges, seconds of the graph)``."""
    warnings.simplefilter("ignore")
    net = _net(case.name)
    if case.kind == "activation":
        rs = activation_regions(net, case.domain, exact=case.exact)
    else:
        rs = linear_regions(net, case.domain, exact=case.exact)
    start = time.perf_counter()
    exact_cells = None
    if not rs.arith.exact:  # certified: the exact cells of the same float weights
        exact_cells = cells_by_pattern(rs, activation_regions(
            net, read_in(rs.domain, rs.arith), rs.engine or "auto", exact=True))
    graph = region_graph(rs, exact_cells)
    seconds = time.perf_counter() - start
    return rs.count, sum(len(r.cells) for r in rs), graph.number_of_edges(), seconds


CASES = (
    Case("moons16", MOONS_BOX, "activation", False, "< 1 s"),
    Case("moons16", MOONS_BOX, "activation", True, "< 1 s"),
    Case("moons16", None, "activation", False),
    Case("he 2-[16,16]-1", "box:-1,1", "activation", False),
    Case("he 2-[16,16]-1 (half the outputs 0)", "box:-1,1", "linear", True),
    Case("B", "box:-1,1", "activation", True),
)


def graph_table(cases: tuple[Case, ...] = CASES, timeout: float = 600.0) -> str:
    """A markdown table: net, domain, kind, arithmetic, regions (cells), edges, seconds of
    the graph, target."""
    rows = []
    for case in cases:
        res = isolated(_run, case, timeout=timeout)
        if res["status"] == "ok":
            count, cells, edges, seconds = res["value"]
            regions = f"{count}" if cells == count else f"{count} ({cells} cells)"
            rows.append([case.name, case.domain or "R^n", case.kind,
                         "exact" if case.exact else "float (certified)", regions, edges,
                         f"{seconds:.3g}", case.target])
        else:
            rows.append([case.name, case.domain or "R^n", case.kind,
                         "exact" if case.exact else "float (certified)", "-", "-",
                         res["status"], case.target])
    return table(["net", "domain", "kind", "arithmetic", "regions", "edges", "graph s",
                  "target"], rows)


if __name__ == "__main__":  # pragma: no cover
    print(graph_table())
