"""Regions: activation and linear regions of the fixed benchmark nets, and tropical maps.

Tables:

1. activation regions of nets A-D (``shared/benchmarks``) on ``R^n`` and
   ``[-1,1]^n`` by engine (vertex, LP, exact vertex) and by the naive scipy
   LP baseline, with the public tools' times from ``shared/benchmarks``;
2. linear regions of the same nets by method (tropical, enumerate, layerwise);
3. linear regions of random tropical rational functions with ``m``
   monomials in numerator and denominator in 4 variables;
4. larger nets (issue 12): the trained two-moons net, 4-[24,24]-1 on a box, MNIST-size
   inputs on ``R^784``, each by enumerate and tropical;
5. region graphs (``benchmarks/bench_graph.py``).
"""

from __future__ import annotations

import numpy as np

from tropnet import (
    TropicalPolynomial,
    TropicalRational,
    activation_regions,
    linear_regions,
    load_network,
)

from .bench_graph import graph_table
from .common import NETS, best_of, fmt_time, he_net, machine, table, write
from .naive import naive_count

EXPECTED = {"A": (111, 38), "B": (1320, 218), "C": (2344, 1340), "D": (5548, 2080)}
SHAPES = {"A": "2-[8,8]-1", "B": "3-[10,10]-1", "C": "2-[32,32]-1", "D": "3-[16,16]-1"}
# seconds of public tools on a 2-core machine (shared/benchmarks/README.md)
PUBLIC = {
    ("A", "rn"): (0.62, 0.075, 0.44, None), ("A", "box"): (0.25, 0.051, 0.32, 0.00004),
    ("B", "rn"): (7.6, 0.87, 5.4, None), ("B", "box"): (1.5, 0.39, 2.6, None),
    ("C", "rn"): (56, 2.5, 18, None), ("C", "box"): (35, 1.8, 13, 0.0025),
    ("D", "rn"): (50, 4.7, 28, None), ("D", "box"): (22, 3.1, 17, None),
}


def _activation(name: str, domain: str | None, engine: str, exact: bool) -> int:
    return activation_regions(load_network(NETS / f"{name}.json"), domain, engine,
                              exact).count


def _naive(name: str, boxed: bool) -> int:
    net = load_network(NETS / f"{name}.json")
    return naive_count(net, -1.0, 1.0) if boxed else naive_count(net)


def _linear(name: str, domain: str | None, method: str) -> int:
    return linear_regions(load_network(NETS / f"{name}.json"), domain, method=method).count


def _best(fn, *args, timeout: float, repeat: int = 3) -> dict:
    return best_of(fn, *args, repeat=repeat, timeout=timeout, enough=5.0)


def activation_table(nets: list[str], timeout: float) -> str:
    rows = []
    for name in nets:
        for dom, domain in (("rn", None), ("box", "box:-1,1")):
            want = EXPECTED[name][0 if dom == "rn" else 1]
            vertex = _best(_activation, name, domain, "vertex", False, timeout=timeout)
            lp = _best(_activation, name, domain, "lp", False, timeout=timeout, repeat=1)
            exact = _best(_activation, name, domain, "vertex", True, timeout=timeout, repeat=1)
            naive = _best(_naive, name, dom == "box", timeout=timeout, repeat=1)
            counts = {r["value"] for r in (vertex, lp, exact, naive) if r["status"] == "ok"}
            ok = "yes" if counts == {want} else f"NO {sorted(counts)}"
            base = naive["seconds"] if naive["status"] == "ok" else float("nan")
            ratio = base / vertex["seconds"] if vertex["status"] == "ok" else float("nan")
            pub = PUBLIC[(name, dom)]
            fastest = min(v for v in pub if v is not None)
            rows.append([f"{name} {SHAPES[name]}", dom, want, ok, fmt_time(vertex),
                         f"{want / vertex['seconds']:.0f}" if vertex["status"] == "ok" else "-",
                         fmt_time(exact), fmt_time(lp), fmt_time(naive), f"{ratio:.0f}x",
                         pub[1], pub[3] if pub[3] is not None else "-",
                         f"{fastest / vertex['seconds']:.2g}x" if vertex["status"] == "ok"
                         else "-"])
    return table(["net", "domain", "regions", "all counts exact", "vertex s", "regions/s",
                  "exact vertex s", "LP engine s", "naive LP s", "vertex vs naive",
                  "canonicalpoly s", "regioncam s", "vs fastest public"], rows)


def linear_table(nets: list[str], timeout: float) -> str:
    rows = []
    for name in nets:
        for dom, domain in (("rn", None), ("box", "box:-1,1")):
            res = {m: _best(_linear, name, domain, m, repeat=1,
                            timeout=min(timeout, LAYERWISE_TIMEOUT) if m == "layerwise"
                            else timeout)
                   for m in ("enumerate", "tropical", "layerwise")}
            counts = {r["value"] for r in res.values() if r["status"] == "ok"}
            both = res["enumerate"]["status"] == res["tropical"]["status"] == "ok"
            ratio = f"{res['tropical']['seconds'] / res['enumerate']['seconds']:.2g}" \
                if both else "-"
            rows.append([f"{name} {SHAPES[name]}", dom,
                         next(iter(counts)) if len(counts) == 1 else sorted(counts),
                         "yes" if len(counts) == 1 else "NO",
                         *(fmt_time(res[m]) for m in ("enumerate", "tropical", "layerwise")),
                         ratio, "<= 3"])
    return table(["net", "domain", "linear regions", "methods agree", "enumerate s",
                  "tropical s", "layerwise s", "tropical / enumerate", "target"], rows)


