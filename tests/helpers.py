"""Helpers shared by the tests: random networks."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from tropnet import Network


def random_net(rng: np.random.Generator, dims: list[int], activation: str = "relu",
               rational: bool = True, slope: Fraction = Fraction(1, 4), rank: int = 2,
               denominator: int = 4) -> Network:
    """A random network; rational weights are small fractions ``k/denominator``."""
    layers = []
    for i in range(len(dims) - 1):
        last = i == len(dims) - 2
        act = "identity" if last else activation
        rows = dims[i + 1] * (rank if act == "maxout" else 1)
        if rational:
            w = [[Fraction(int(v), denominator) for v in row]
                 for row in rng.integers(-2 * denominator, 2 * denominator + 1,
                                         size=(rows, dims[i]))]
            b = [Fraction(int(v), denominator) for v in rng.integers(-denominator, denominator + 1,
                                                                     size=rows)]
        else:
            w = rng.normal(0, np.sqrt(2 / dims[i]), size=(rows, dims[i])).tolist()
            b = rng.normal(0, 0.5, size=rows).tolist()
        spec = {"weight": w, "bias": b, "activation": act}
        if act == "leaky_relu":
            spec["slope"] = slope
        if act == "maxout":
            spec["rank"] = rank
        layers.append(spec)
    return Network.from_lists(dims[0], layers)


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run ``tropnet ARGS`` in-process: ``(exit status, stdout, stderr)``."""
    from tropnet.cli import main

    capsys.readouterr()
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err
