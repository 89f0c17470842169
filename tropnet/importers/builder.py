"""The framework-independent part of the importers: tensors affine in the input, and the layers.

An importer walks a model with a :class:`Builder`; every intermediate tensor is
a :class:`Value`, affine in the current *frontier* (the input, or the output of
the last layer emitted).

Layout convention
-----------------
A per-sample tensor of shape ``(C, H, W)`` (or ``(C, L)`` for 1-D signals) is
a vector flattened as *height x width x channels* (channel index fastest:
position ``(h*W + w)*C + c``; ``(l*C + c)`` for ``(C, L)``), the convention of
:mod:`tropnet.conv`, whose lowering every imported convolution goes through.
So the network input for a torch sample ``x`` of shape ``(C, H, W)`` is
``x.permute(1, 2, 0).reshape(-1)`` (:func:`flatten_sample`). Flat tensors
``(n,)`` are used as they are, and flat outputs keep the model's order.

How layers are formed
---------------------
Affine operations (Linear, Gemm, MatMul, Conv, adding or multiplying
constants) accumulate into one pending affine map; an activation turns it into
one tropnet layer. Two affine operations with no activation between them
become two layers, the first with the identity activation (nothing is fused).
A max over affine pieces -- ONNX ``Max`` of several affine branches of the
same tensor, or a max-pool -- becomes a maxout layer (windows cut short by
padding repeat one of their elements, which leaves the max unchanged). A
clamp (Hardtanh, ReLU6, Hardsigmoid, ``Clip``) becomes a ReLU layer with two
units per entry: ``clamp(x, lo, hi) = lo + relu(x - lo) - relu(x - hi)``.
BatchNorm (inference) is a per-channel affine map: it folds into the pending
Linear or Conv, or after an activation becomes an affine operation of its own.
Average pooling is a linear map (a pending affine operation like a Linear).

Residual connections
--------------------
A tensor still needed after a layer (``x`` in ``x + f(x)``; the importer lists
them in :attr:`Builder.live`) is carried through that layer exactly by extra
units: ``x = (act(x) - act(-x)) / (a + b)`` for ReLU and leaky ReLU (pieces
``a z``, ``b z``; two units per entry, ``x = relu(x) - relu(-x)`` for ReLU),
one unit of ``rank`` equal rows for maxout, one unit for identity. The
function is unchanged, so are its linear regions; the activation regions of
the imported network also see the carry units' hyperplanes ``x_i = 0``.
"""

from __future__ import annotations

import importlib
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np

from ..activations import Activation, Identity, LeakyReLU, Maxout, ReLU
from ..conv import conv_spec, lower_conv
from ..errors import NetworkError, UnsupportedModelError
from ..network import Layer, Network

__all__ = ["PL_ALTERNATIVES", "Builder", "Value", "bn_scale", "broadcast", "exact_array",
           "flatten_sample", "leaky_relu", "require", "unsupported"]

#: the piecewise-linear replacement of common non-piecewise-linear operations (torch
#: module or ONNX operator name, lower case)
PL_ALTERNATIVES = {
    "tanh": "Hardtanh (hardtanh(x) = relu(x + 1) - relu(x - 1) - 1, two ReLUs per unit; "
            "supported)",
    "sigmoid": "Hardsigmoid (clamp(x/6 + 1/2, 0, 1), two ReLUs per unit; supported)",
    "logsigmoid": "-relu(-x) (a ReLU)",
    "softplus": "ReLU",
    "gelu": "ReLU",
    "silu": "ReLU",
    "mish": "ReLU",
    "elu": "ReLU or LeakyReLU",
    "selu": "ReLU or LeakyReLU",
    "celu": "ReLU or LeakyReLU",
    "hardswish": "ReLU (hardswish is piecewise quadratic)",
    "softmax": "nothing: drop the final Softmax (it does not change the argmax); tropnet "
               "analyses the logits",
    "logsoftmax": "nothing: drop the final LogSoftmax (it does not change the argmax)",
}

_ZERO = Fraction(0)
_ONE = Fraction(1)
_to_fraction = np.frompyfunc(Fraction, 1, 1)


def require(name: str) -> Any:
    """The optional package ``name`` (torch, onnx), or an error saying how to install it.

    Parameters
    ----------
    name : str
        The package's import name.
    """
    try:
        return importlib.import_module(name)
    except ImportError:
        raise UnsupportedModelError(f"importing models needs the optional package {name!r}: "
                                    f"pip install 'tropnet[torch]'") from None


def exact_array(values: Any, where: str) -> np.ndarray:
    """An object array of the exact Fractions of numeric values (floats converted exactly).

    Parameters
    ----------
    values : array_like
        Numbers (floats are converted exactly).
    where : str
        Where they were read, named in the error.
    """
    arr = np.asarray(values)
    if arr.dtype == object:
        return np.asarray(_to_fraction(arr), dtype=object)
    f = arr.astype(np.float64)
    if not np.all(np.isfinite(f)):
        raise NetworkError(f"{where} contains NaN or infinite values")
    return np.asarray(_to_fraction(f), dtype=object).reshape(f.shape)


