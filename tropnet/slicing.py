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

__all__ = ["parse_slice", "restrict_to_plane"]



def parse_slice(text: str, n: int) -> tuple[tuple, tuple, tuple]:
    """Read ``"p=x1,..,xn;u=..;v=.."`` (the plane ``x = p + s u + t v``) in dimension ``n``.

    Numbers may be integers, decimals or fractions (``"1/2"``). ``p``
    defaults to the origin. Raises :class:`~tropnet.errors.DomainError` when
    a vector has the wrong length or ``u`` and ``v`` are parallel.
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


def restrict_to_plane(obj: Any, point: Sequence[Any], u: Sequence[Any], v: Sequence[Any]
                      ) -> Any:
    """The map ``(s, t) -> F(p + s u + t v)`` of a network or tropical map(s), with 2 inputs.

    For a :class:`Network` the first layer becomes ``W [u v]`` with bias
    ``b + W p`` (exact); for a tropical map each monomial ``a . x + c``
    becomes ``(a . u) s + (a . v) t + (c + a . p)``. Both are exact, so the
    regions of the restriction are the regions of ``F`` cut by the plane.

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
