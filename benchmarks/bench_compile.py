"""Compile + prune: time, memory and monomial counts of random He-initialised nets."""

from __future__ import annotations

from tropnet import compile_network, monomial_complexity

from .common import fmt_time, he_net, isolated, machine, table, write

SIZES = [[2, 4, 4, 1], [2, 8, 8, 1], [3, 8, 8, 1], [4, 12, 12, 1]]
TARGETS = {"2-[8,8]-1": "< 1 s", "4-[12,12]-1": "< 30 s and < 2 GB"}


def _compile(dims: list[int], seed: int, exact: bool) -> tuple[int, int]:
    net = he_net(dims, seed)
    (r,) = compile_network(net, exact=exact)
    return monomial_complexity(r, prune=False)


def main(quick: bool = False) -> str:
    sizes = SIZES[:2] if quick else SIZES
    rows = []
    for dims in sizes:
        arch = f"{dims[0]}-[{','.join(map(str, dims[1:-1]))}]-{dims[-1]}"
        for exact in (False, True):
            res = isolated(_compile, dims, 0, exact, timeout=120 if quick else 300)
            mono = res["value"] if res["status"] == "ok" else ("-", "-")
            rows.append([arch, "exact" if exact else "float", mono[0], mono[1], fmt_time(res),
                         f"{res['peak_mb']:.0f}", TARGETS.get(arch, "")])
    text = "\n".join([
        "## Compile and prune (issue 3)",
        "",
        f"Machine: {machine()}. He-initialised nets (seed 0), one run each in a fresh "
        "process; seconds for `compile_network` (pruning after every product), peak "
        "resident memory of that process.",
        "",
        table(["net", "arithmetic", "numerator monomials", "denominator monomials", "seconds",
               "peak MB", "target"], rows)])
    return write("compile", text)


if __name__ == "__main__":
    print(main())
