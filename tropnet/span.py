"""The input span of a network: a first layer that reads fewer directions than it has inputs.

When the first layer's weight ``W`` (``m x n``) has fewer rows than inputs (``m < n``), it has
rank ``r < n``, and every unit sees ``x`` only through ``z = B x``, where ``B`` (``r x n``)
holds ``r`` linearly independent rows of ``W`` and ``W = C B``. Then ``net(x) = g(B x)`` for
the network ``g`` on ``R^r`` whose first weight is ``C`` (the identity on the rows of ``B``).

On all of ``R^n`` the map ``x -> B x`` is onto ``R^r``, so regions correspond one to one: the
region of ``x`` is the preimage of the region of ``B x`` (the preimage of a non-empty open
set is non-empty and open), with the same activation pattern; facets and adjacency carry
over. Its inequalities ``A z <= b`` become ``(A B) x <= b``, its affine map ``M z + c``
becomes ``(M B) x + c``, and a point ``z`` lifts to ``x = B^T (B B^T)^-1 z`` (so ``B x = z``).
A tropical monomial ``a . z + c`` becomes ``(a B) . x + c``: distinct ``a`` stay distinct
(``B`` has full row rank) and a monomial is irredundant on ``R^n`` iff it is on ``R^r``.
Only ``R^n`` reduces this way: a box in ``x`` is not the preimage of a set in ``z``.

This is what makes networks with 784 inputs and a narrow first layer (Lezeau et al. §6.5)
as cheap as networks with ``r`` inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from .arithmetic import EXACT, Arithmetic
from .network import Layer, Network

__all__ = ["InputSpan", "exact_matmul", "input_span"]


@dataclass(frozen=True, eq=False)
class InputSpan:
    """``net(x) = net_on_span(basis @ x)``: the first layer reads ``x`` through the ``r``
    rows of ``basis`` (exact, ``r x n``, full row rank, ``r < n``).

    Attributes
    ----------
    basis : ndarray
        The rows (exact, ``r x n``, full row rank).
    net_on_span : Network
        The network on ``R^r``.
    """

    basis: np.ndarray
    net_on_span: Network

    @property
    def rank(self) -> int:
        """The dimension ``r`` of the span."""
        return int(self.basis.shape[0])

    def lift_rows(self, rows: np.ndarray, arith: Arithmetic) -> np.ndarray:
        """``rows @ basis``: linear forms on ``z`` as linear forms on ``x``.

        Parameters
        ----------
        rows : ndarray
            Linear forms on ``z``, one per row.
        arith : Arithmetic
            The arithmetic of the result.
        """
        if arith.exact:
            return exact_matmul(rows, self.basis)
        return np.asarray(rows, dtype=float) @ np.asarray(self.basis, dtype=float)

    def lift_point(self, z: Any, arith: Arithmetic) -> np.ndarray:
        """A point ``x`` with ``basis @ x = z`` (in float mode, up to rounding).

        Parameters
        ----------
        z : array_like
            A point of ``R^r``.
        arith : Arithmetic
            The arithmetic of the result.
        """
        if arith.exact:
            y = self._gram_inverse @ np.asarray(z, dtype=object)
            return exact_matmul(y.reshape(1, -1), self.basis)[0]
        B = np.asarray(self.basis, dtype=float)
        return B.T @ np.linalg.solve(B @ B.T, np.asarray(z, dtype=float))

    @property
    def _gram_inverse(self) -> np.ndarray:
        cached = self.__dict__.get("_gram")
        if cached is None:
            B = self.basis
            gram = exact_matmul(B, B.T)
            cached = np.array(solve_exact(gram.tolist(), np.eye(len(gram), dtype=int).tolist()),
                              dtype=object)
            object.__setattr__(self, "_gram", cached)
        return cached


def input_span(net: Network, arith: Arithmetic) -> InputSpan | None:
    """The input span of ``net`` when its first layer has fewer rows than inputs (``None``
    otherwise, or in float mode when a row's coefficients in the basis are not floats).

    Parameters
    ----------
    net : Network
        The network.
    arith : Arithmetic
        The arithmetic of the network on the span.
    """
    first = net.layers[0]
    W, b = first.params(EXACT)
    m, n = W.shape
    if m >= n:
        return None
    basis, coeffs = _row_basis(W)
    C = np.zeros((m, len(basis)), dtype=object)
    C[:] = Fraction(0)
    for i, row in coeffs.items():
        C[i] = row
    if not arith.exact and any(Fraction(float(v)) != v for v in C.reshape(-1)):
        return None
    weight = C if arith.exact else np.asarray(C, dtype=float)
    bias = b if arith.exact else first.float_params[1]
    layer = Layer.create(weight.tolist(), bias.tolist(), first.act, meta=first.meta)
    return InputSpan(_frozen(W[basis]), Network(len(basis), (layer, *net.layers[1:])))


def _row_basis(W: np.ndarray) -> tuple[list[int], dict[int, list[Fraction]]]:
    """Independent rows of ``W`` (first ones first) and every row's coefficients in them."""
    n = W.shape[1]
    basis: list[int] = []
    reduced: list[tuple[int, list[Fraction], dict[int, Fraction]]] = []
    coeffs: dict[int, list[Fraction]] = {}
    for i, row in enumerate(W):
        v = [Fraction(x) for x in row]
        comb: dict[int, Fraction] = {}  # v = W_i - sum comb[j] W_j
        for p, rv, rcomb in reduced:
            if v[p] != 0:
                f = v[p] / rv[p]
                v = [a - f * c for a, c in zip(v, rv, strict=True)]
                for j, w in rcomb.items():
                    comb[j] = comb.get(j, Fraction(0)) + f * w
        pivot = next((k for k in range(n) if v[k] != 0), None)
        if pivot is None:  # W_i = sum comb[j] W_j
            coeffs[i] = comb
            continue
        own = {i: Fraction(1), **{j: -w for j, w in comb.items()}}  # v as a combination of W
        reduced.append((pivot, v, own))
        basis.append(i)
    position = {j: k for k, j in enumerate(basis)}
    out: dict[int, list[Fraction]] = {}
    for i in range(W.shape[0]):
        row = [Fraction(0)] * len(basis)
        if i in position:
            row[position[i]] = Fraction(1)
        else:
            for j, w in coeffs[i].items():
                row[position[j]] += w
        out[i] = row
    return basis, out


def exact_matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ B`` for matrices of rationals, in integers over one common denominator each
    (:meth:`~tropnet.arithmetic.ScaledMatrix.__matmul__`), as Fractions.

    Parameters
    ----------
    A, B : ndarray
        Matrices of rationals.
    """
    return (EXACT.scaled(A) @ EXACT.scaled(B)).values()


def solve_exact(M: list[list[Any]], R: list[list[Any]]) -> list[list[Fraction]]:
    """``M^-1 R`` for a small matrix of rationals (Gauss-Jordan on Fractions).

    Parameters
    ----------
    M : list of list
        A square matrix of rationals.
    R : list of list
        The right-hand sides, one row per row of ``M``.

    Raises
    ------
    ZeroDivisionError
        When ``M`` is singular.
    """
    k = len(M)
    aug = [[Fraction(v) for v in M[i]] + [Fraction(v) for v in R[i]] for i in range(k)]
    for col in range(k):
        piv = next((r for r in range(col, k) if aug[r][col] != 0), None)
        if piv is None:
            raise ZeroDivisionError("singular matrix")
        aug[col], aug[piv] = aug[piv], aug[col]
        p = aug[col][col]
        aug[col] = [v / p for v in aug[col]]
        for r in range(k):
            if r != col and aug[r][col] != 0:
                f = aug[r][col]
                aug[r] = [a - f * c for a, c in zip(aug[r], aug[col], strict=True)]
    return [row[k:] for row in aug]


def _frozen(a: np.ndarray) -> np.ndarray:
    out = np.array(a, dtype=object)
    out.setflags(write=False)
    return out