#: seconds before the layerwise method (the slowest, no target) is given up in the table
LAYERWISE_TIMEOUT = 120.0

#: issue 12 nets: (label, net spec, domain, target of each method)
LARGE = [
    ("moons 2-[16,16]-1 (trained)", "moons16", None, {"tropical": "<= 3x enumerate"}),
    ("moons 2-[16,16]-1 (trained)", "moons16", "box:-1.13,2.18;-0.65,1.23",
     {"tropical": "<= 3x enumerate"}),
    ("4-[24,24]-1", [4, 24, 24, 1], "box:-1,1", {"tropical": "< 60 s"}),
    ("784-[8]-1", [784, 8, 1], None, {"enumerate": "< 10 s"}),
    ("784-[4,4]-1", [784, 4, 4, 1], None, {"enumerate": "< 10 s"}),
]


def _large(spec: str | list[int], domain: str | None, method: str) -> int:
    net = load_network(NETS / f"{spec}.json") if isinstance(spec, str) else he_net(spec, 0)
    return linear_regions(net, domain, method=method).count


def large_table(timeout: float) -> str:
    rows = []
    for label, spec, domain, targets in LARGE:
        res = {m: _best(_large, spec, domain, m, timeout=timeout, repeat=1)
               for m in ("enumerate", "tropical")}
        counts = {r["value"] for r in res.values() if r["status"] == "ok"}
        ok = [r for r in res.values() if r["status"] == "ok"]
        ratio = (f"{res['tropical']['seconds'] / res['enumerate']['seconds']:.2g}"
                 if len(ok) == 2 else "-")
        rows.append([label, domain or "R^n", next(iter(counts)) if len(counts) == 1 else
                     sorted(counts), "yes" if len(counts) == 1 else "-",
                     fmt_time(res["enumerate"]), fmt_time(res["tropical"]), ratio,
                     "; ".join(f"{m} {t}" for m, t in targets.items())])
    return table(["net", "domain", "linear regions", "methods agree", "enumerate s",
                  "tropical s", "tropical / enumerate", "target"], rows)


def _random_rational(m: int, seed: int) -> TropicalRational:
    rng = np.random.default_rng(seed)

    def poly() -> TropicalPolynomial:
        a = rng.normal(size=(m, 4))
        c = -0.5 * (a ** 2).sum(axis=1) + 0.1 * rng.normal(size=m)  # every monomial counts
        return TropicalPolynomial.from_monomials(a, c, exact=False)

    return TropicalRational(poly(), poly())


def _rational_regions(m: int, seed: int) -> int:
    return linear_regions(_random_rational(m, seed)).count


def tropical_table(sizes: list[int], timeout: float) -> str:
    rows = []
    targets = {100: "< 1 s", 500: "< 20 s"}
    for m in sizes:
        res = _best(_rational_regions, m, m, timeout=timeout, repeat=1 if m > 100 else 3)
        count = res["value"] if res["status"] == "ok" else "-"
        rate = f"{count / res['seconds']:.0f}" if res["status"] == "ok" else "-"
        rows.append([m, count, fmt_time(res), rate, targets.get(m, "")])
    return table(["monomials (num, den)", "linear regions", "seconds", "regions/s", "target"],
                 rows)


def main(quick: bool = False) -> str:
    nets = ["A", "B"] if quick else ["A", "B", "C", "D"]
    timeout = 120.0 if quick else 900.0
    text = "\n".join([
        "## Regions (issues 4 and 12)",
        "",
        f"Machine: {machine()}. {'Quick run: nets A and B only. ' if quick else ''}"
        "Each cell is the best of up to 3 runs in a fresh process "
        "(one run for slow engines), counting call only. `naive LP` is the benchmark's own "
        "depth-first scipy-LP enumerator (`benchmarks/naive.py`), timed in the same run; "
        "public-tool seconds are copied from `shared/benchmarks/README.md` (their machine).",
        "",
        "### Activation regions of the benchmark nets",
        "",
        activation_table(nets, timeout),
        "",
        "### Linear regions of the benchmark nets (facet connectivity, float)",
        "",
        linear_table(nets, timeout),
        "",
        "### Linear regions of random tropical rational functions in 4 variables",
        "",
        "Exponents `a ~ N(0, I)`, coefficients `-|a|^2/2 + N(0, 0.1^2)` (every monomial "
        "irredundant), float mode.",
        "",
        tropical_table([20, 100] if quick else [20, 100, 500], timeout),
        "",
        "### Larger nets (issue 12): trained, 4-[24,24]-1 on a box, MNIST-size inputs",
        "",
        "Linear regions, float mode (certified), one run each; the tropical method runs "
        "exactly on the exact rationals of the float weights.",
        "",
        large_table(120.0 if quick else 240.0),
        "",
        "### Region graphs (issue 12 §2)",
        "",
        "Seconds of `RegionSet.graph` alone (float rows include the exact enumeration that "
        "certifies them).",
        "",
        graph_table(timeout=timeout),
    ])
    return write("regions", text)


if __name__ == "__main__":
    print(main())
