"""Benchmark: Hoffman constants (small supports vs PVZ vs bounds), the trained net's targets,
effective boxes, sampling.

Run ``python -m benchmarks.bench_hoffman [--quick]``; writes
``benchmarks/results/hoffman.md`` and ``benchmarks/results/hoffman_sampling.png``.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from tropnet import TropicalPolynomial, TropicalRational, activation_regions, linear_regions
from tropnet.domain import box
from tropnet.engines.symmetry import deepsets_network
from tropnet.hoffman import effective_box, effective_radius, map_hoffman
from tropnet.network import Network
from tropnet.sampling import sample_regions

RESULTS = Path(__file__).resolve().parent / "results"


def _poly(rng: np.random.Generator, m: int, n: int = 2) -> TropicalPolynomial:
    return TropicalPolynomial.from_monomials(rng.integers(-5, 6, size=(m, n)).tolist(),
                                             rng.integers(-5, 6, size=m).tolist())


def _net(rng: np.random.Generator, dims: list[int]) -> Network:
    from fractions import Fraction

    layers = []
    for i in range(len(dims) - 1):
        act = "identity" if i == len(dims) - 2 else "relu"
        w = [[Fraction(int(v), 4) for v in row]
             for row in rng.integers(-8, 9, size=(dims[i + 1], dims[i]))]
        b = [Fraction(int(v), 4) for v in rng.integers(-4, 5, size=dims[i + 1])]
        layers.append((w, b, act))
    return Network.from_lists(dims[0], layers)


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def bench_constants(quick: bool) -> list[str]:
    """Exact (row sets of at most n rows) vs PVZ vs bounds on random f ⊘ g in R^2 (exact
    arithmetic)."""
    sizes = [3, 4, 5, 6, 8] if quick else [3, 4, 5, 6, 8, 10, 12, 16]
    lines = ["| monomials (f, g) | irredundant | cells | exact s (LPs) | PVZ s (LPs) | "
             "H (max-norm) | agree | bounds s | bounds interval |",
             "|---|---|---|---|---|---|---|---|---|"]
    slow = False
    for m in sizes:
        rng = np.random.default_rng(100 + m)
        r = TropicalRational(_poly(rng, m), _poly(rng, m))
        irr = (len(r.numerator.prune()), len(r.denominator.prune()))
        pvz, t_pvz = _timed(lambda r=r: map_hoffman(r, method="pvz"))
        if slow:
            ex_cell, agree = "skipped", "-"
        else:
            ex, t_ex = _timed(lambda r=r: map_hoffman(r, method="exact"))
            ex_cell, agree = f"{t_ex:.2f} ({ex.lp_calls})", "yes" if ex.value == pvz.value \
                else "**NO**"
            slow = t_ex > 5
        bd, t_bd = _timed(lambda r=r: map_hoffman(r, method="bounds", samples=6))
        lines.append(f"| {m}, {m} | {irr[0]}, {irr[1]} | {pvz.info['cells']} | {ex_cell} | "
                     f"{t_pvz:.2f} ({pvz.lp_calls}) | {pvz.value} | {agree} | {t_bd:.2f} | "
                     f"[{float(bd.lower):.3g}, {float(bd.upper):.3g}] |")
    return lines


#: issue 12 §5 targets on the shipped trained net (seconds)
TRAINED_TARGETS = {"bounds": 5.0, "pvz": 60.0, "radius": 10.0}


def _trained_run(path: str) -> dict:
    """In a fresh process: the compile and the cells (shared by all methods, timed apart),
    then each method and the effective radius on the same compiled maps, and the
    ``tropnet hoffman`` commands end to end (each in a fresh process of its own)."""
    from tropnet.arithmetic import EXACT
    from tropnet.hoffman import radius as hoffman_radius
    from tropnet.io import load_network
    from tropnet.tropical import compile_network

    net = load_network(path)
    out: dict = {}
    t = time.perf_counter()
    maps = compile_network(net, prune=True, exact=EXACT)
    out["compile"] = time.perf_counter() - t
    t = time.perf_counter()
    ref = hoffman_radius._refinement(maps)
    out["cells"], out["refine"] = len(ref), time.perf_counter() - t
    for method in ("bounds", "auto", "pvz"):
        t = time.perf_counter()
        h = map_hoffman(maps, method=method)
        out[method] = (time.perf_counter() - t, h)
    t = time.perf_counter()
    er = effective_radius(maps)
    out["radius"] = (time.perf_counter() - t, er)
    out["rows"] = ref.sizes()[0] if len(ref) else 0
    return out


def _cli_seconds(path: str, *args: str) -> tuple[float, int]:
    """Wall seconds and exit status of ``tropnet hoffman PATH ARGS`` (a fresh process)."""
    import subprocess

    t = time.perf_counter()
    rc = subprocess.run([sys.executable, "-m", "tropnet", "hoffman", path, "--json", *args],
                        capture_output=True, check=False).returncode
    return time.perf_counter() - t, rc


def bench_trained(quick: bool) -> list[str]:
    """The shipped trained 2-[16,16]-1 (``benchmarks/nets/moons16.json``): bounds, PVZ and
    the effective radius against the issue's targets, the Hoffman part apart from the
    compile and the cells it shares with every method."""
    from benchmarks.common import NETS, isolated

    path = str(NETS / "moons16.json")
    res = isolated(_trained_run, path, timeout=900)
    if res["status"] != "ok":
        return [f"trained 2-[16,16]-1: {res['status']} ({str(res['value'])[:200]})"]
    v = res["value"]
    shared = v["compile"] + v["refine"]
    (tb, hb), (ta, ha), (tp, hp), (tr, er) = v["bounds"], v["auto"], v["pvz"], v["radius"]
    lines = [f"Compile (exact) {v['compile']:.2f} s and common refinement {v['refine']:.2f} s "
             f"({v['cells']} cells of {v['rows']} rows each): shared by "
             "every method below and timed apart. *Hoffman s* is the method alone on the "
             "compiled maps; *CLI s* is `tropnet hoffman NET --method M` end to end in a "
             "fresh process (estimate, compile, cells, constant and effective radius).", "",
             "| quantity | value | Hoffman s | target | met | CLI s |", "|---|---|---|---|---|---|"]
    cli = {m: _cli_seconds(path, "--method", m) for m in ("bounds", "auto", "pvz")}

    def row(name, value, seconds, target, cli_s):
        met = "-" if target is None else ("yes" if seconds < target else "**no**")
        tgt = "-" if target is None else f"< {target:g} s"
        return f"| {name} | {value} | {seconds:.2f} | {tgt} | {met} | {cli_s} |"

    def cli_cell(m):
        s_, rc = cli[m]
        return f"{s_:.1f}" if rc == 0 else f"exit {rc} ({s_:.1f})"

    lines.append(row("H, bounds", f"[{hb.lower:.10g}, {hb.upper:.10g}]", tb,
                     TRAINED_TARGETS["bounds"], cli_cell("bounds")))
    lines.append(row("H, auto (exact value, rounded)", f"{float(ha.value):.10g}", ta, None,
                     cli_cell("auto")))
    lines.append(row("H, pvz", f"{float(hp.value):.10g}"
                     f"{'' if hp.value == ha.value else ' **differs from auto**'}", tp,
                     TRAINED_TARGETS["pvz"], cli_cell("pvz")))
    lines.append(row("effective radius (max-norm)", f"{float(er.radius):.6g} (box ±"
                     f"{float(er.box_radius()):.6g})", tr, TRAINED_TARGETS["radius"], "-"))
    inside = hb.lower <= hp.value <= hb.upper
    lines += ["", f"The bounds interval {'contains' if inside else '**does not contain**'} the "
              f"PVZ value; PVZ searched {hp.info.get('cells_searched')} cell(s) after the "
              f"exact values of {ha.info.get('cells_solved')} cell(s); shared compile + cells "
              f"{shared:.2f} s."]
    return lines


def bench_radius(quick: bool) -> list[str]:
    """Effective radius and box: the box count must equal the count on R^n."""
    cases = [("2-[3]-1", _net(np.random.default_rng(1), [2, 3, 1])),
             ("2-[4]-1", _net(np.random.default_rng(2), [2, 4, 1])),
             ("2-[3,2]-1", _net(np.random.default_rng(3), [2, 3, 2, 1]))]
    if not quick:
        cases += [("2-[4,3]-1", _net(np.random.default_rng(4), [2, 4, 3, 1])),
                  ("deepsets 3-[6,2]-1", deepsets_network(3, 2, 2, seed=1))]
    lines = ["| network | cells | radius r | cells-only radius | Prop. 22 bound | box R | "
             "linear: box = R^n | activation radius | activation: box = R^n | seconds |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, net in cases:
        t = time.perf_counter()
        er = effective_radius(net)
        dom = effective_box(net)
        lin_ok = linear_regions(net, dom).count == linear_regions(net).count
        ea = effective_radius(net, kind="activation")
        adom = effective_box(net, kind="activation")
        act_ok = activation_regions(net, adom).count == activation_regions(net).count
        sec = time.perf_counter() - t
        lines.append(f"| {name} | {er.cells} | {float(er.radius):.3g} | "
                     f"{float(er.cells_radius):.3g} | {float(er.prop22_bound):.3g} | "
                     f"{float(dom.hi[0]):.3g} | {'yes' if lin_ok else '**NO**'} | "
                     f"{float(ea.radius):.3g} | {'yes' if act_ok else '**NO**'} | {sec:.1f} |")
    return lines


def bench_sampling(quick: bool) -> tuple[list[str], dict]:
    """Sampling estimate vs exact count vs number of samples (plain and symmetric)."""
    nmax = 6000 if quick else 60000
    points = [k for k in (30, 100, 300, 1000, 3000, 10000, 30000, 60000) if k <= nmax]
    rnet = _net(np.random.default_rng(7), [2, 6, 6, 1])
    snet = deepsets_network(3, 2, 2, seed=3)
    R = 2
    exact_r = linear_regions(rnet, box(-R, R, 2)).count
    exact_s = linear_regions(snet, box(-R, R, 3)).count
    plain_r, t_r = _timed(lambda: sample_regions(rnet, nmax, R, seed=0, checkpoints=points))
    plain_s, t_ps = _timed(lambda: sample_regions(snet, nmax, R, seed=0, checkpoints=points))
    sym_pts = [max(1, k // 6) for k in points]
    sym_s, t_ss = _timed(lambda: sample_regions(snet, nmax // 6, R, seed=0, symmetric=True,
                                                checkpoints=sym_pts))
    cr, cp, cs = dict(plain_r.curve), dict(plain_s.curve), dict(sym_s.curve)
    lines = [f"Exact linear regions on the box [-{R},{R}]^n: random 2-[6,6]-1 net **{exact_r}**; "
             f"permutation-invariant DeepSets 3-[6,2]-1 net **{exact_s}**.", "",
             "| samples N | 2-[6,6]-1 estimate | DeepSets plain (N) | DeepSets symmetric "
             "(N/3! in x1>=x2>=x3) |", "|---|---|---|---|"]
    for k, ks in zip(points, sym_pts, strict=True):
        lines.append(f"| {k} | {cr[k]} | {cp[k]} | {cs[ks]} |")
    lines += ["", f"Time for all {nmax} samples: 2-[6,6]-1 {t_r:.2f} s; DeepSets plain "
              f"{t_ps:.2f} s, symmetric ({nmax // 6} samples) {t_ss:.2f} s "
              f"(speed-up {t_ps / t_ss:.1f}x at the same sample density)."]
    data = {"points": points, "sym_points": sym_pts, "random": cr, "plain": cp, "sym": cs,
            "exact_r": exact_r, "exact_s": exact_s}
    return lines, data


def _plot(data: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    pts = data["points"]
    ax = axes[0]
    ax.semilogx(pts, [data["random"][k] for k in pts], "o-", label="estimate")
    ax.axhline(data["exact_r"], color="k", ls="--", label=f"exact ({data['exact_r']})")
    ax.set(title="random 2-[6,6]-1 net on [-2,2]^2", xlabel="samples", ylabel="linear regions")
    ax.legend()
    ax = axes[1]
    ax.semilogx(pts, [data["plain"][k] for k in pts], "o-", label="plain (N samples)")
    ax.semilogx(pts, [data["sym"][k] for k in data["sym_points"]], "s-",
                label="symmetric (N/6 samples)")
    ax.axhline(data["exact_s"], color="k", ls="--", label=f"exact ({data['exact_s']})")
    ax.set(title="DeepSets 3-[6,2]-1 on [-2,2]^3", xlabel="N (same density)",
           ylabel="linear regions")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(quick: bool = False) -> str:
    RESULTS.mkdir(parents=True, exist_ok=True)
    hw = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    out = ["## Hoffman constants, effective radius and sampling", "",
           f"Hardware: {hw}; exact rational arithmetic (cdd gmp LPs) unless stated; "
           f"{'quick run' if quick else 'full run'}. Max-norm convention (distance and "
           "residual in the max-norm).", "",
           "### Hoffman constant of random f ⊘ g in R^2: small supports vs PVZ vs bounds", "",
           "Both exact methods return the same value: *exact* enumerates the row sets of at "
           "most n rows (tropnet.hoffman.support; skipped after the first size over 5 s), "
           "*PVZ* the maximal surjective sets with one LP each (in R^2 the sectors of the "
           "rows' lines). Bounds: the certified float enclosure of the small-support "
           "enumeration.", ""]
    out += bench_constants(quick)
    out += ["", "### The shipped trained net (2-[16,16]-1 on two moons, issue 12 §5)", ""]
    out += bench_trained(quick)
    out += ["", "### Effective radius (max-norm) and the effective box", "",
            "r: ball around the origin meeting every cell and the gluing faces of a spanning "
            "forest; cells-only: meeting every cell (Lezeau et al. Lemma 21, per cell); "
            "Prop. 22: H(f ⊘ g) max(f - f̌, g - ǧ)(0). The box count must equal the R^n "
            "count.", ""]
    out += bench_radius(quick)
    lines, data = bench_sampling(quick)
    png = RESULTS / "hoffman_sampling.png"
    _plot(data, png)
    out += ["", "### Sampling estimate vs samples (Lezeau et al. Algorithm 5)", "", *lines]
    out += ["", f"![sampling convergence]({png.name})", ""]
    text = "\n".join(out)
    (RESULTS / "hoffman.md").write_text(text + "\n", encoding="utf-8")
    return text


if __name__ == "__main__":
    print(main(quick="--quick" in sys.argv))
