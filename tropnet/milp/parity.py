"""Parity (XOR) constraints ``sum_{j in U} z_j = parity (mod 2)`` over binaries, for MIPBound.

Three encodings (Serra & Ramalingam 2020, after Gomes, Sabharwal & Selman 2006), each a
block of slots held in cvxpy parameters, so adding a constraint re-solves the compiled
problem (a :class:`~tropnet.milp.formulation.Model` rebuilds it once when a block grows):

* ``"integer"`` (:class:`IntegerParity`): ``sum_{j in U} z_j - 2 t = parity`` with ``t``
  integer in ``[0, k/2]``;
* ``"chain"`` (:class:`ChainParity`): a chain of XORs ``u_m = u_{m-1} xor z_{j_m}`` with
  four linear inequalities each (``u`` continuous: binary inputs force binary values),
  ``u_k = parity``;
* ``"cuts"`` (:class:`CutParity`): the ``2^{k-1}`` canonical cuts of Balas & Jeroslow that
  exclude each assignment of ``U`` with the wrong parity (no auxiliary variables).
"""

from __future__ import annotations

import itertools

import cvxpy as cp
import numpy as np

__all__ = ["PARITY", "ChainParity", "CutParity", "IntegerParity", "ParityBlock"]


class ParityBlock:
    """Slots for parity constraints over the binaries ``z`` (cvxpy parameters, so adding a
    constraint re-solves the compiled problem); doubles its capacity when full.

    Parameters
    ----------
    z : cvxpy.Expression
        The binaries.
    k : int
        The size of each parity constraint.
    capacity : int
        The number of slots allocated at first.
    """

    def __init__(self, z: cp.Expression, k: int, capacity: int) -> None:
        self.z, self.k = z, k
        self.nz = int(z.shape[0])
        self.items: list[tuple[np.ndarray, int]] = []
        self.version = 0
        self._alloc(capacity)

    def _alloc(self, capacity: int) -> None:
        self.capacity = capacity
        self._build()
        for slot, (subset, bit) in enumerate(self.items):
            self._set(slot, subset, bit)
        self._flush()
        self.version += 1

    def add(self, subset: np.ndarray, bit: int) -> None:
        """Add the constraint ``sum_{j in subset} z_j = bit (mod 2)``.

        Parameters
        ----------
        subset : ndarray
            The indices of the binaries.
        bit : int
            The parity, 0 or 1.
        """
        self.items.append((np.asarray(subset), int(bit)))
        if len(self.items) > self.capacity:
            self._alloc(2 * self.capacity)
            return
        self._set(len(self.items) - 1, subset, bit)
        self._flush()

    def clear(self) -> None:
        """Remove every parity constraint."""
        self.items = []
        self._reset()
        self._flush()

    def constraints(self) -> list:
        """The block's cvxpy constraints."""
        return self.cons

    # subclasses: _build (variables, parameters, self.cons, self._reset()), _set, _flush


class IntegerParity(ParityBlock):
    """``A z - 2 t = y`` with ``t`` integer in ``[0, floor(k/2)]`` per slot."""

    def _build(self) -> None:
        R = self.capacity
        self.A = cp.Parameter((R, self.nz))
        self.y = cp.Parameter(R)
        t = cp.Variable(R, integer=True)
        self.cons = [self.A @ self.z - 2 * t == self.y, t >= 0, t <= self.k // 2]
        self._reset()

    def _reset(self) -> None:
        self._A = np.zeros((self.capacity, self.nz))
        self._y = np.zeros(self.capacity)

    def _set(self, slot: int, subset: np.ndarray, bit: int) -> None:
        self._A[slot] = 0.0
        self._A[slot, subset] = 1.0
        self._y[slot] = bit

    def _flush(self) -> None:
        self.A.value, self.y.value = self._A, self._y


class ChainParity(ParityBlock):
    """``u_1 = z_{j_1}``, ``u_m = u_{m-1} xor z_{j_m}`` (four inequalities each), ``u_k = y``;
    unused slots select nothing (all zero)."""

    def _build(self) -> None:
        R, k = self.capacity, self.k
        self.S = [cp.Parameter((R, self.nz)) for _ in range(k)]
        self.y = cp.Parameter(R)
        w = [S @ self.z for S in self.S]
        cons = []
        prev = w[0]
        for m in range(1, k):
            u = cp.Variable(R)
            cons += [u <= prev + w[m], u >= prev - w[m], u >= w[m] - prev,
                     u <= 2 - prev - w[m]]
            prev = u
        cons.append(prev == self.y)
        self.cons = cons
        self._reset()

    def _reset(self) -> None:
        self._S = [np.zeros((self.capacity, self.nz)) for _ in range(self.k)]
        self._y = np.zeros(self.capacity)

    def _set(self, slot: int, subset: np.ndarray, bit: int) -> None:
        for m in range(self.k):
            self._S[m][slot] = 0.0
            if m < len(subset):
                self._S[m][slot, subset[m]] = 1.0
        self._y[slot] = bit

    def _flush(self) -> None:
        for S, val in zip(self.S, self._S, strict=True):
            S.value = val
        self.y.value = self._y


class CutParity(ParityBlock):
    """The canonical cuts ``sum_{T} z - sum_{U \\ T} z <= |T| - 1`` for every ``T`` subset of
    ``U`` with ``|T|`` of the wrong parity (``2^{k-1}`` rows per slot)."""

    def _build(self) -> None:
        per = 2 ** (self.k - 1)
        self.per = per
        R = self.capacity * per
        self.C = cp.Parameter((R, self.nz))
        self.d = cp.Parameter(R)
        self.cons = [self.C @ self.z <= self.d]
        self._reset()

    def _reset(self) -> None:
        self._C = np.zeros((self.capacity * self.per, self.nz))
        self._d = np.zeros(self.capacity * self.per)

    def _set(self, slot: int, subset: np.ndarray, bit: int) -> None:
        rows = [T for size in range(len(subset) + 1) if size % 2 != bit
                for T in itertools.combinations(subset, size)]
        base = slot * self.per
        for m in range(self.per):
            self._C[base + m] = 0.0
            self._d[base + m] = 0.0
        for m, T in enumerate(rows):
            self._C[base + m, list(subset)] = -1.0
            self._C[base + m, list(T)] = 1.0
            self._d[base + m] = len(T) - 1

    def _flush(self) -> None:
        self.C.value, self.d.value = self._C, self._d


#: the parity encodings by name
PARITY: dict[str, type[ParityBlock]] = {"integer": IntegerParity, "chain": ChainParity,
                                        "cuts": CutParity}
