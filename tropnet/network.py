"""Piecewise-linear feed-forward networks: dense layers with ReLU, leaky ReLU, maxout or identity.

A :class:`Network` is an immutable stack of :class:`Layer` values. Each layer
computes ``z = W h + b`` and applies its activation unit-wise:

* ``relu``: ``max(z, 0)``;
* ``leaky_relu`` with ``0 <= slope < 1``: ``max(z, slope*z)``;
* ``maxout`` of rank ``k``: output unit ``u`` is ``max(z[u*k], ..., z[u*k+k-1])``;
* ``identity``: ``z``.

Weights are stored exactly (object arrays of :class:`~fractions.Fraction`; a
binary float is converted exactly) together with a float64 copy; which one an
algorithm uses is decided by the :class:`~tropnet.arithmetic.Arithmetic` it
is given.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from .activations import ACTIVATIONS, Activation, ReLU, activation_from_spec
from .arithmetic import EXACT, Arithmetic, format_number, parse_number, resolve
from .errors import NetworkError

__all__ = ["ACTIVATIONS", "EXACT_MAGNITUDE_LOG2", "FLOAT_MAGNITUDE_LOG2", "MAX_NUMBER_CHARS",
           "Layer", "Network", "as_network", "read_number"]

#: the longest text of one number (``"p/q"`` or decimal)
MAX_NUMBER_CHARS = 1000
#: log2 of the largest value a network may reach in float mode: float64 holds 2**1024,
#: and norms and distances square values
FLOAT_MAGNITUDE_LOG2 = 500
#: log2 of the largest value in exact mode: exact results are converted to float64 (up to
#: 2**1024) for geometry, plots and reports
EXACT_MAGNITUDE_LOG2 = 1000

_EXPONENT = re.compile(r"[eE]\s*([+-]?[0-9_]+)")


def read_number(value: Any, where: str = "value") -> tuple[Fraction, bool]:
    """:func:`~tropnet.arithmetic.parse_number` for numbers that float64 can hold.

    Returns ``(fraction, is_rational)``. A number is refused (:class:`NetworkError`) when
    its text is longer than :data:`MAX_NUMBER_CHARS`, when its magnitude is beyond the
    float64 range (``"1e400"``, a 400-digit integer), or when it is not zero but float64
    rounds it to zero (``"1e-400"``): tropnet would otherwise print or compute with a
    number it cannot hold. Huge exponents (``"1e999999999"``) are refused before any
    arithmetic, so they cost nothing.

    Parameters
    ----------
    value : int, Fraction, float or str
        The number.
    where : str, default "value"
        Where the number was read, named in the error message.

    Examples
    --------
    >>> read_number("3/2")
    (Fraction(3, 2), True)
    """
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_NUMBER_CHARS:
            raise NetworkError(f"{where}: a number written with {len(text):,} characters "
                               f"(the limit is {MAX_NUMBER_CHARS:,})")
        m = _EXPONENT.search(text)
        if m and abs(int(m.group(1).replace("_", ""))) > 400 + len(text):
            raise NetworkError(f"{where}: {_short(text)} is beyond the float64 range "
                               f"(about ±1.8e308 down to ±4.9e-324)")
    elif isinstance(value, (int, np.integer)) and not isinstance(value, bool) and \
            int(value).bit_length() > 1100:
        raise NetworkError(f"{where}: an integer of {int(value).bit_length():,} bits is beyond "
                           f"the float64 range (about ±1.8e308)")
    frac, rational = parse_number(value, where)
    try:
        f = float(frac)
    except OverflowError:
        f = math.inf
    if not math.isfinite(f) or (f == 0 and frac != 0):
        raise NetworkError(f"{where}: {_short(value)} is beyond the float64 range (about "
                           f"±1.8e308 down to ±4.9e-324)")
    return frac, rational


def _short(value: Any) -> str:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"an integer of {int(value).bit_length():,} bits"
    text = str(value) if len(str(value)) <= 40 else str(value)[:37] + "..."
    return repr(text) if isinstance(value, str) else text


def as_network(obj: Any, where: str = "network") -> Network:
    """``obj`` if it is a :class:`Network`, else a :class:`NetworkError` naming ``where``
    (the check of the public entry points that take a network).

    Parameters
    ----------
    obj : object
        The value to check.
    where : str, default "network"
        The argument's name in the error message.
    """
    if not isinstance(obj, Network):
        raise NetworkError(f"{where}: expected a tropnet Network (e.g. from "
                           f"tropnet.load_network), got {type(obj).__name__}")
    return obj


def _log2_norm(m: np.ndarray) -> float:
    """log2 of the largest absolute row sum of a float matrix (``-inf`` for zero), without
    overflow for entries near the float64 maximum."""
    if m.size == 0:
        return -math.inf
    top = float(np.abs(m).max())
    if top == 0 or not math.isfinite(top):
        return -math.inf if top == 0 else math.inf
    return math.log2(top) + math.log2(float((np.abs(m) / top).sum(axis=1).max()))


def _exact_matrix(data: Any, shape_name: str, ndim: int) -> tuple[np.ndarray, bool]:
    """Convert nested numbers to a read-only object array of Fractions; report rationality."""
    arr = np.asarray(data, dtype=object)
    if arr.ndim != ndim or (ndim == 2 and 0 in arr.shape):
        raise NetworkError(f"{shape_name} must be a non-empty {ndim}-d array, got shape "
                           f"{arr.shape}")
    out = np.empty(arr.shape, dtype=object)
    rational = True
    for idx, v in np.ndenumerate(arr):
        frac, is_rat = read_number(v, f"{shape_name}{list(idx)}")
        out[idx] = frac
        rational &= is_rat
    out.setflags(write=False)
    return out, rational


def _json_number(value: Fraction) -> str | float | int:
    """A float when the value is exactly a float (it came from one), else ``"p/q"``."""
    f = float(value)
    return f if Fraction(f) == value else format_number(value)


def _unpickled_layer(weight: np.ndarray, bias: np.ndarray, act: Activation,
                     meta: dict | None, exact_input: bool) -> Layer:
    """The layer whose numbers are the exact values of the entries (floats or Fractions) of
    ``weight`` and ``bias`` (:meth:`Layer.__reduce__`)."""
    def exact(arr: np.ndarray) -> np.ndarray:
        out = np.array([Fraction(v) for v in arr.flat], dtype=object).reshape(arr.shape)
        out.setflags(write=False)
        return out

    return Layer(exact(weight), exact(bias), act, meta, exact_input)


@dataclass(frozen=True, eq=False)
class Layer:
    """One dense layer ``h -> act(W h + b)``.

    ``weight`` has one row per pre-activation unit (for maxout: ``rank`` rows
    per output unit, consecutive); ``act`` is an :class:`~tropnet.activations.Activation`;
    ``meta`` carries optional provenance (e.g. the convolution a dense layer was
    lowered from).

    Attributes
    ----------
    weight : ndarray
        The weight matrix ``W`` (exact Fractions), one row per pre-activation unit.
    bias : ndarray
        The bias vector ``b`` (exact Fractions).
    act : Activation, default ReLU()
        The activation.
    meta : dict or None, default None
        Optional provenance (such as the convolution the layer was lowered from).
    exact_input : bool, default True
        Whether every number was given as an integer or rational string.
    """

    weight: np.ndarray
    bias: np.ndarray
    act: Activation = field(default_factory=ReLU)
    meta: dict | None = None
    exact_input: bool = field(default=True, compare=False)

    @classmethod
    def create(cls, weight: Any, bias: Any, activation: str | Activation = "relu", *,
               slope: Any = 0, rank: int = 1, meta: dict | None = None,
               where: str = "layer") -> Layer:
        """Validate and build a layer from nested lists / arrays of numbers; ``activation``
        is an :class:`Activation` or a JSON name with its ``slope``/``rank``.

        Parameters
        ----------
        weight : array_like
            Nested lists or an array of numbers, one row per pre-activation unit.
        bias : array_like
            One number per row of ``weight``.
        activation : str or Activation, default "relu"
            An `Activation`, or its JSON name.
        slope : number, default 0
            The leaky ReLU slope (with a name only).
        rank : int, default 1
            The maxout rank (with a name only).
        meta : dict or None, default None
            Optional provenance kept with the layer.
        where : str, default "layer"
            Where the layer was read, named in error messages.
        """
        if isinstance(activation, Activation):
            act, a_rat = activation, True
        else:
            read_number(slope, f"{where}.slope")  # refuse "1e999999999" before converting it
            act, a_rat = activation_from_spec(activation, slope, rank, where)
        w, w_rat = _exact_matrix(weight, f"{where}.weight", 2)
        b, b_rat = _exact_matrix(bias, f"{where}.bias", 1)
        if b.shape[0] != w.shape[0]:
            raise NetworkError(f"{where}: weight has {w.shape[0]} rows but bias has "
                               f"{b.shape[0]} entries")
        if w.shape[0] % act.rank:
            raise NetworkError(f"{where}: maxout rank {act.rank} does not divide the "
                               f"{w.shape[0]} weight rows")
        return cls(w, b, act, meta, w_rat and b_rat and a_rat)

    def __post_init__(self) -> None:
        fw = np.array(self.weight, dtype=float)
        fb = np.array(self.bias, dtype=float)
        fw.setflags(write=False)
        fb.setflags(write=False)
        object.__setattr__(self, "_float", (fw, fb))

    def __reduce__(self) -> tuple:
        """Pickled compactly (a network is shipped to every worker of a parallel run): as
        its float arrays when every number is the exact value of its float."""
        fw, fb = self._float  # type: ignore[attr-defined]
        floats = all(Fraction(f) == v for f, v in zip(fw.flat, self.weight.flat, strict=True)
                     ) and all(Fraction(f) == v for f, v in zip(fb, self.bias, strict=True))
        w, b = (fw, fb) if floats else (self.weight, self.bias)
        return _unpickled_layer, (w, b, self.act, self.meta, self.exact_input)

    # -- shapes -----------------------------------------------------------
    @property
    def in_dim(self) -> int:
        """The input dimension: the number of columns of ``weight``."""
        return int(self.weight.shape[1])

    @property
    def units(self) -> int:
        """Number of pre-activation rows (for maxout, ``rank`` per output unit)."""
        return int(self.weight.shape[0])

    @property
    def out_dim(self) -> int:
        """The output dimension: ``units // rank``."""
        return self.units // self.rank

    @property
    def activation(self) -> str:
        """The activation's JSON name."""
        return self.act.name

    @property
    def rank(self) -> int:
        """Pre-activation rows per output unit (maxout rank; 1 otherwise)."""
        return self.act.rank

    @property
    def slope(self) -> Fraction:
        """The leaky ReLU slope (0 for other activations)."""
        return getattr(self.act, "slope", Fraction(0))

    def params(self, arith: Arithmetic) -> tuple[np.ndarray, np.ndarray]:
        """``(W, b)`` in the given arithmetic (the stored arrays for exact and float; others,
        such as exact with ``limit_denominator``, convert them).

        Parameters
        ----------
        arith : Arithmetic
            The arithmetic wanted.
        """
        if not arith.exact:
            return self.float_params
        if arith is EXACT or arith == EXACT:
            return self.weight, self.bias
        return arith.array(self.weight), arith.array(self.bias)

    @property
    def float_params(self) -> tuple[np.ndarray, np.ndarray]:
        """``(W, b)`` as read-only float64 arrays."""
        return self._float  # type: ignore[attr-defined]

    # -- evaluation -------------------------------------------------------
    def activate(self, z: np.ndarray, arith: Arithmetic) -> np.ndarray:
        """Apply the activation to a pre-activation vector ``z``.

        Parameters
        ----------
        z : ndarray
            The pre-activation vector ``W h + b``.
        arith : Arithmetic
            The arithmetic of ``z``.
        """
        return self.act.activate(z, arith)

    def pattern(self, z: np.ndarray) -> tuple[int, ...]:
        """Activation pattern of a pre-activation vector: per unit the index of its first
        maximal piece (ReLU/leaky: 1 where ``z > 0``, else 0; maxout: the first maximal
        of the ``rank`` rows). Identity: ``()``.

        Parameters
        ----------
        z : ndarray
            The pre-activation vector ``W h + b``.
        """
        return self.act.pattern(z)

    def pattern_matrix(self, pattern: Sequence[int], arith: Arithmetic) -> np.ndarray:
        """The matrix ``D`` with ``act(z) = D z`` on the region of ``pattern``.

        Parameters
        ----------
        pattern : sequence of int
            The layer's activation pattern (see `pattern`).
        arith : Arithmetic
            The arithmetic of ``D``.
        """
        return self.act.pattern_matrix(pattern, self.units, arith)

    def to_dict(self) -> dict:
        """The JSON form; round-trips exactly (floats stay floats, rationals become strings)."""
        fmt = _json_number if not self.exact_input else format_number
        out: dict[str, Any] = {
            "weight": [[fmt(v) for v in row] for row in self.weight],
            "bias": [fmt(v) for v in self.bias],
        }
        out.update({k: fmt(v) if isinstance(v, Fraction) else v
                    for k, v in self.act.to_dict().items()})
        if self.meta:
            out["meta"] = self.meta
        return out