def broadcast(v: Value, c: np.ndarray, where: str) -> np.ndarray:
    """A constant broadcast to the value's sample shape (exact, flattened).

    Parameters
    ----------
    v : Value
        The tensor.
    c : ndarray
        The constant (broadcastable to ``(1, *v.shape)``).
    where : str
        The operation, named in the error.
    """
    full = (1, *v.shape)
    c = np.asarray(c)
    try:
        if np.broadcast_shapes(full, c.shape) != full:
            raise ValueError
    except ValueError:
        raise UnsupportedModelError(f"{where}: constant of shape {c.shape} does not broadcast "
                                    f"to the tensor shape {full} (batch first)") from None
    return exact_array(np.broadcast_to(c, full).reshape(-1), f"{where} constant")


def unsupported(kind: str, where: str, supported: Sequence[str]) -> UnsupportedModelError:
    """The error for an unsupported layer or operator ``kind`` at ``where``, naming the
    piecewise-linear alternative when one exists (:data:`PL_ALTERNATIVES`).

    Parameters
    ----------
    kind : str
        The layer or operator type.
    where : str
        Where it occurs in the model.
    supported : sequence of str
        The supported kinds, named in the message.
    """
    alt = PL_ALTERNATIVES.get(kind.lower().replace("_", ""))
    hint = f"; it is not piecewise-linear: use {alt} instead" if alt else ""
    return UnsupportedModelError(f"{where} is not supported{hint}; supported: "
                                 f"{', '.join(supported)}")


