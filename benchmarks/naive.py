"""A naive baseline: depth-first activation-region enumeration with one scipy LP per side.

Written for the benchmarks only (it is what a first implementation looks
like): every region is an inequality system; each unit of each layer splits
it by testing both sides with ``scipy.optimize.linprog`` (maximise a common
slack, float64). It shares no code with tropnet's engines.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from tropnet import Network


def _interior(A: np.ndarray, b: np.ndarray) -> bool:
    n = A.shape[1]
    norms = np.linalg.norm(A, axis=1, keepdims=True)
    rows = np.hstack([A, norms])
    res = linprog(np.r_[np.zeros(n), -1.0], A_ub=rows, b_ub=b,
                  bounds=[(None, None)] * n + [(None, 1.0)], method="highs")
    return res.status == 0 and -res.fun > 1e-9


def naive_count(net: Network, lo: float | None = None, hi: float | None = None) -> int:
    """Activation regions of a ReLU network on R^n (or the cube [lo, hi]^n)."""
    n = net.input_dim
    if lo is None:
        A0, b0 = np.zeros((0, n)), np.zeros(0)
    else:
        A0 = np.vstack([np.eye(n), -np.eye(n)])
        b0 = np.r_[np.full(n, hi), np.full(n, -lo)]
    layers = [(np.asarray(ly.weight, dtype=float), np.asarray(ly.bias, dtype=float),
               ly.activation) for ly in net.layers]
    count = 0
    stack = [(A0, b0, np.eye(n), np.zeros(n), 0, 0, None)]
    while stack:
        A, b, J, c, li, unit, mask = stack.pop()
        W, bias, act = layers[li]
        if act == "identity":
            count += 1
            continue
        zJ, zc = W @ J, W @ c + bias
        if unit == len(bias):  # layer done: move to the next layer
            m = np.asarray(mask, dtype=float)
            stack.append((A, b, m[:, None] * zJ, m * zc, li + 1, 0, None))
            continue
        mask = [] if mask is None else mask
        w, beta = zJ[unit], zc[unit]
        for side in (1.0, -1.0):  # side +1: unit active (w x + beta >= 0)
            A2 = np.vstack([A, -side * w])
            b2 = np.r_[b, side * beta]
            if _interior(A2, b2):
                stack.append((A2, b2, J, c, li, unit + 1, [*mask, side > 0]))
    return count
