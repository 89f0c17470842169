"""Compile + prune: time, memory and monomial counts (issue 12 §1, §6).

Each net is compiled in a fresh process by both methods of ``compile_network``: ``regions``
(the irredundant monomials read off the activation regions, the default) and ``products``
(the rule with pruning after every product), in float and exact mode. The two must give the
same monomial counts; the table says so per net.
"""

from __future__ import annotations

from pathlib import Path

from tropnet import compile_network, load_network, monomial_complexity

from .common import fmt_time, he_net, isolated, machine, table, write

HERE = Path(__file__).resolve().parent
MOONS = HERE / "nets" / "moons16.json"

#: (label, He dims or a file, targets per arithmetic)
NETS: list[tuple[str, list[int] | Path, dict[str, str]]] = [
    ("2-[8,8]-1", [2, 8, 8, 1], {"float": "< 1 s", "exact": "< 1 s"}),
    ("3-[8,8]-1", [3, 8, 8, 1], {"exact": "< 2 s"}),
    ("4-[12,12]-1", [4, 12, 12, 1], {"float": "< 10 s", "exact": "< 30 s and < 2 GB"}),
    ("moons 2-[16,16]-1 (trained)", MOONS, {"exact": "< 5 s"}),
    ("2-[16,16]-1", [2, 16, 16, 1], {}),
    ("2-[32,32]-1", [2, 32, 32, 1], {}),
    ("2-[64,64]-1", [2, 64, 64, 1], {"float": "< 60 s and < 4 GB",
                                     "exact": "< 60 s and < 4 GB"}),
    ("784-[8]-1", [784, 8, 1], {"float": "< 5 s"}),
    ("784-[4,4]-1", [784, 4, 4, 1], {"float": "< 5 s"}),
]
#: products runs stop here (seconds); they are the slow reference
PRODUCTS_TIMEOUT = {True: 60, False: 120}


def _net(spec: list[int] | Path):
    return load_network(spec) if isinstance(spec, Path) else he_net(spec, 0)


def _compile(spec: list[int] | Path, exact: bool, method: str) -> tuple[int, int]:
    (r,) = compile_network(_net(spec), exact=exact, method=method)
    return monomial_complexity(r, prune=False)


def main(quick: bool = False) -> str:
    nets = NETS[:2] if quick else NETS
    rows = []
    for label, spec, targets in nets:
        for arith in ("float", "exact"):
            exact = arith == "exact"
            counts = {}
            cells = []
            for method in ("regions", "products"):
                timeout = PRODUCTS_TIMEOUT[quick] if method == "products" else (
                    120 if quick else 600)
                res = isolated(_compile, spec, exact, method, timeout=timeout)
                counts[method] = res["value"] if res["status"] == "ok" else None
                cells += [fmt_time(res), f"{res['peak_mb']:.0f}"]
            mono = counts["regions"] or counts["products"] or ("-", "-")
            same = "yes" if counts["regions"] == counts["products"] else (
                "-" if None in counts.values() else "NO")
            rows.append([label, arith, mono[0], mono[1], *cells, same, targets.get(arith, "")])
    text = "\n".join([
        "## Compile and prune (issues 3 and 12)",
        "",
        f"Machine: {machine()}. He-initialised nets (seed 0) and the trained two-moons net "
        "(benchmarks/train_moons.py), one run each in a fresh process; seconds for "
        "`compile_network`, peak resident memory of that process. `regions`: the irredundant "
        "monomials read off the activation regions (default); `products`: the rule with "
        f"pruning after every product (stopped after {PRODUCTS_TIMEOUT[quick]} s). "
        "`same`: both methods gave the same monomial counts.",
        "",
        table(["net", "arithmetic", "numerator monomials", "denominator monomials",
               "regions s", "regions MB", "products s", "products MB", "same", "target"],
              rows)])
    return write("compile", text)


if __name__ == "__main__":
    print(main())
