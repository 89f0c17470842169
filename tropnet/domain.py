"""Input domains: all of ``R^n``, a box, or a polytope ``{x : A x <= b}``.

Regions are always intersected with the domain, and a region counts only
when it has a non-empty interior inside the domain. A domain may leave its
dimension open (``rn()``, ``box(-1, 1)``); :meth:`Domain.resolve` fixes it
from the network or expression it is used with.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from .arithmetic import EXACT, Arithmetic, format_number
from .errors import DomainError, NetworkError, TropnetError
from .files import load_json
from .network import read_number
from .polyhedra import Polyhedron, linprog

__all__ = ["Domain", "box", "parse_domain", "polytope", "rn"]


@dataclass(frozen=True, eq=False)
class Domain:
    """A domain of inputs. Build with :func:`rn`, :func:`box` or :func:`polytope`.

    ``kind`` is ``"rn"``, ``"box"`` or ``"polytope"``; ``n`` is the dimension
    (``None`` until resolved); ``lo``/``hi`` are the box bounds and ``A``/``b``
    the polytope rows, all exact Fractions; ``exact_input`` says whether every
    number was rational (for the default arithmetic rule).

    Attributes
    ----------
    kind : str
        The kind of domain: ``"rn"``, ``"box"`` or ``"polytope"``.
    n : int or None, default None
        The dimension; ``None`` until resolved.
    lo : tuple of Fraction or None
        The box's lower bounds.
    hi : tuple of Fraction or None
        The box's upper bounds.
    A : tuple of tuple of Fraction or None
        The polytope's rows ``A x <= b``.
    b : tuple of Fraction or None
        The polytope's right-hand sides.
    exact_input : bool, default True
        Whether every number was rational (for the default arithmetic rule).
    label : str or None, default None
        The name shown by `describe` (a polytope's file).
    """

    kind: str
    n: int | None = None
    lo: tuple[Fraction, ...] | None = None
    hi: tuple[Fraction, ...] | None = None
    A: tuple[tuple[Fraction, ...], ...] | None = None
    b: tuple[Fraction, ...] | None = None
    exact_input: bool = True
    label: str | None = None

    @property
    def bounded(self) -> bool:
        """True for a box, and for a polytope that is bounded."""
        return self.kind == "box" or (self.kind == "polytope" and self._polytope_bounded())

    @property
    def has_line(self) -> bool:
        """True when the domain contains a whole line (``R^n``, or a polytope whose rows
        ``A`` have rank below ``n``, such as a strip): the vertex engine needs a domain
        without lines."""
        if self.kind == "rn":
            return True
        if self.kind == "box":
            return False
        rows = np.array(self.A, dtype=object)
        null = Polyhedron.from_inequalities(np.concatenate([rows, -rows]),  # {d : A d = 0}
                                            [0] * (2 * len(rows)), EXACT, rows.shape[1])
        return null.dimension() > 0

    def _polytope_bounded(self) -> bool:
        n = self.n or 0
        A = np.array(self.A, dtype=object)
        for k in range(n):
            for sgn in (1, -1):
                c = [0] * n
                c[k] = sgn
                if linprog(c, A, list(self.b or ()), EXACT, maximize=True).status != "optimal":
                    return False
        return True

    def resolve(self, n: int) -> Domain:
        """This domain in dimension ``n``: broadcast scalar box bounds, check dimensions and
        that the interior is non-empty.

        Parameters
        ----------
        n : int
            The input dimension.
        """
        if self.n is not None and self.n != n:
            raise DomainError(f"domain has dimension {self.n} but the input has dimension {n}")
        if self.kind == "rn":
            return Domain("rn", n, exact_input=True)
        if self.kind == "box":
            lo = self.lo if len(self.lo or ()) != 1 else self.lo * n  # type: ignore[operator]
            hi = self.hi if len(self.hi or ()) != 1 else self.hi * n  # type: ignore[operator]
            if len(lo) != n or len(hi) != n:  # type: ignore[arg-type]
                raise DomainError(f"box has {len(lo)} lower and {len(hi)} upper bounds but "  # type: ignore[arg-type]
                                  f"the input has dimension {n}")
            bad = [i for i in range(n) if not lo[i] < hi[i]]  # type: ignore[index]
            if bad:
                i = bad[0]
                raise DomainError(f"empty box: lower bound {float(lo[i]):g} is not below upper "  # type: ignore[index]
                                  f"bound {float(hi[i]):g} in coordinate {i + 1}")  # type: ignore[index]
            return Domain("box", n, tuple(lo), tuple(hi), exact_input=self.exact_input)  # type: ignore[arg-type]
        cols = len(self.A[0]) if self.A else n
        if cols != n:
            raise DomainError(f"polytope has {cols} columns but the input has dimension {n}")
        out = Domain("polytope", n, A=self.A, b=self.b, exact_input=self.exact_input,
                     label=self.label)
        if out.polyhedron(EXACT).interior_point() is None:
            raise DomainError("the polytope {x : A x <= b} has an empty interior "
                              "(infeasible or lower-dimensional)")
        return out

    def polyhedron(self, arith: Arithmetic) -> Polyhedron:
        """The domain as a :class:`~tropnet.polyhedra.Polyhedron` (must be resolved).

        Parameters
        ----------
        arith : Arithmetic
            The arithmetic of the rows.
        """
        if self.n is None:
            raise DomainError("domain dimension is not known yet; call resolve(n)")
        if self.kind == "rn":
            return Polyhedron.whole(self.n, arith)
        if self.kind == "box":
            return Polyhedron.box(self.lo, self.hi, arith)
        return Polyhedron.from_inequalities(self.A, self.b, arith, self.n)

    def describe(self) -> str:
        """Short text: ``rn``, ``box:[-1,1]^2``, ``box:[lo..]x[..]``, ``polytope(k rows)``."""
        if self.kind == "rn":
            return "rn"
        if self.kind == "box":
            lo, hi = self.lo or (), self.hi or ()
            if len(set(lo)) == 1 and len(set(hi)) == 1:
                dim = f"^{self.n}" if self.n else ""
                return f"box:[{_fmt(lo[0])},{_fmt(hi[0])}]{dim}"
            return "box:" + "x".join(f"[{_fmt(a)},{_fmt(b)}]" for a, b in zip(lo, hi,
                                                                              strict=True))
        return self.label or f"polytope({len(self.b or ())} inequalities)"

    def to_dict(self) -> dict:
        """The JSON form: ``kind``, ``description`` and the bounds or rows."""
        out: dict[str, Any] = {"kind": self.kind, "description": self.describe()}
        if self.kind == "box":
            out["lo"] = [format_number(v) for v in self.lo or ()]
            out["hi"] = [format_number(v) for v in self.hi or ()]
        if self.kind == "polytope":
            out["A"] = [[format_number(v) for v in row] for row in self.A or ()]
            out["b"] = [format_number(v) for v in self.b or ()]
        return out

    def __str__(self) -> str:
        return self.describe()


def _fmt(v: Fraction) -> str:
    f = format_number(v)
    return str(f)


def rn(n: int | None = None) -> Domain:
    """All of ``R^n`` (dimension taken from the network when ``n`` is ``None``).

    Parameters
    ----------
    n : int or None, default None
        The dimension.
    """
    return Domain("rn", n)


def _numbers(values: Any, what: str) -> tuple[tuple[Fraction, ...], bool]:
    arr = np.atleast_1d(np.asarray(values, dtype=object)).reshape(-1)
    out, rational = [], True
    for i, v in enumerate(arr):
        try:
            f, r = read_number(v, f"{what}[{i}]")
        except NetworkError as exc:
            raise DomainError(str(exc)) from None
        out.append(f)
        rational &= r
    return tuple(out), rational


def box(lo: Any, hi: Any, n: int | None = None) -> Domain:
    """The box ``lo <= x <= hi`` (scalars apply to every coordinate).

    Parameters
    ----------
    lo, hi : number or sequence of numbers
        The lower and upper bounds (a scalar applies to every coordinate).
    n : int or None, default None
        The dimension; ``None`` takes it from the bounds or the network.

    Examples
    --------
    >>> box(-1, 1).resolve(2).describe()
    'box:[-1,1]^2'
    """
    lo_v, r1 = _numbers(lo, "lo")
    hi_v, r2 = _numbers(hi, "hi")
    if len(lo_v) != len(hi_v) and 1 not in (len(lo_v), len(hi_v)):
        raise DomainError(f"box has {len(lo_v)} lower but {len(hi_v)} upper bounds")
    if len(lo_v) == 1 and len(hi_v) > 1:
        lo_v = lo_v * len(hi_v)
    if len(hi_v) == 1 and len(lo_v) > 1:
        hi_v = hi_v * len(lo_v)
    dom = Domain("box", n if n is not None else (len(lo_v) if len(lo_v) > 1 else None),
                 lo_v, hi_v, exact_input=r1 and r2)
    if dom.n is not None:
        return dom.resolve(dom.n)
    bad = [i for i in range(len(lo_v)) if not lo_v[i] < hi_v[i]]
    if bad:
        raise DomainError(f"empty box: lower bound {float(lo_v[0]):g} is not below upper bound "
                          f"{float(hi_v[0]):g}")
    return dom


def polytope(A: Any, b: Any, label: str | None = None) -> Domain:
    """The polytope ``{x : A x <= b}`` (must have a non-empty interior).

    Parameters
    ----------
    A : array_like
        The rows, one inequality ``A_i x <= b_i`` each.
    b : array_like
        The right-hand sides.
    label : str or None, default None
        The name shown by `Domain.describe`.
    """
    rows = np.asarray(A, dtype=object)
    if rows.ndim != 2 or rows.shape[0] == 0 or rows.shape[1] == 0:
        raise DomainError(f"polytope A must be a non-empty matrix, got shape {rows.shape}")
    A_v = []
    rational = True
    for i, row in enumerate(rows):
        vals, r = _numbers(row, f"A[{i}]")
        A_v.append(vals)
        rational &= r
    b_v, rb = _numbers(b, "b")
    if len(b_v) != len(A_v):
        raise DomainError(f"polytope has {len(A_v)} rows in A but {len(b_v)} entries in b")
    dom = Domain("polytope", rows.shape[1], A=tuple(A_v), b=b_v, exact_input=rational and rb,
                 label=label)
    return dom.resolve(rows.shape[1])


def parse_domain(text: str | Domain | None, n: int | None = None) -> Domain:
    """Read a domain from the CLI syntax.

    ``rn``; ``box:LO,HI`` (same bounds in every coordinate);
    ``box:LO1,HI1;LO2,HI2;...`` (per coordinate); ``polytope:FILE.json`` with
    ``{"A": [[...], ...], "b": [...]}``. The result is resolved to ``n`` when given.

    Parameters
    ----------
    text : str, Domain or None
        The domain text; a `Domain` is returned (resolved to ``n``); ``None`` is ``rn``.
    n : int or None, default None
        The dimension to resolve to.
    """
    if isinstance(text, Domain):
        return text.resolve(n) if n is not None else text
    if text is not None and not isinstance(text, str):
        raise DomainError(f"a domain is a Domain (rn(), box(...), polytope(...)) or text such "
                          f"as 'box:-1,1', got {type(text).__name__}")
    spec = (text or "rn").strip()
    if spec == "rn":
        dom = rn()
    elif spec.startswith("box:"):
        parts = [p for p in spec[4:].split(";") if p.strip()]
        try:
            pairs = [[s.strip() for s in p.split(",")] for p in parts]
        except ValueError:
            pairs = []
        if not pairs or any(len(p) != 2 for p in pairs):
            raise DomainError(f"cannot read domain {spec!r}: use box:LO,HI or "
                              f"box:LO1,HI1;LO2,HI2;...")
        dom = box([p[0] for p in pairs], [p[1] for p in pairs])
    elif spec.startswith("polytope:"):
        path = spec[len("polytope:"):]
        try:
            data = load_json(path)
        except TropnetError as exc:
            raise DomainError(str(exc)) from None
        if not isinstance(data, dict) or "A" not in data or "b" not in data:
            raise DomainError(f"{path}: a polytope file needs keys 'A' and 'b'")
        dom = polytope(data["A"], data["b"], label=f"polytope:{os.path.basename(path)}")
    else:
        raise DomainError(f"unknown domain {spec!r}: use rn, box:LO,HI or polytope:FILE.json")
    return dom.resolve(n) if n is not None else dom
