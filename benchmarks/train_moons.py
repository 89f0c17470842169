"""Train the shipped 2-[16,16]-1 ReLU net on two moons: ``benchmarks/nets/moons16.json``.

Deterministic (numpy only, ``default_rng(SEED)``): 400 points of the two-moons set
(200 per moon, Gaussian noise 0.1), He-initialised weights (``N(0, 2/fan_in)``, zero
biases), identity output, logistic loss on labels ``+-1`` (``log(1 + exp(-y f(x)))``),
500 full-batch Adam steps (step 0.01, betas 0.9 / 0.999, eps 1e-8). Run
``python -m benchmarks.train_moons`` to write the file again (the same bytes).

Result of that run: training accuracy 100.0 % (400 of 400), final mean loss 0.0002;
689 linear regions and 689 activation regions on R^2 (``tropnet regions ... --method
enumerate``). The data lie in the box ``x1 in [-1.1278, 2.1718]``,
``x2 in [-0.6458, 1.2203]`` (min / max of the data): count on it, rounded outwards, with
``--domain "box:-1.13,2.18;-0.65,1.23"``.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

from tropnet import Network
from tropnet.io import save_network

OUT = Path(__file__).resolve().parent / "nets" / "moons16.json"
SEED = 0
POINTS = 400
NOISE = 0.1
HIDDEN = (16, 16)
STEPS = 500
LR = 0.01
BETAS = (0.9, 0.999)
EPS = 1e-8


def two_moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points of two interleaved half circles (``n // 2`` each) with Gaussian noise;
    labels ``+1`` (upper moon, centre 0) and ``-1`` (lower moon, centre (1, 0.5))."""
    half = n // 2
    t_up = rng.uniform(0.0, np.pi, size=half)
    t_lo = rng.uniform(0.0, np.pi, size=n - half)
    up = np.stack([np.cos(t_up), np.sin(t_up)], axis=1)
    lo = np.stack([1.0 - np.cos(t_lo), 0.5 - np.sin(t_lo)], axis=1)
    x = np.concatenate([up, lo]) + rng.normal(0.0, noise, size=(n, 2))
    y = np.concatenate([np.ones(half), -np.ones(n - half)])
    return x, y


def init(dims: list[int], rng: np.random.Generator) -> list[np.ndarray]:
    """He initialisation: ``W ~ N(0, 2/fan_in)``, ``b = 0``; returns ``[W0, b0, W1, ...]``."""
    params = []
    for a, b in itertools.pairwise(dims):
        params += [rng.normal(0.0, np.sqrt(2.0 / a), size=(b, a)), np.zeros(b)]
    return params


def forward(params: list[np.ndarray], x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """The output ``f(x)`` (ReLU hidden layers, identity output) and each layer's input."""
    h, inputs = x, []
    layers = len(params) // 2
    for i in range(layers):
        inputs.append(h)
        z = h @ params[2 * i].T + params[2 * i + 1]
        h = z if i == layers - 1 else np.maximum(z, 0.0)
    return h[:, 0], inputs


def loss_and_grad(params: list[np.ndarray], x: np.ndarray, y: np.ndarray
                  ) -> tuple[float, list[np.ndarray]]:
    """Mean logistic loss ``log(1 + exp(-y f))`` and its gradient (backpropagation)."""
    f, inputs = forward(params, x)
    margin = y * f
    loss = float(np.mean(np.logaddexp(0.0, -margin)))
    # d loss / d f = -y sigmoid(-y f) / n
    delta = (-y / (1.0 + np.exp(margin)) / len(y))[:, None]
    grads: list[np.ndarray] = [np.empty(0)] * len(params)
    for i in reversed(range(len(params) // 2)):
        grads[2 * i] = delta.T @ inputs[i]
        grads[2 * i + 1] = delta.sum(axis=0)
        if i:
            delta = (delta @ params[2 * i]) * (inputs[i] > 0)
    return loss, grads


def train(seed: int = SEED) -> tuple[Network, dict]:
    """The trained network and a report (accuracy, loss, data box)."""
    rng = np.random.default_rng(seed)
    x, y = two_moons(POINTS, NOISE, rng)
    params = init([2, *HIDDEN, 1], rng)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    b1, b2 = BETAS
    loss = float("nan")
    for t in range(1, STEPS + 1):
        loss, grads = loss_and_grad(params, x, y)
        for p, g, mi, vi in zip(params, grads, m, v, strict=True):
            mi *= b1
            mi += (1 - b1) * g
            vi *= b2
            vi += (1 - b2) * g * g
            p -= LR * (mi / (1 - b1 ** t)) / (np.sqrt(vi / (1 - b2 ** t)) + EPS)
    f, _ = forward(params, x)
    acc = float(np.mean(np.sign(f) == y))
    layers = []
    for i in range(len(params) // 2):
        act = "identity" if i == len(params) // 2 - 1 else "relu"
        layers.append((params[2 * i].tolist(), params[2 * i + 1].tolist(), act))
    net = Network.from_lists(2, layers)
    report = {"accuracy": acc, "loss": loss, "data_min": x.min(axis=0).tolist(),
              "data_max": x.max(axis=0).tolist()}
    return net, report


def main(out: Path = OUT) -> dict:
    net, report = train()
    save_network(net, out)
    return report


if __name__ == "__main__":
    rep = main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
    print(f"training accuracy {100 * rep['accuracy']:.1f} %, loss {rep['loss']:.4f}, "
          f"data box x1 [{rep['data_min'][0]:.4f}, {rep['data_max'][0]:.4f}], "
          f"x2 [{rep['data_min'][1]:.4f}, {rep['data_max'][1]:.4f}]")