@dataclass(frozen=True, eq=False)
class Network:
    """An immutable feed-forward piecewise-linear network ``R^input_dim -> R^output_dim``.

    Examples
    --------
    >>> net = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"), ([[1, 1]], [0], "identity")])
    >>> net.forward([-3])
    array([Fraction(3, 1)], dtype=object)

    Attributes
    ----------
    input_dim : int
        The input dimension ``n >= 1``.
    layers : tuple of Layer
        The layers, first to last; each takes the previous one's output.
    """

    input_dim: int
    layers: tuple[Layer, ...]

    def __post_init__(self) -> None:
        if isinstance(self.input_dim, bool) or not isinstance(self.input_dim, (int, np.integer)):
            raise NetworkError(f"input_dim must be a positive integer, got {self.input_dim!r}")
        if self.input_dim < 1:
            raise NetworkError(f"input_dim must be a positive integer, got {self.input_dim}")
        if not self.layers:
            raise NetworkError("a network needs at least one layer")
        object.__setattr__(self, "layers", tuple(self.layers))
        dim = self.input_dim
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise NetworkError(f"layer {i} is not a Layer")
            if layer.in_dim != dim:
                what = "input_dim" if i == 0 else f"layer {i - 1} output"
                raise NetworkError(f"layer {i}: weight has {layer.in_dim} columns but the "
                                   f"{what} is {dim}")
            dim = layer.out_dim

    @classmethod
    def from_lists(cls, input_dim: int, layers: Sequence[Any]) -> Network:
        """Build from ``(weight, bias, activation[, options])`` tuples or layer dicts.

        Parameters
        ----------
        input_dim : int
            The input dimension.
        layers : sequence
            One entry per layer: a `Layer`, a dict with ``weight``, ``bias`` and optionally
            ``activation`` (default ``"relu"``), ``slope``, ``rank``, ``meta``, or a tuple
            ``(weight, bias, activation[, options])`` (options: keyword arguments of
            `Layer.create`).
        """
        built = []
        for i, spec in enumerate(layers):
            if isinstance(spec, Layer):
                built.append(spec)
                continue
            if isinstance(spec, dict):
                opts = {k: spec[k] for k in ("slope", "rank", "meta") if k in spec}
                built.append(Layer.create(spec["weight"], spec["bias"],
                                          spec.get("activation", "relu"), where=f"layer {i}",
                                          **opts))
            else:
                w, b, act, *rest = spec
                opts = rest[0] if rest else {}
                built.append(Layer.create(w, b, act, where=f"layer {i}", **opts))
        return cls(input_dim, tuple(built))

    # -- shape ------------------------------------------------------------
    @property
    def output_dim(self) -> int:
        """The output dimension: the last layer's ``out_dim``."""
        return self.layers[-1].out_dim

    @property
    def widths(self) -> tuple[int, ...]:
        """Output widths of all layers (the last one is the output dimension)."""
        return tuple(layer.out_dim for layer in self.layers)

    @property
    def hidden_widths(self) -> tuple[int, ...]:
        """Widths of the non-identity layers (the ``n_1..n_L`` of the region bounds)."""
        return tuple(layer.out_dim for layer in self.layers if layer.act.patterned)

    @property
    def exact_input(self) -> bool:
        """True when every number was given as an integer or a rational string."""
        return all(layer.exact_input for layer in self.layers)

    def architecture(self) -> str:
        """Short text like ``2-[8,8]-1`` (hidden widths in brackets)."""
        hidden = ",".join(str(layer.out_dim) for layer in self.layers[:-1])
        return f"{self.input_dim}-[{hidden}]-{self.output_dim}"

    # -- evaluation -------------------------------------------------------
    def _point(self, x: Any, arith: Arithmetic) -> np.ndarray:
        vec = np.asarray(x, dtype=object).reshape(-1)
        if vec.shape[0] != self.input_dim:
            raise NetworkError(f"point has {vec.shape[0]} coordinates, network input_dim "
                               f"is {self.input_dim}")
        return arith.vector(vec)

    def forward(self, x: Any, exact: bool | Arithmetic | None = None) -> np.ndarray:
        """Evaluate the network at one point (exactly with Fractions, or in float64).

        Parameters
        ----------
        x : array_like
            The input point (``input_dim`` numbers).
        exact : bool, Arithmetic or None, default None
            The arithmetic (`resolve`): ``None`` is exact iff every number of the network was
            rational.
        """
        arith = resolve(exact, self)
        h = self._point(x, arith)
        for layer in self.layers:
            w, b = layer.params(arith)
            h = layer.activate(w.dot(h) + b, arith)
        return h

    def __call__(self, x: Any, exact: bool | Arithmetic | None = None) -> np.ndarray:
        return self.forward(x, exact)

    def forward_batch(self, xs: np.ndarray) -> np.ndarray:
        """Float64 evaluation of many points at once (rows of ``xs``).

        Parameters
        ----------
        xs : ndarray, shape (points, input_dim)
            The input points.
        """
        h = np.asarray(xs, dtype=float)
        for layer in self.layers:
            w, b = layer.float_params
            h = layer.act.activate_batch(h @ w.T + b)
        return h

    def patterns(self, x: Any, exact: bool | Arithmetic | None = None) -> tuple[tuple, ...]:
        """The activation pattern ``(S_1, ..., S_L)`` at ``x`` (see :meth:`Layer.pattern`).

        Parameters
        ----------
        x : array_like
            The input point.
        exact : bool, Arithmetic or None, default None
            The arithmetic (`resolve`): ``None`` is exact iff every number of the network was
            rational.
        """
        return self.affine_map(x, exact)[2]

    def affine_map(self, x: Any, exact: bool | Arithmetic | None = None
                   ) -> tuple[np.ndarray, np.ndarray, tuple[tuple, ...]]:
        """The affine map ``y = J x + c`` the network computes around ``x``.

        Returns ``(J, c, patterns)``. At a point on a region boundary the
        pattern convention of :meth:`Layer.pattern` (ties inactive, first
        maximal maxout piece) picks one of the adjacent maps.

        Parameters
        ----------
        x : array_like
            The input point.
        exact : bool, Arithmetic or None, default None
            The arithmetic (`resolve`): ``None`` is exact iff every number of the network was
            rational.
        """
        arith = resolve(exact, self)
        pt = self._point(x, arith)
        jac = arith.eye(self.input_dim)
        off = arith.zeros(self.input_dim)
        pats = []
        for layer in self.layers:
            w, b = layer.params(arith)
            jz, cz = w.dot(jac), w.dot(off) + b
            pat = layer.pattern(jz.dot(pt) + cz)
            d = layer.pattern_matrix(pat, arith)
            jac, off = d.dot(jz), d.dot(cz)
            pats.append(pat)
        return jac, off, tuple(pats)

    def magnitude_log2(self, radius: Any = 1) -> float:
        """log2 of a bound on every value the network computes on the cube
        ``[-radius, radius]^n`` (pre-activations, outputs) and on every coefficient of its
        compiled tropical maps: ``B_0 = max(1, radius)``, ``B_l = ||W_l||_inf B_(l-1) +
        ||b_l||_inf`` (every activation has ``|act(z)| <= |z|``).

        Parameters
        ----------
        radius : number, default 1
            Half the side of the input cube.

        Examples
        --------
        >>> Network.from_lists(1, [([[2]], [0], "relu")] * 3).magnitude_log2()
        3.0
        """
        bound = math.log2(max(1.0, float(radius)))
        for layer in self.layers:
            w, b = layer.float_params
            bound = float(np.logaddexp2(_log2_norm(w) + bound, _log2_norm(b[:, None])))
        return bound

    def check_magnitude(self, arith: Arithmetic | None = None, radius: Any = 1) -> None:
        """Refuse (:class:`NetworkError`) a network whose values can leave the range the
        arithmetic computes in: :data:`FLOAT_MAGNITUDE_LOG2` in float mode,
        :data:`EXACT_MAGNITUDE_LOG2` in exact mode (see :meth:`magnitude_log2`).

        Parameters
        ----------
        arith : Arithmetic or None, default None
            The arithmetic to compute in; ``None`` checks the float limit.
        radius : number, default 1
            Half the side of the input cube (see `magnitude_log2`).
        """
        limit = EXACT_MAGNITUDE_LOG2 if arith is not None and arith.exact else \
            FLOAT_MAGNITUDE_LOG2
        bits = self.magnitude_log2(radius)
        if bits > limit:
            mode = "exact" if arith is not None and arith.exact else "float"
            raise NetworkError(
                f"the network's values can reach about 1e{int(bits * math.log10(2))} (the "
                f"product of its layers' row sums), beyond the 1e{int(limit * math.log10(2))} "
                f"tropnet computes with in {mode} mode"
                + ("; rerun with --exact" if mode == "float" and bits <= EXACT_MAGNITUDE_LOG2
                   else "")
                + "; scaling a layer's weights and biases by a positive constant leaves "
                  "the regions unchanged")

    def to_dict(self) -> dict:
        """The JSON form of the network (``input_dim`` and the layers' dicts)."""
        return {"input_dim": self.input_dim, "layers": [ly.to_dict() for ly in self.layers]}

    def with_layers(self, layers: Sequence[Layer]) -> Network:
        """A network with the same input dimension and the given layers.

        Parameters
        ----------
        layers : sequence of Layer
            The new layers.
        """
        return Network(self.input_dim, tuple(layers))
