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
padding repeat one of their elements, which leaves the max unchanged).
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

from ..activations import Activation, Identity, LeakyReLU, Maxout
from ..conv import conv_spec, lower_conv
from ..errors import NetworkError, UnsupportedModelError
from ..network import Layer, Network

__all__ = ["Builder", "Value", "broadcast", "exact_array", "flatten_sample", "leaky_relu",
           "require"]

_ZERO = Fraction(0)
_ONE = Fraction(1)
_to_fraction = np.frompyfunc(Fraction, 1, 1)


def require(name: str) -> Any:
    """The optional package ``name`` (torch, onnx), or an error saying how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise UnsupportedModelError(f"importing models needs the optional package {name!r}: "
                                    f"pip install 'tropnet[torch]'") from None


def exact_array(values: Any, where: str) -> np.ndarray:
    """An object array of the exact Fractions of numeric values (floats converted exactly)."""
    arr = np.asarray(values)
    if arr.dtype == object:
        return np.asarray(_to_fraction(arr), dtype=object)
    f = arr.astype(np.float64)
    if not np.all(np.isfinite(f)):
        raise NetworkError(f"{where} contains NaN or infinite values")
    return np.asarray(_to_fraction(f), dtype=object).reshape(f.shape)


def broadcast(v: Value, c: np.ndarray, where: str) -> np.ndarray:
    """A constant broadcast to the value's sample shape (exact, flattened)."""
    full = (1, *v.shape)
    c = np.asarray(c)
    try:
        if np.broadcast_shapes(full, c.shape) != full:
            raise ValueError
    except ValueError:
        raise UnsupportedModelError(f"{where}: constant of shape {c.shape} does not broadcast "
                                    f"to the tensor shape {full} (batch first)") from None
    return exact_array(np.broadcast_to(c, full).reshape(-1), f"{where} constant")