def bn_scale(gamma: Fraction, var: Fraction, eps: Fraction) -> Fraction:
    """``gamma / sqrt(var + eps)``: exact when the square root is rational, otherwise the
    float64 nearest to it (correctly rounded, from an integer square root).

    Parameters
    ----------
    gamma : Fraction
        The BatchNorm weight.
    var : Fraction
        The running variance.
    eps : Fraction
        The BatchNorm epsilon.

    Examples
    --------
    >>> bn_scale(Fraction(3), Fraction(4), Fraction(0))
    Fraction(3, 2)
    >>> float(bn_scale(Fraction(1), Fraction(2), Fraction(0))) == 2 ** -0.5
    True
    """
    q = var + eps
    if q <= 0:
        raise NetworkError(f"BatchNorm: running variance + eps = {float(q)} is not positive")
    if gamma == 0:
        return Fraction(0)
    rn, rd = math.isqrt(q.numerator), math.isqrt(q.denominator)
    if rn * rn == q.numerator and rd * rd == q.denominator:
        return gamma / Fraction(rn, rd)
    r = gamma * gamma / q  # |gamma| / sqrt(q) = sqrt(r), irrational
    k = max(0, (112 - r.numerator.bit_length() + r.denominator.bit_length()) // 2 + 1)
    m = math.isqrt((r.numerator << (2 * k)) // r.denominator)  # floor(sqrt(r) 2^k), >= 2^55
    # sqrt(r) 2^k lies strictly inside (m, m + 1), which no rounding boundary of a
    # 53-bit float splits: m + 1/2 rounds the same way
    mag = Fraction(float(Fraction(2 * m + 1, 1 << (k + 1))))
    return mag if gamma > 0 else -mag


def leaky_relu(slope: Fraction, where: str) -> LeakyReLU:
    """The leaky ReLU of a model's slope, refused unless ``0 <= slope < 1``.

    Parameters
    ----------
    slope : Fraction
        The negative slope.
    where : str
        The operation, named in the error.
    """
    if not 0 <= slope < 1:
        raise UnsupportedModelError(f"{where}: leaky ReLU slope {float(slope)} is not "
                                    f"supported (tropnet needs 0 <= slope < 1)")
    return LeakyReLU(slope)


def _zeros(shape: int | tuple[int, ...]) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    out.fill(_ZERO)
    return out


def flatten_sample(x: Any) -> np.ndarray:
    """The network input of one model sample (no batch dimension): channels last, flattened.

    ``(C, H, W)`` becomes ``x.transpose(1, 2, 0).reshape(-1)``, ``(C, L)`` becomes
    ``x.T.reshape(-1)``, a flat sample stays as it is.

    Parameters
    ----------
    x : array_like
        One sample as the model sees it.

    Examples
    --------
    >>> flatten_sample(np.arange(12).reshape(3, 2, 2))[:6]
    array([0, 4, 8, 1, 5, 9])
    """
    arr = np.asarray(x)
    return arr.reshape(-1)[_vector_order(arr.shape)]


def _vector_order(shape: Sequence[int]) -> np.ndarray:
    """Position ``k`` of the vector form holds logical (C-order) entry ``order[k]``:
    channels last for ``(C, *spatial)`` tensors, the identity for flat ones."""
    n = math.prod(shape)
    idx = np.arange(n).reshape(shape)
    if len(shape) >= 2:
        idx = np.moveaxis(idx, 0, -1)
    return idx.reshape(-1)


@dataclass(frozen=True)
class Value:
    """A tensor (one sample, logical C-order) affine in the current frontier vector ``h``.

    Either ``W`` is set (``t = W h + b``) or ``sel`` is (``t[j] = h[sel[j]] + b[j]``);
    ``meta`` records the operations it came from. ``fold`` marks a ``W`` that is no
    operation of the model (a carried tensor, a clamp, a sum of such): the next affine
    operation composes with it instead of starting a layer.

    Attributes
    ----------
    shape : tuple of int
        The tensor's shape (one sample).
    b : ndarray
        The offset, one exact entry per element.
    frontier : int
        The frontier ``h`` it is affine in: the number of layers emitted before it.
    W : ndarray or None, default None
        The matrix of ``t = W h + b``, or ``None``.
    sel : ndarray or None, default None
        The indices of ``t[j] = h[sel[j]] + b[j]``, or ``None``.
    meta : tuple, default ()
        The operations the tensor came from.
    fold : bool, default False
        ``W`` is no operation of the model (above).
    """

    shape: tuple[int, ...]
    b: np.ndarray
    frontier: int
    W: np.ndarray | None = None
    sel: np.ndarray | None = None
    meta: tuple = ()
    fold: bool = False

    @property
    def size(self) -> int:
        """The number of entries."""
        return math.prod(self.shape)

    def reshaped(self, shape: tuple[int, ...]) -> Value:
        """The same tensor with another shape (same entries, C-order).

        Parameters
        ----------
        shape : tuple of int
            The new shape.
        """
        return replace(self, shape=tuple(int(s) for s in shape))

    def dense(self, dim: int) -> np.ndarray:
        """The matrix ``W`` of the tensor (built from ``sel`` when needed).

        Parameters
        ----------
        dim : int
            The frontier's dimension (the columns).
        """
        if self.W is not None:
            return self.W
        w = _zeros((self.size, dim))
        w[np.arange(self.size), self.sel] = _ONE
        return w

    def rows(self, idx: np.ndarray, shape: tuple[int, ...]) -> Value:
        """The tensor of the entries ``idx`` (a gather).

        Parameters
        ----------
        idx : ndarray
            The flat indices of the entries kept.
        shape : tuple of int
            The new tensor's shape.
        """
        if self.W is not None:
            return replace(self, shape=shape, W=self.W[idx], b=self.b[idx])
        return replace(self, shape=shape, sel=self.sel[idx], b=self.b[idx])

    @property
    def structural(self) -> bool:
        """No operation of the model is pending (a layer's output, or a folded map)."""
        return self.W is None or self.fold


class Builder:
    """Accumulates layers while an importer walks the model.

    ``live`` holds the tensors (by the importer's names) still needed after the
    current operation; every layer emitted carries them through (module docstring),
    and the importer reads them back, now affine in the new frontier.

    Parameters
    ----------
    input_shape : tuple of int
        The shape of one model input (without the batch dimension).
    """

    def __init__(self, input_shape: tuple[int, ...]) -> None:
        self.input_shape = input_shape
        self.dim = math.prod(input_shape)
        self.frontier = 0
        self.layers: list[Layer] = []
        self.live: dict[Any, Value] = {}

    def input_value(self) -> Value:
        """The model's input tensor, affine (a selection) in the network's input vector."""
        order = _vector_order(self.input_shape)
        sel = np.empty(len(order), dtype=np.int64)
        sel[order] = np.arange(len(order))
        return Value(self.input_shape, _zeros(self.dim), 0, sel=sel)

    def _check(self, v: Any, where: str) -> Value:
        if not isinstance(v, Value):
            raise UnsupportedModelError(f"{where}: expected the input tensor, got a constant")
        if v.frontier != self.frontier:
            raise UnsupportedModelError(f"{where}: uses a tensor from before an earlier "
                                        f"layer that was not carried through it (residual "
                                        f"connections are supported in traced torch modules "
                                        f"and ONNX graphs)")
        return v

    # -- affine operations ----------------------------------------------------
    def affine(self, v: Value, M: np.ndarray, c: np.ndarray | None, shape: tuple[int, ...],
               where: str, meta: dict | None = None) -> Value:
        """``t' = M t + c`` (``M`` maps logical entries to logical entries).

        Parameters
        ----------
        v : Value
            The input tensor.
        M : ndarray
            The matrix, logical entries to logical entries.
        c : ndarray or None
            The offset; ``None`` is zero.
        shape : tuple of int
            The output tensor's shape.
        where : str
            The operation, named in errors and provenance.
        meta : dict or None, default None
            Provenance recorded with the operation.
        """
        v = self._check(v, where)
        if not v.structural:  # two affine maps in a row: the first becomes an identity layer
            # live views of this same map (reshaped) read its units instead of being carried
            views = {k: c.shape for k, c in self.live.items() if c.W is v.W and c.b is v.b}
            for k in views:
                del self.live[k]
            v = self._commit(v.dense(self.dim)[:, None, :], v.b[:, None], v.shape, Identity(),
                             v.meta)
            self.live.update({k: v.reshaped(shape) for k, shape in views.items()})
        if v.W is not None:  # a folded map composes
            W = M.dot(v.W)
        elif len(set(v.sel.tolist())) == len(v.sel):
            W = _zeros((M.shape[0], self.dim))
            W[:, v.sel] = M
        else:
            W = _zeros((M.shape[0], self.dim))
            for j, s in enumerate(v.sel):
                W[:, s] = W[:, s] + M[:, j]
        b = c if c is not None else _zeros(M.shape[0])
        if any(x != 0 for x in v.b):
            b = b + M.dot(v.b)
        info = (*v.meta, {"op": where, **(meta or {})})
        return Value(tuple(shape), np.asarray(b, dtype=object), self.frontier, W=W, meta=info)

    def last_axis_affine(self, v: Value, w: np.ndarray, bias: np.ndarray | None, where: str
                         ) -> Value:
        """``t @ w + bias`` on the last axis (``w`` is ``(in, out)``), as Linear/Gemm/MatMul.

        Parameters
        ----------
        v : Value
            The input tensor.
        w : ndarray, shape (in, out)
            The weight.
        bias : ndarray or None
            The bias; ``None`` is zero.
        where : str
            The operation, named in errors and provenance.
        """
        v = self._check(v, where)
        k, m = w.shape
        if v.shape[-1] != k:
            raise NetworkError(f"{where}: expects {k} input features, the tensor has shape "
                               f"{v.shape}")
        reps = v.size // k
        M = _zeros((reps * m, reps * k))
        for r in range(reps):
            M[r * m:(r + 1) * m, r * k:(r + 1) * k] = w.T
        c = np.tile(bias, reps) if bias is not None else None
        return self.affine(v, M, c, (*v.shape[:-1], m), where)

    def conv(self, v: Value, kernel: np.ndarray, bias: np.ndarray | None,
             stride: Sequence[int], pads: Sequence[tuple[int, int]], dilation: Sequence[int],
             groups: int, where: str) -> Value:
        """A 1-D or 2-D convolution (torch/ONNX kernel layout ``(D, C/groups, *k)``).

        Parameters
        ----------
        v : Value
            The input tensor ``(C, L)`` or ``(C, H, W)``.
        kernel : ndarray
            The kernel ``(D, C/groups, *k)``.
        bias : ndarray or None
            One entry per output channel; ``None`` is zero.
        stride : sequence of int
            The stride per spatial axis.
        pads : sequence of tuple of int
            ``(before, after)`` zero padding per spatial axis.
        dilation : sequence of int
            The dilation per spatial axis.
        groups : int
            The number of channel groups.
        where : str
            The operation, named in errors and provenance.
        """
        v = self._check(v, where)
        nd = kernel.ndim - 2
        if nd not in (1, 2) or len(v.shape) != nd + 1:
            raise UnsupportedModelError(f"{where}: a {nd}-D convolution of a tensor of shape "
                                        f"{v.shape} is not supported (1-D and 2-D only)")
        if nd == 1:  # a 1-D signal (C, L) is an image of height 1
            kernel = kernel.reshape(kernel.shape[0], kernel.shape[1], 1, kernel.shape[2])
            stride, dilation, pads = (1, *stride), (1, *dilation), [(0, 0), *pads]
            c_in, hw = v.shape[0], (1, v.shape[1])
        else:
            c_in, hw = v.shape[0], v.shape[1:]
        w_hwc, out_hwc, conv_meta = _lower_conv(kernel, (*hw, c_in), stride, pads, dilation,
                                                groups, where)
        out_shape = (out_hwc[2], out_hwc[1]) if nd == 1 else (out_hwc[2], *out_hwc[:2])
        # the lowering is in vector (channels-last) order; values use logical order
        M = _zeros(w_hwc.shape)
        M[np.ix_(_vector_order(out_shape), _vector_order(v.shape))] = w_hwc
        c = np.repeat(bias, math.prod(out_shape[1:])) if bias is not None else None
        meta = {"conv": conv_meta}
        return self.affine(v, M, c, out_shape, where, meta)

    def shifted(self, v: Value, c: np.ndarray, where: str) -> Value:
        """The tensor plus the constant ``c`` (flattened, exact).

        Parameters
        ----------
        v : Value
            The tensor.
        c : ndarray
            One entry per element.
        where : str
            The operation, named in errors.
        """
        v = self._check(v, where)
        return replace(v, b=v.b + c)

    def scaled(self, v: Value, s: np.ndarray, where: str) -> Value:
        """The tensor times the constant ``s`` entrywise (flattened, exact).

        Parameters
        ----------
        v : Value
            The tensor.
        s : ndarray
            One factor per element.
        where : str
            The operation, named in errors.
        """
        v = self._check(v, where)
        return replace(v, W=v.dense(self.dim) * s[:, None], sel=None, b=v.b * s, fold=False)

    def combine(self, v: Value, u: Value, sign: int, where: str) -> Value:
        """``v + sign * u``; a sum of layer outputs and carried tensors (a residual
        connection) folds into the next affine operation.

        Parameters
        ----------
        v, u : Value
            Tensors of the same shape.
        sign : int
            ``1`` or ``-1``.
        where : str
            The operation, named in errors.
        """
        v, u = self._check(v, where), self._check(u, where)
        if v.shape != u.shape:
            raise UnsupportedModelError(f"{where}: adding tensors of shapes {v.shape} and "
                                        f"{u.shape} is not supported")
        return Value(v.shape, v.b + sign * u.b, self.frontier,
                     W=v.dense(self.dim) + sign * u.dense(self.dim), meta=v.meta + u.meta,
                     fold=v.structural and u.structural)

    def add(self, a: Any, c: Any, sign: int, where: str) -> Value:
        """``a + sign * c`` where at least one of them is a tensor, the other a tensor
        or a constant (ONNX Add/Sub, torch ``+``/``-``).

        Parameters
        ----------
        a, c : Value or array_like
            The operands (at least one a tensor).
        sign : int
            ``1`` (add) or ``-1`` (subtract).
        where : str
            The operation, named in errors.
        """
        v, other, first = (a, c, True) if isinstance(a, Value) else (c, a, False)
        if isinstance(other, Value):
            return self.combine(a, c, sign, where)
        k = broadcast(v, other, where)
        if first:
            return self.shifted(v, k * sign if sign != 1 else k, where)
        return self.shifted(self.scaled(v, np.full(v.size, Fraction(-1), dtype=object), where),
                            k, where)

    def multiply(self, a: Any, c: Any, divide: bool, where: str) -> Value:
        """``a * c`` or ``a / c`` with exactly one tensor (the numerator of a division).

        Parameters
        ----------
        a, c : Value or array_like
            The operands (exactly one a tensor).
        divide : bool
            Divide ``a`` by ``c`` instead.
        where : str
            The operation, named in errors.
        """
        v, other, first = (a, c, True) if isinstance(a, Value) else (c, a, False)
        if isinstance(other, Value) or (divide and not first):
            raise UnsupportedModelError(f"{where}: only multiplying or dividing by constants is "
                                        f"supported (the product of two inputs is not linear)")
        s = broadcast(v, other, where)
        if divide:
            if any(x == 0 for x in s):
                raise UnsupportedModelError(f"{where}: division by zero")
            s = np.array([1 / x for x in s], dtype=object)
        return self.scaled(v, s, where)

    def normalize(self, v: Value, mean: np.ndarray, var: np.ndarray, eps: Fraction,
                  gamma: np.ndarray | None, beta: np.ndarray | None, where: str) -> Value:
        """Inference batch normalisation over channel axis 0: ``gamma (t - mean) /
        sqrt(var + eps) + beta`` per channel, folded into the pending affine map (each
        scale is :func:`bn_scale`, every other step exact).

        Parameters
        ----------
        v : Value
            The tensor, channels first.
        mean, var : ndarray
            The running mean and variance per channel.
        eps : Fraction
            The epsilon.
        gamma, beta : ndarray or None
            The weight and bias per channel; ``None``: 1 and 0.
        where : str
            The operation, named in errors.
        """
        v = self._check(v, where)
        ch = len(mean)
        if not v.shape or v.shape[0] != ch:
            raise NetworkError(f"{where}: normalises {ch} channels, the tensor has shape "
                               f"{v.shape} (channels first)")
        gamma = gamma if gamma is not None else np.full(ch, _ONE, dtype=object)
        beta = beta if beta is not None else _zeros(ch)
        scale = np.array([bn_scale(g, q, eps) for g, q in zip(gamma, var, strict=True)],
                         dtype=object)
        shift = beta - scale * mean
        rep = v.size // ch
        s, t = np.repeat(scale, rep), np.repeat(shift, rep)
        meta = (*v.meta, {"op": where})
        return Value(v.shape, v.b * s + t, self.frontier, W=v.dense(self.dim) * s[:, None],
                     meta=meta)

    def avgpool(self, v: Value, kernel: Sequence[int], stride: Sequence[int],
                dilation: Sequence[int], ceil_mode: bool, divisor: int | None, where: str
                ) -> Value:
        """Average pooling (no padding) over the last ``len(kernel)`` axes: the linear map
        summing each window and dividing by ``divisor`` (default: the window size).
        ``ceil_mode`` is accepted when it adds no partial window.

        Parameters
        ----------
        v : Value
            The tensor.
        kernel : sequence of int
            The window size per pooled axis.
        stride : sequence of int
            The stride per pooled axis.
        dilation : sequence of int
            The dilation per pooled axis.
        ceil_mode : bool
            The model's ceil mode.
        divisor : int or None
            The divisor; ``None`` is the window size.
        where : str
            The operation, named in errors.
        """
        v = self._check(v, where)
        nd = len(kernel)
        windows, shape = _pool_windows(v.shape, kernel, stride, [(0, 0)] * nd, dilation, False,
                                       where)
        if ceil_mode and _pool_windows(v.shape, kernel, stride, [(0, 0)] * nd, dilation, True,
                                       where)[1] != shape:
            raise UnsupportedModelError(f"{where}: average pooling with ceil_mode and a partial "
                                        f"last window is not supported")
        d = Fraction(divisor if divisor is not None else math.prod(kernel))
        M = _zeros((len(windows), v.size))
        for r, cells in enumerate(windows):
            M[r, cells] = _ONE / d
        return self.affine(v, M, None, shape, where)

    def mean(self, v: Value, axes: Sequence[int], keepdims: bool, where: str) -> Value:
        """The mean over the sample axes ``axes`` (0 is the first axis after the batch):
        a linear map, like average pooling.

        Parameters
        ----------
        v : Value
            The tensor.
        axes : sequence of int
            The axes averaged over (negative counts from the end).
        keepdims : bool
            Keep the averaged axes with size 1.
        where : str
            The operation, named in errors.
        """
        v = self._check(v, where)
        axes = sorted({int(a) % len(v.shape) for a in axes})
        rest = [a for a in range(len(v.shape)) if a not in axes]
        idx = np.arange(v.size).reshape(v.shape).transpose(*rest, *axes)
        k = math.prod(v.shape[a] for a in axes)
        cells = idx.reshape(-1, k)
        M = _zeros((len(cells), v.size))
        for r, c in enumerate(cells):
            M[r, c] = _ONE / k
        shape = tuple(1 if a in axes else s for a, s in enumerate(v.shape)) if keepdims else \
            tuple(v.shape[a] for a in rest)
        return self.affine(v, M, None, shape, where)

    def reshape(self, v: Value, target: Sequence[int], where: str) -> Value:
        """The tensor reshaped to ``target``, which includes the batch dimension (``-1``
        allowed; the batch is a placeholder of size 1 and must stay first).

        Parameters
        ----------
        v : Value
            The tensor.
        target : sequence of int
            The new shape with the batch dimension first.
        where : str
            The operation, named in errors.
        """
        current = (1, *v.shape)
        try:
            shape = np.empty(current, dtype=np.int8).reshape([int(t) for t in target]).shape
        except (ValueError, TypeError):
            raise UnsupportedModelError(f"{where}: cannot reshape {current} to "
                                        f"{list(target)}") from None
        if not shape or shape[0] != 1:
            raise UnsupportedModelError(f"{where}: reshaping to {list(target)} mixes the batch "
                                        f"dimension")
        return v.reshaped(tuple(shape[1:]))

    # -- piecewise-linear operations -----------------------------------------------
    def activate(self, v: Value, act: Activation, where: str) -> Value:
        """One layer: the activation ``act`` (one row per unit) of the pending affine map.

        Parameters
        ----------
        v : Value
            The pending affine tensor.
        act : Activation
            The activation.
        where : str
            The operation, named in provenance.
        """
        v = self._check(v, where)
        meta = (*v.meta, {"op": where})
        return self._commit(v.dense(self.dim)[:, None, :], v.b[:, None], v.shape, act, meta)

    def clamp(self, v: Value, lo: np.ndarray | None, hi: np.ndarray | None, where: str
              ) -> Value:
        """``min(max(t, lo), hi)`` (bounds broadcast to the tensor; either may be None): one
        ReLU layer, ``lo + relu(t - lo) - relu(t - hi)`` (``lo + relu(t - lo)``,
        ``hi - relu(hi - t)`` with one bound).

        Parameters
        ----------
        v : Value
            The tensor.
        lo, hi : ndarray or None
            The bounds, one per element.
        where : str
            The operation, named in errors.
        """
        v = self._check(v, where)
        if lo is None and hi is None:
            return v
        if lo is not None and hi is not None and any(a > c for a, c in zip(lo, hi,
                                                                           strict=True)):
            raise UnsupportedModelError(f"{where}: the lower bound exceeds the upper bound")
        w, n = v.dense(self.dim), v.size
        if lo is None:  # hi - relu(hi - t)
            rows_w, rows_b, base, signs = -w, hi - v.b, hi, [-1]
        elif hi is None:  # lo + relu(t - lo)
            rows_w, rows_b, base, signs = w, v.b - lo, lo, [1]
        else:  # lo + relu(t - lo) - relu(t - hi)
            rows_w, rows_b = np.concatenate([w, w]), np.concatenate([v.b - lo, v.b - hi])
            base, signs = lo, [1, -1]
        self._emit(rows_w, rows_b, ReLU(), (*v.meta, {"op": where}))
        out = _zeros((n, self.dim))  # the layer's first units are the rows above
        for k, sign in enumerate(signs):
            out[np.arange(n), k * n + np.arange(n)] = Fraction(sign)
        return Value(v.shape, np.asarray(base, dtype=object), self.frontier, W=out,
                     fold=True)

    def maxout(self, pieces: list[Any], where: str) -> Value:
        """The elementwise max of affine tensors and constants (a maxout layer).

        Parameters
        ----------
        pieces : list
            Tensors (of one shape) and constants.
        where : str
            The operation, named in errors and provenance.
        """
        values = [self._check(p, where) for p in pieces if isinstance(p, Value)]
        shape = values[0].shape
        if any(p.shape != shape for p in values):
            raise UnsupportedModelError(f"{where}: Max of tensors of different shapes "
                                        f"{[p.shape for p in values]}")
        ws, bs = [], []
        for p in pieces:
            if isinstance(p, Value):
                ws.append(p.dense(self.dim))
                bs.append(p.b)
            else:
                ws.append(_zeros((math.prod(shape), self.dim)))
                bs.append(broadcast(values[0], p, where))
        meta = (*itertools.chain.from_iterable(p.meta for p in values), {"op": where})
        return self._commit(np.stack(ws, axis=1), np.stack(bs, axis=1), shape,
                            Maxout(len(pieces)), meta)

    def maxpool(self, v: Value, kernel: Sequence[int], stride: Sequence[int],
                pads: Sequence[tuple[int, int]], dilation: Sequence[int], ceil_mode: bool,
                where: str) -> Value:
        """Max pooling over the last ``len(kernel)`` axes: a maxout layer with one unit per
        window (or a plain gather when every window has one element).

        Parameters
        ----------
        v : Value
            The tensor.
        kernel : sequence of int
            The window size per pooled axis.
        stride : sequence of int
            The stride per pooled axis.
        pads : sequence of tuple of int
            ``(before, after)`` padding per pooled axis.
        dilation : sequence of int
            The dilation per pooled axis.
        ceil_mode : bool
            Keep a partial last window.
        where : str
            The operation, named in errors and provenance.
        """
        v = self._check(v, where)
        windows, shape = _pool_windows(v.shape, kernel, stride, pads, dilation, ceil_mode, where)
        if windows.shape[1] == 1:
            return v.rows(windows[:, 0], shape)
        w, b = v.dense(self.dim), v.b
        meta = (*v.meta, {"op": where})
        return self._commit(w[windows], b[windows], shape, Maxout(int(windows.shape[1])), meta)

    def _commit(self, pieces_w: np.ndarray, pieces_b: np.ndarray, shape: tuple[int, ...],
                act: Activation, meta: tuple) -> Value:
        """Emit one layer: ``pieces_w[u, r]`` is row ``r`` of logical output unit ``u``
        (``act.rank`` rows per unit)."""
        units, rank = pieces_b.shape
        order = _vector_order(shape)
        self._emit(pieces_w[order].reshape(units * rank, -1), pieces_b[order].reshape(-1), act,
                   meta)
        sel = np.empty(units, dtype=np.int64)
        sel[order] = np.arange(units)
        return Value(shape, _zeros(units), self.frontier, sel=sel)

    def _emit(self, w: np.ndarray, b: np.ndarray, act: Activation, meta: tuple) -> None:
        """Append the layer ``act(w h + b)`` (its units first) followed by the units
        carrying the tensors of :attr:`live`."""
        carry_w, carry_b, back, seen = [w], [b], [], set()
        n_out = w.shape[0] // act.rank
        for c in self.live.values():
            if c.frontier != self.frontier or id(c) in seen:
                continue
            seen.add(id(c))
            rows, biases, coef = _carry(act, c.dense(self.dim), c.b,
                                        meta[-1]["op"] if meta else "layer")
            back.append((c, n_out, coef))
            n_out += c.size * len(coef)
            carry_w.append(rows)
            carry_b.append(biases)
        info: dict[str, Any] = {"source": [m["op"] for m in meta]}
        for m in meta:
            if "conv" in m:
                info["conv"] = m["conv"]
        if back:
            info["carried"] = n_out - w.shape[0] // act.rank
        layer = Layer.create(np.concatenate(carry_w), np.concatenate(carry_b), act, meta=info,
                             where=f"layer {len(self.layers)}")
        self.layers.append(replace(layer, exact_input=False))
        self.frontier += 1
        self.dim = n_out
        carried = {}
        for c, start, coef in back:
            W = _zeros((c.size, n_out))
            for k, x in enumerate(coef):
                W[np.arange(c.size), start + k * c.size + np.arange(c.size)] = x
            carried[id(c)] = Value(c.shape, _zeros(c.size), self.frontier, W=W, fold=True)
        self.live = {key: carried.get(id(c), c) for key, c in self.live.items()}

    def finish(self, v: Value) -> Network:
        """The network whose output is the tensor ``v`` (channels last, flattened).

        Parameters
        ----------
        v : Value
            The model's output tensor.
        """
        v = self._check(v, "the output")
        order = _vector_order(v.shape)
        in_place = (v.W is None and bool(self.layers) and v.size == self.dim
                    and np.array_equal(v.sel[order], np.arange(v.size))
                    and all(x == 0 for x in v.b))
        if not in_place:
            self._commit(v.dense(self.dim)[:, None, :], v.b[:, None], v.shape, Identity(),
                         (*v.meta, {"op": "output"}))
        return Network(math.prod(self.input_shape), tuple(self.layers))


def _carry(act: Activation, w: np.ndarray, b: np.ndarray, where: str
           ) -> tuple[np.ndarray, np.ndarray, list[Fraction]]:
    """Rows carrying ``t = w h + b`` through a layer of activation ``act``: the rows, biases
    and coefficients ``coef`` with ``t = sum_k coef[k] * (output block k)``."""
    pieces = act.pieces()
    if act.hyperplane:  # max(a z, c z): t = (act(t) - act(-t)) / (a + c)
        s = pieces[0][1] + pieces[1][1]
        return np.concatenate([w, -w]), np.concatenate([b, -b]), [_ONE / s, -_ONE / s]
    if all(slope == 1 for _, slope in pieces):  # identity, maxout: rank equal rows
        k = act.rank
        return np.repeat(w, k, axis=0), np.repeat(b, k), [_ONE]
    raise UnsupportedModelError(f"{where}: cannot carry a tensor through a {act.name} layer "
                                f"(residual connection)")


def _lower_conv(kernel: np.ndarray, in_hwc: Sequence[int], stride: Sequence[int],
                pads: Sequence[tuple[int, int]], dilation: Sequence[int], groups: int,
                where: str = "conv") -> tuple[np.ndarray, tuple[int, int, int], dict]:
    """A torch/ONNX 2-D convolution as a dense matrix on height x width x channels vectors.

    ``kernel`` has shape ``(D, C/groups, kh, kw)`` (exact numbers); ``pads``
    is ``((top, bottom), (left, right))`` of zeros. The convolution is a valid
    convolution (:func:`tropnet.conv.lower_conv`) of the zero-padded input with
    the kernel spread out by the dilation and filled with zeros across groups;
    padding is the linear map that inserts zeros, so the dense matrix keeps the
    columns of the real pixels. Returns the weight, the output shape
    ``(H', W', D)`` and the layer's ``meta["conv"]``.
    """
    H, W, C = (int(s) for s in in_hwc)
    D, cg, kh, kw = kernel.shape
    if groups < 1 or C % groups or D % groups or cg != C // groups:
        raise NetworkError(f"{where}: kernel of shape {kernel.shape} with groups={groups} does "
                           f"not fit {C} input channels")
    (dh, dw), ((pt, pb), (pl, pr)) = dilation, pads
    full = _zeros((D, (kh - 1) * dh + 1, (kw - 1) * dw + 1, C))  # out x row x column x in
    for o in range(D):
        g = o // (D // groups)
        full[o, ::dh, ::dw, g * cg:(g + 1) * cg] = kernel[o].transpose(1, 2, 0)
    hp, wp = H + pt + pb, W + pl + pr
    spec = conv_spec([hp, wp, C], full.shape[1:3], list(stride), D, where)
    weight, _ = lower_conv(spec, full, [0] * D, where)
    rows, cols = np.meshgrid(np.arange(pt, pt + H), np.arange(pl, pl + W), indexing="ij")
    real = ((rows * wp + cols)[..., None] * C + np.arange(C)).reshape(-1)
    meta = spec.to_dict()
    if (pt, pb, pl, pr) != (0, 0, 0, 0) or (dh, dw) != (1, 1) or groups != 1:
        meta.update(input=[H, W, C], padding=[[pt, pb], [pl, pr]], dilation=[dh, dw],
                    groups=groups, kernel=[kh, kw])
    return np.array(weight, dtype=object)[:, real], spec.output, meta


def _pool_windows(shape: tuple[int, ...], kernel: Sequence[int], stride: Sequence[int],
                  pads: Sequence[tuple[int, int]], dilation: Sequence[int], ceil_mode: bool,
                  where: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """Logical indices of each pooling window (rows padded by repeating an element)."""
    nd = len(kernel)
    if len(shape) < nd:
        raise UnsupportedModelError(f"{where}: {nd}-D pooling of a tensor of shape {shape}")
    lead, spatial = shape[:-nd], shape[-nd:]
    outs, axes = [], []
    for size, k, s, d, (pb, pe) in zip(spatial, kernel, stride, dilation, pads, strict=True):
        span = size + pb + pe - d * (k - 1) - 1
        n = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (n - 1) * s >= size + pb:  # the last window must start inside
            n -= 1
        if n < 1:
            raise NetworkError(f"{where}: the pooling window does not fit the input")
        outs.append(n)
        axes.append([[o * s - pb + d * t for t in range(k) if 0 <= o * s - pb + d * t < size]
                     for o in range(n)])
    idx = np.arange(math.prod(shape)).reshape(shape)
    rows = []
    for li in itertools.product(*(range(s) for s in lead)):
        for pos in itertools.product(*(range(n) for n in outs)):
            cells = [idx[(*li, *p)] for p in itertools.product(*(axes[a][pos[a]]
                                                                 for a in range(nd)))]
            if not cells:
                raise NetworkError(f"{where}: a pooling window lies entirely in the padding")
            rows.append(cells)
    k = max(len(r) for r in rows)
    windows = np.array([r + [r[0]] * (k - len(r)) for r in rows], dtype=np.int64)
    return windows, (*lead, *outs)

