"""Compiling a network into tropical rational maps (Zhang, Naitzat & Lim 2018, Thm 5.2).

Each layer input is written as ``F_j - G_j`` (at the input, ``F_j = x_j`` and
``G_j = 0``). With ``W = W+ - W-`` (entrywise non-negative parts), the
pre-activation ``z_i = H_i - N_i`` where::

    H_i = b_i ⊙ (⊙_j F_j^{W+_ij}) ⊙ (⊙_j G_j^{W-_ij})
    N_i =       (⊙_j G_j^{W+_ij}) ⊙ (⊙_j F_j^{W-_ij})

and the activation gives the next ``F'``, ``G'``:

* ReLU: ``max(H - N, 0) = (H ⊕ N) - N``, so ``F' = H ⊕ N``, ``G' = N``;
* leaky ReLU (slope ``s``): ``F' = (H ⊙ N^s) ⊕ (H^s ⊙ N)``, ``G' = N^{1+s}``;
* maxout (pieces ``r``): ``F' = ⊕_r (H^r ⊙ ⊙_{q≠r} N^q)``, ``G' = ⊙_r N^r``;
* identity: ``F' = H``, ``G' = N``.

All four are one rule over the activation's pieces, applied by
:meth:`tropnet.activations.Activation.tropical`.

Products multiply monomial counts, so with ``prune=True`` every product is
pruned as soon as it is formed (pruning never changes the function).

In float mode the network is compiled exactly, on the exact rationals of its
float weights, and the result is rounded to floats at the end: its monomials
are the irredundant monomials of the network as given (a float compile would
decide them on rounded exponents and coefficients).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..arithmetic import EXACT, Arithmetic, resolve
from ..limits import check_memory, check_time, forced, note
from ..network import Layer, Network, as_network
from ..progress import step as report
from ..span import InputSpan, exact_matmul, input_span
from .polynomial import TropicalPolynomial
from .rational import TropicalRational

__all__ = ["compile_layer", "compile_network", "lift_from_span"]


def compile_network(net: Network, prune: bool = True, exact: bool | Arithmetic | None = None,
                    progress: Callable[[int, int, str], None] | None = None,
                    force: bool = False) -> list[TropicalRational]:
    """The tropical rational maps ``F_k ⊘ G_k``, one per output, equal to the network.

    In float mode the maps are computed exactly and rounded at the end (the monomials
    are those of the exact maps). ``progress(units, total, what)`` is called after each
    unit of each layer; ``force=True`` lifts the size and memory budgets
    (:func:`tropnet.limits.forced`).

    Parameters
    ----------
    net : Network
        The network.
    prune : bool, default True
        Keep only the irredundant monomials (pruning every product).
    exact : bool, Arithmetic or None, default None
        The arithmetic of the result; ``None`` is exact iff every number of the network is
        rational.
    progress : callable or None, default None
        ``progress(units, total, what)`` after each unit: the units compiled so far out of
        all units of all layers, and ``what`` naming the layer and its monomials so far.
    force : bool, default False
        Lift the size and memory budgets.

    Examples
    --------
    >>> from tropnet import Network
    >>> net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])
    >>> [str(r) for r in compile_network(net)]     # |x| = relu(x) + relu(-x)
    ['max(0, 2*x1) - x1']
    """
    net = as_network(net, "compile_network")
    arith = resolve(exact, net)
    net.check_magnitude(arith)
    span = input_span(net, EXACT)
    if span is not None:  # compile on the span of the first layer's rows, then substitute
        maps = compile_network(span.net_on_span, prune, EXACT, progress, force)
        return [m.to(arith) for m in lift_from_span(maps, net, span)]
    n = net.input_dim
    F = [TropicalPolynomial.variable(j, n, EXACT) for j in range(n)]
    G = [TropicalPolynomial.constant(0, n, EXACT)] * n
    total, done = sum(layer.out_dim for layer in net.layers), 0
    with forced(force):
        for li, layer in enumerate(net.layers):
            check_memory("compiling the network", "count regions with --method enumerate instead")

            def step(units: int, monomials: int, li: int = li, done: int = done) -> None:
                if progress is not None:
                    progress(done + units, total, f"layer {li + 1} of {len(net.layers)}, "
                                                  f"{monomials:,} monomials")

            F, G = compile_layer(layer, F, G, EXACT, prune, step)
            done += layer.out_dim
            note(so_far=f"{li + 1} of {len(net.layers)} layers compiled")
    return [TropicalRational(f.to(arith), g.to(arith)) for f, g in zip(F, G, strict=True)]


def lift_from_span(maps: list[TropicalRational], net: Network, span: InputSpan
                   ) -> list[TropicalRational]:
    """The compile of ``net`` from the (exact) compile of ``span.net_on_span``: each map
    composed with ``x -> B x``, numerator and denominator times their common monomial factor
    (so the monomials are exactly those of the rule applied on ``R^n``).

    Parameters
    ----------
    maps : list of TropicalRational
        The exact compile of ``span.net_on_span``.
    net : Network
        The network.
    span : InputSpan
        Its input span.
    """
    return [TropicalRational(m.numerator.compose_linear(span.basis) & f,
                             m.denominator.compose_linear(span.basis) & f)
            for m, f in zip(maps, _span_factors(net, span), strict=True)]


def _span_factors(net: Network, span: InputSpan) -> list[TropicalPolynomial]:
    """Per output, the monomial ``M`` with ``F = M ⊙ F~(B x)`` and ``G = M ⊙ G~(B x)``, where
    ``F ⊘ G`` is the compile of ``net`` and ``F~ ⊘ G~`` that of ``span.net_on_span``.

    A first-layer row ``W_i = C_i B`` gives ``H_i = b_i + W+_i x``, ``N_i = W-_i x`` and, on
    the span, ``H~_i = b_i + C+_i z``, ``N~_i = C-_i z``: both pairs differ by the monomial
    ``m_i = (W-_i - C-_i B) . x``. Every rule keeps such a common factor common: an
    activation turns the factors ``m`` of its rows into that of ``G'`` (its rule applied to
    ``H = N = m``), an affine layer into ``sum_j |W_ij| m_j``."""
    n = net.input_dim
    one = TropicalPolynomial.constant(0, n, EXACT)

    def mono(row: Any) -> TropicalPolynomial:
        return TropicalPolynomial.from_monomials([list(row)], [0], EXACT)

    W, _ = net.layers[0].params(EXACT)
    C = span.net_on_span.layers[0].weight
    c_minus = np.where(C < 0, -C, 0)
    first = np.where(W < 0, -W, 0) - exact_matmul(c_minus, span.basis)
    rows = [mono(r) for r in first]
    F = net.layers[0].act.tropical(rows, rows, EXACT, one, lambda p: p)[1]
    for layer in net.layers[1:]:
        W, _ = layer.params(EXACT)
        E = np.array([f.exponents[0] for f in F], dtype=object)
        rows = [mono(r) for r in exact_matmul(np.abs(W), E)]
        F = layer.act.tropical(rows, rows, EXACT, one, lambda p: p)[1]
    return F


def compile_layer(layer: Layer, F: list[TropicalPolynomial], G: list[TropicalPolynomial],
                  arith: Arithmetic, prune: bool = True,
                  step: Callable[[int, int], None] | None = None
                  ) -> tuple[list[TropicalPolynomial], list[TropicalPolynomial]]:
    """One layer's rule: inputs ``F_j - G_j`` to outputs ``F'_i - G'_i``.

    Parameters
    ----------
    layer : Layer
        The layer.
    F, G : list of TropicalPolynomial
        The inputs ``F_j - G_j``.
    arith : Arithmetic
        The arithmetic.
    prune : bool, default True
        Prune every product.
    step : callable or None, default None
        ``step(units, monomials)`` after each unit's pre-activation: the units done and
        the monomials of their ``H_i`` and ``N_i``.
    """
    simplify = _pruner(prune)
    zero = TropicalPolynomial.constant(0, F[0].nvars, arith)
    H, N = _affine_layer(layer, F, G, zero, arith, simplify, step)
    return _activate(layer, H, N, arith, simplify)


def _pruner(prune: bool) -> Callable[[TropicalPolynomial], TropicalPolynomial]:
    return (lambda p: p.prune()) if prune else (lambda p: p)


def _affine_layer(layer: Layer, F: list[TropicalPolynomial], G: list[TropicalPolynomial],
                  zero: TropicalPolynomial, arith: Arithmetic,
                  simplify: Callable[[TropicalPolynomial], TropicalPolynomial],
                  step: Callable[[int, int], None] | None = None
                  ) -> tuple[list[TropicalPolynomial], list[TropicalPolynomial]]:
    """Pre-activations ``z_i = H_i - N_i`` of a layer given inputs ``F_j - G_j``."""
    W, b = layer.params(arith)
    H, N = [], []
    for i in range(W.shape[0]):
        h, nn = zero.shift(b[i]), zero
        for j in range(W.shape[1]):
            w = W[i, j]
            check_time("compiling the network")
            report(f"unit {i + 1} of {W.shape[0]}", j, W.shape[1], "products",
                   f"{len(h) + len(nn):,} monomials")
            if w > 0:
                h, nn = simplify(h & (F[j] ** w)), simplify(nn & (G[j] ** w))
            elif w < 0:
                h, nn = simplify(h & (G[j] ** -w)), simplify(nn & (F[j] ** -w))
        H.append(h)
        N.append(nn)
        if step is not None:
            step(i + 1, sum(len(p) for p in H) + sum(len(p) for p in N))
    return H, N


def _activate(layer: Layer, H: list[TropicalPolynomial], N: list[TropicalPolynomial],
              arith: Arithmetic, simplify: Callable[[TropicalPolynomial], TropicalPolynomial]
              ) -> tuple[list[TropicalPolynomial], list[TropicalPolynomial]]:
    one = TropicalPolynomial.constant(0, H[0].nvars, arith)
    done = itertools.count(1)

    def counted(p: TropicalPolynomial) -> TropicalPolynomial:
        report("activation", next(done), None, "products", f"{len(p):,} monomials")
        return simplify(p)

    return layer.act.tropical(H, N, arith, one, counted)