def leaky_relu(slope: Fraction, where: str) -> LeakyReLU:
    """The leaky ReLU of a model's slope, refused unless ``0 <= slope < 1``."""
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
    ``meta`` records the operations it came from.
    """

    shape: tuple[int, ...]
    b: np.ndarray
    frontier: int
    W: np.ndarray | None = None
    sel: np.ndarray | None = None
    meta: tuple = ()

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def reshaped(self, shape: tuple[int, ...]) -> Value:
        return replace(self, shape=tuple(int(s) for s in shape))

    def dense(self, dim: int) -> np.ndarray:
        if self.W is not None:
            return self.W
        w = _zeros((self.size, dim))
        w[np.arange(self.size), self.sel] = _ONE
        return w

    def rows(self, idx: np.ndarray, shape: tuple[int, ...]) -> Value:
        """The tensor of the entries ``idx`` (a gather)."""
        if self.W is not None:
            return replace(self, shape=shape, W=self.W[idx], b=self.b[idx])
        return replace(self, shape=shape, sel=self.sel[idx], b=self.b[idx])


class Builder:
    """Accumulates layers while an importer walks the model."""

    def __init__(self, input_shape: tuple[int, ...]) -> None:
        self.input_shape = input_shape
        self.dim = math.prod(input_shape)
        self.frontier = 0
        self.layers: list[Layer] = []

    def input_value(self) -> Value:
        order = _vector_order(self.input_shape)
        sel = np.empty(len(order), dtype=np.int64)
        sel[order] = np.arange(len(order))
        return Value(self.input_shape, _zeros(self.dim), 0, sel=sel)

    def _check(self, v: Any, where: str) -> Value:
        if not isinstance(v, Value):
            raise UnsupportedModelError(f"{where}: expected the input tensor, got a constant")
        if v.frontier != self.frontier:
            raise UnsupportedModelError(f"{where}: uses a tensor from before an earlier "
                                        f"activation (skip or residual connections are not "
                                        f"supported)")
        return v

    # -- affine operations ----------------------------------------------------
    def affine(self, v: Value, M: np.ndarray, c: np.ndarray | None, shape: tuple[int, ...],
               where: str, meta: dict | None = None) -> Value:
        """``t' = M t + c`` (``M`` maps logical entries to logical entries)."""
        v = self._check(v, where)
        if v.W is not None:  # two affine maps in a row: the first becomes an identity layer
            v = self._commit(v.dense(self.dim)[:, None, :], v.b[:, None], v.shape, Identity(),
                             v.meta)
        W = _zeros((M.shape[0], self.dim))
        if len(set(v.sel.tolist())) == len(v.sel):
            W[:, v.sel] = M
        else:
            for j, s in enumerate(v.sel):
                W[:, s] = W[:, s] + M[:, j]
        b = c if c is not None else _zeros(M.shape[0])
        if any(x != 0 for x in v.b):
            b = b + M.dot(v.b)
        info = (*v.meta, {"op": where, **(meta or {})})
        return Value(tuple(shape), np.asarray(b, dtype=object), self.frontier, W=W, meta=info)

    def last_axis_affine(self, v: Value, w: np.ndarray, bias: np.ndarray | None, where: str
                         ) -> Value:
        """``t @ w + bias`` on the last axis (``w`` is ``(in, out)``), as Linear/Gemm/MatMul."""
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
        """A 1-D or 2-D convolution (torch/ONNX kernel layout ``(D, C/groups, *k)``)."""
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
        v = self._check(v, where)
        return replace(v, b=v.b + c)

    def scaled(self, v: Value, s: np.ndarray, where: str) -> Value:
        v = self._check(v, where)
        return replace(v, W=v.dense(self.dim) * s[:, None], sel=None, b=v.b * s)

    def combine(self, v: Value, u: Value, sign: int, where: str) -> Value:
        v, u = self._check(v, where), self._check(u, where)
        if v.shape != u.shape:
            raise UnsupportedModelError(f"{where}: adding tensors of shapes {v.shape} and "
                                        f"{u.shape} is not supported")
        return Value(v.shape, v.b + sign * u.b, self.frontier,
                      W=v.dense(self.dim) + sign * u.dense(self.dim), meta=v.meta + u.meta)

    # -- piecewise-linear operations -----------------------------------------------
    def activate(self, v: Value, act: Activation, where: str) -> Value:
        """One layer: the activation ``act`` (one row per unit) of the pending affine map."""
        v = self._check(v, where)
        meta = (*v.meta, {"op": where})
        return self._commit(v.dense(self.dim)[:, None, :], v.b[:, None], v.shape, act, meta)

    def maxout(self, pieces: list[Any], where: str) -> Value:
        """The elementwise max of affine tensors and constants (a maxout layer)."""
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
        window (or a plain gather when every window has one element)."""
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
        w = pieces_w[order].reshape(units * rank, -1)
        b = pieces_b[order].reshape(-1)
        info: dict[str, Any] = {"source": [m["op"] for m in meta]}
        for m in meta:
            if "conv" in m:
                info["conv"] = m["conv"]
        layer = Layer.create(w, b, act, meta=info, where=f"layer {len(self.layers)}")
        self.layers.append(replace(layer, exact_input=False))
        self.frontier += 1
        self.dim = units
        sel = np.empty(units, dtype=np.int64)
        sel[order] = np.arange(units)
        return Value(shape, _zeros(units), self.frontier, sel=sel)

    def finish(self, v: Value) -> Network:
        v = self._check(v, "the output")
        order = _vector_order(v.shape)
        in_place = (v.W is None and bool(self.layers)
                    and np.array_equal(v.sel[order], np.arange(v.size))
                    and all(x == 0 for x in v.b))
        if not in_place:
            self._commit(v.dense(self.dim)[:, None, :], v.b[:, None], v.shape, Identity(),
                         (*v.meta, {"op": "output"}))
        return Network(math.prod(self.input_shape), tuple(self.layers))


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

