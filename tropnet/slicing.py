"""2-D slices of n-D maps: the restriction ``(s, t) -> F(p + s u + t v)``, exactly.

The restriction of a network or tropical map to a plane is again a network or
tropical map, with 2 inputs; its regions are the regions of ``F`` cut by the
plane, so every 2-D tool (counting, plotting) applies to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from .engines.tropical import input_dim
from .errors import DomainError, NetworkError, TropnetError
from .network import Layer, Network, read_number
from .tropical import TropicalPolynomial, TropicalRational

__all__ = ["parse_points", "parse_slice", "plane_coordinates", "plane_through",
           "restrict_to_plane"]


def parse_slice(text: str, n: int) -> tuple[tuple, tuple, tuple]:
    """Read ``"p=x1,..,xn;u=..;v=.."`` (the plane ``x = p + s u + t v``) in dimension ``n``.

    Numbers may be integers, decimals or fractions (``"1/2"``). ``p``
    defaults to the origin. Raises :class:`~tropnet.errors.DomainError` when
    a vector has the wrong length or ``u`` and ``v`` are parallel.

    Parameters
    ----------
    text : str
        The plane, ``"p=..;u=..;v=.."``.
    n : int
        The input dimension.
    """
    parts: dict[str, list[str]] = {}
    for item in text.split(";"):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in ("p", "u", "v") or key in parts:
            raise DomainError(f"cannot read slice {text!r}: use p=..;u=..;v=.. "
                              f"(comma-separated coordinates)")
        parts[key] = [s.strip() for s in value.split(",")]
    if "u" not in parts or "v" not in parts:
        raise DomainError(f"slice {text!r} needs both u=.. and v=..")
    parts.setdefault("p", ["0"] * n)
    return tuple(_vector(parts[k], n, k)[0] for k in ("p", "u", "v"))  # type: ignore[return-value]


def _vector(values: Sequence[Any], n: int, name: str) -> tuple[tuple, bool]:
    """Exact coordinates of a slice vector and whether all were rational (not floats)."""
    vals = list(np.asarray(values, dtype=object).reshape(-1))
    if len(vals) != n:
        raise DomainError(f"slice vector {name} has {len(vals)} coordinates, the input has {n}")
    try:
        parsed = [read_number(v, f"--slice {name}") for v in vals]
    except NetworkError as exc:
        raise DomainError(str(exc)) from None
    return tuple(f for f, _ in parsed), all(r for _, r in parsed)


def parse_points(text: str, n: int, count: int | None = None,
                 where: str = "--slice-points") -> list[tuple]:
    """Read points ``"x1,..,xn;y1,..,yn;..."`` in dimension ``n`` (exact: integers, decimals
    or fractions such as ``"1/2"``); ``count`` fixes how many. Raises
    :class:`~tropnet.errors.DomainError` on a wrong number of points or coordinates.

    Parameters
    ----------
    text : str
        The points, separated by ``;``.
    n : int
        The input dimension.
    count : int or None, default None
        The number of points required; ``None``: any.
    where : str, default "--slice-points"
        The option named in errors.

    Examples
    --------
    >>> parse_points("0,0;1,1/2;0,1", 2, 3)[1]
    (Fraction(1, 1), Fraction(1, 2))
    """
    items = [item for item in text.split(";") if item.strip()]
    if count is not None and len(items) != count:
        raise DomainError(f"{where} needs {count} points separated by ';', got {len(items)} "
                          f"in {text!r}")
    return [_vector([v.strip() for v in item.split(",")], n, f"{k + 1} of {where}")[0]
            for k, item in enumerate(items)]


def plane_through(a: Sequence[Any], b: Sequence[Any], c: Sequence[Any]
                  ) -> tuple[tuple, tuple, tuple]:
    """The plane through three inputs as ``(p, u, v)`` with ``p = a``, ``u = b - a``,
    ``v = c - a`` (exact), so that ``a, b, c`` sit at ``(s, t) = (0, 0), (1, 0), (0, 1)``
    (SplineCam's slices through data). Raises :class:`~tropnet.errors.DomainError` when the
    points are collinear (or two coincide).

    Parameters
    ----------
    a, b, c : sequence of numbers
        Three inputs, not collinear.

    Examples
    --------
    >>> [tuple(map(int, w)) for w in plane_through([0, 0, 1], [1, 0, 1], [0, 2, 1])]
    [(0, 0, 1), (1, 0, 0), (0, 2, 0)]
    """
    n = len(a)
    (A, _), (B, _), (C, _) = (_vector(x, n, name) for x, name in ((a, "a"), (b, "b"),
                                                                   (c, "c")))
    u = tuple(y - x for x, y in zip(A, B, strict=True))
    v = tuple(y - x for x, y in zip(A, C, strict=True))
    if all(u[i] * v[j] == u[j] * v[i] for i in range(n) for j in range(n)):
        raise DomainError("the three points are collinear (or two of them coincide): they "
                          "do not fix a plane")
    return A, u, v


def plane_coordinates(points: Any, p: Sequence[Any], u: Sequence[Any], v: Sequence[Any]
                      ) -> np.ndarray:
    """The plane coordinates ``(s, t)`` of inputs (rows of ``points``): those of the point of
    the plane ``p + s u + t v`` nearest to each input (least squares, float; exact for a
    point of the plane up to round-off).

    Parameters
    ----------
    points : array_like
        The inputs, one per row.
    p : sequence of numbers
        A point of the plane.
    u, v : sequence of numbers
        The plane's directions.

    Examples
    --------
    >>> plane_coordinates([[2, 3, 5]], [0, 0, 0], [1, 0, 0], [0, 1, 0]).tolist()
    [[2.0, 3.0]]
    """
    pts = np.asarray(points, dtype=float)
    basis = np.column_stack([np.asarray(u, dtype=float), np.asarray(v, dtype=float)])
    rhs = (pts - np.asarray(p, dtype=float)).T
    return np.linalg.lstsq(basis, rhs, rcond=None)[0].T


def restrict_to_plane(obj: Any, point: Sequence[Any], u: Sequence[Any], v: Sequence[Any]
                      ) -> Any:
    """The map ``(s, t) -> F(p + s u + t v)`` of a network or tropical map(s), with 2 inputs.

    For a :class:`Network` the first layer becomes ``W [u v]`` with bias
    ``b + W p`` (exact); for a tropical map each monomial ``a . x + c``
    becomes ``(a . u) s + (a . v) t + (c + a . p)``. Both are exact, so the
    regions of the restriction are the regions of ``F`` cut by the plane.

    Parameters
    ----------
    obj : Network or tropical map(s)
        The network or tropical map(s).
    point : sequence of numbers
        The point ``p`` of the plane.
    u, v : sequence of numbers
        The plane's directions (not parallel).

    Examples
    --------
    >>> from tropnet import parse
    >>> r = restrict_to_plane(parse("max(x, y, z)"), [0, 0, 1], [1, 0, 0], [0, 1, 0])
    >>> str(r)
    'max(1, x2, x1)'
    """
    n = input_dim(obj)
    (P, p_rat), (U, u_rat), (V, v_rat) = (_vector(vec, n, name) for vec, name in
                                          ((point, "p"), (u, "u"), (v, "v")))
    if all(U[i] * V[j] == U[j] * V[i] for i in range(n) for j in range(n)):
        raise DomainError("slice vectors u and v are parallel: they do not span a plane")
    rational = p_rat and u_rat and v_rat
    if isinstance(obj, Network):
        first = obj.layers[0]
        W = first.weight
        weight = np.column_stack([W.dot(np.array(U, dtype=object)),
                                  W.dot(np.array(V, dtype=object))])
        bias = first.bias + W.dot(np.array(P, dtype=object))
        layer = Layer.create(weight, bias, first.act, meta=first.meta, where="slice")
        layer = replace(layer, exact_input=first.exact_input and rational)
        return Network(2, (layer, *obj.layers[1:]))
    if isinstance(obj, TropicalPolynomial):
        arith = obj.arith
        E, c = obj.exponents, obj.coefficients
        basis = arith.array(np.array([U, V], dtype=object).T)
        return TropicalPolynomial.from_monomials(E.dot(basis),
                                                 c + E.dot(arith.array(P)), arith)
    if isinstance(obj, TropicalRational):
        return TropicalRational(restrict_to_plane(obj.numerator, P, U, V),
                                restrict_to_plane(obj.denominator, P, U, V))
    if isinstance(obj, (list, tuple)):
        return [restrict_to_plane(o, P, U, V) for o in obj]
    raise TropnetError(f"cannot restrict {type(obj).__name__} to a plane")
