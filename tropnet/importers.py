"""Import trained models: ``torch.nn.Sequential`` modules and ONNX graphs become a :class:`Network`.

The imported :class:`~tropnet.network.Network` computes the model's function on
the model's own weights: every float32 weight is converted exactly
(``Fraction(float(w))``), and the network is marked as float input, so the
default arithmetic of every algorithm is float64 and ``exact=True`` analyses
exactly the rationals the float32 weights denote.

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

Supported (anything else raises :class:`~tropnet.errors.UnsupportedModelError`
naming the operator and where it is):

* torch: ``Sequential`` (nested too) of ``Linear``, ``ReLU``, ``LeakyReLU``
  (``0 <= negative_slope < 1``), ``Identity``, ``Dropout`` (inference: the
  identity), ``Flatten``, ``Unflatten``, ``Conv1d``/``Conv2d`` (zero padding,
  any stride, dilation and groups) and ``MaxPool1d``/``MaxPool2d`` (maxout);
  TorchScript modules scripted from such a ``Sequential`` too.
* ONNX: ``Gemm``, ``MatMul`` (input on the left), ``Add``/``Sub``/``Mul``/
  ``Div``/``Neg`` with constants, ``Relu``, ``LeakyRelu``, ``Conv``, ``Flatten``,
  ``Reshape``, ``Identity``, ``Dropout``, ``Max`` (maxout), ``MaxPool``, and
  any node whose inputs are all constants (``Shape`` of the input counts as a
  constant; such nodes are evaluated with ``onnx.reference``). Single input,
  single output, no skip connections.
"""

from __future__ import annotations

import itertools
import math
import os
import pickle
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from .conv import conv_spec, lower_conv
from .errors import InputFileError, NetworkError, UnsupportedModelError
from .network import Layer, Network

__all__ = ["flatten_sample", "from_onnx", "from_torch", "load_model"]

_ZERO = Fraction(0)
_ONE = Fraction(1)
_to_fraction = np.frompyfunc(Fraction, 1, 1)

TORCH_LAYERS = ("Linear", "ReLU", "LeakyReLU", "Identity", "Dropout", "Flatten", "Unflatten",
                "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "Sequential")
ONNX_OPERATORS = ("Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Neg", "Relu", "LeakyRelu",
                  "Conv", "Flatten", "Reshape", "Identity", "Dropout", "Max", "MaxPool",
                  "Constant", "Shape")


# ---------------------------------------------------------------------------------------------
# torch
# ---------------------------------------------------------------------------------------------

def from_torch(module: Any, input_shape: Sequence[int] | None = None) -> Network:
    """The :class:`Network` computing the same function as a ``torch.nn.Sequential``.

    Parameters
    ----------
    module
        A ``torch.nn.Sequential`` (nested ones are flattened), a single supported
        layer, or a TorchScript module scripted from one. Dropout is read in its
        inference form (the identity).
    input_shape
        The shape of one sample as torch sees it, without the batch dimension,
        e.g. ``(1, 28, 28)``. Inferred when the first shape-fixing layer is a
        ``Linear``; required for convolutional models.

    Returns
    -------
    Network
        Float-input network (weights are the exact rationals of the float32
        weights); inputs follow the height x width x channels convention of
        this module's docstring.

    Raises
    ------
    UnsupportedModelError
        For a layer that tropnet cannot represent, naming it and its position.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
    ...                             torch.nn.Linear(3, 1))
    >>> net = from_torch(model)
    >>> net.architecture(), net.exact_input
    ('2-[3]-1', False)
    """
    torch = _require("torch")
    mods = list(_torch_modules(module, torch))
    if not mods:
        raise UnsupportedModelError("the Sequential is empty: nothing to import")
    kinds = [_torch_kind(m, torch) for _, m in mods]
    for (name, _), kind in zip(mods, kinds, strict=True):
        if kind not in _TORCH_RULES:
            raise UnsupportedModelError(
                f"layer {name} ({kind}) is not supported; supported layers: "
                f"{', '.join(TORCH_LAYERS)}"
                + ("" if kind in TORCH_LAYERS else
                   " (export other models to ONNX and use from_onnx)"))
    builder = _Builder(_torch_input_shape(mods, kinds, input_shape))
    value = builder.input_value()
    for (name, m), kind in zip(mods, kinds, strict=True):
        value = _TORCH_RULES[kind](builder, value, m, f"layer {name} ({kind})")
    return builder.finish(value)


def _torch_modules(module: Any, torch: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(position, module)`` for the leaves of a (nested) Sequential."""
    if not isinstance(module, torch.nn.Module):
        raise UnsupportedModelError(f"expected a torch.nn.Module, got {type(module).__name__}")
    if _torch_kind(module, torch) != "Sequential":
        yield (prefix or "0"), module
        return
    for name, child in module.named_children():
        yield from _torch_modules(child, torch, f"{prefix}.{name}" if prefix else name)


def _torch_kind(m: Any, torch: Any) -> str:
    """The torch.nn class name of a module; custom subclasses are reported as such."""
    if isinstance(m, torch.jit.ScriptModule):
        return str(getattr(m, "original_name", type(m).__name__))
    cls = type(m)
    if cls.__module__.startswith("torch.nn.modules"):
        return cls.__name__
    return f"custom module {cls.__name__}"


_SHAPE_PRESERVING = ("ReLU", "LeakyReLU", "Identity", "Dropout")


def _torch_input_shape(mods: list[tuple[str, Any]], kinds: list[str],
                       given: Sequence[int] | None) -> tuple[int, ...]:
    if given is not None:
        shape = tuple(int(s) for s in np.atleast_1d(np.asarray(given, dtype=object)))
        if not shape or any(s < 1 for s in shape):
            raise NetworkError(f"input_shape must be positive integers, got {given!r}")
        return shape
    for (name, m), kind in zip(mods, kinds, strict=True):
        if kind == "Linear":
            return (int(m.in_features),)
        if kind not in _SHAPE_PRESERVING:
            raise NetworkError(f"cannot infer the input shape from layer {name} ({kind}); pass "
                               f"input_shape=(C, H, W) (one sample, without the batch "
                               f"dimension)")
    raise NetworkError("cannot infer the input shape (no Linear layer); pass input_shape")


def _tensor(t: Any) -> np.ndarray:
    return t.detach().cpu().numpy()


def _torch_linear(b: _Builder, v: _Value, m: Any, where: str) -> _Value:
    w = _exact_array(_tensor(m.weight), f"{where}.weight")
    bias = _exact_array(_tensor(m.bias), f"{where}.bias") if m.bias is not None else None
    return b.last_axis_affine(v, w.T, bias, where)


def _torch_conv(b: _Builder, v: _Value, m: Any, where: str) -> _Value:
    nd = len(m.kernel_size)
    if m.padding_mode != "zeros":
        raise UnsupportedModelError(f"{where}: padding_mode={m.padding_mode!r} is not supported "
                                    f"(only zero padding)")
    k = tuple(int(s) for s in m.kernel_size)
    dil = tuple(int(s) for s in m.dilation)
    if isinstance(m.padding, str):
        if m.padding == "valid":
            pads = [(0, 0)] * nd
        else:  # "same": torch puts the extra padding at the end
            pads = [(d * (s - 1) // 2, d * (s - 1) - d * (s - 1) // 2) for s, d in zip(k, dil,
                                                                                     strict=True)]
    else:
        pads = [(int(p), int(p)) for p in m.padding]
    w = _exact_array(_tensor(m.weight), f"{where}.weight")
    bias = _exact_array(_tensor(m.bias), f"{where}.bias") if m.bias is not None else None
    return b.conv(v, w, bias, tuple(int(s) for s in m.stride), pads, dil, int(m.groups), where)


def _torch_relu(b: _Builder, v: _Value, m: Any, where: str) -> _Value:
    return b.activate(v, "relu", 0, where)


def _torch_leaky(b: _Builder, v: _Value, m: Any, where: str) -> _Value:
    # torch multiplies float32 tensors by the slope rounded to float32
    return b.activate(v, "leaky_relu", Fraction(float(np.float32(m.negative_slope))), where)


def _torch_identity(b: _Builder, v: _Value, m: Any, where: str) -> _Value:
    return v


def _torch_flatten(b: _Builder, v: _Value, m: Any, where: str) -> _Value:
    rank = len(v.shape) + 1  # with the batch dimension
    start, end = m.start_dim % rank, m.end_dim % rank
    if start == 0:
        raise UnsupportedModelError(f"{where}: flattening the batch dimension (start_dim=0) is "
                                    f"not supported")
    shape = (*v.shape[:start - 1], math.prod(v.shape[start - 1:end]), *v.shape[end:])
    return v.reshaped(shape)


def _torch_unflatten(b: _Builder, v: _Value, m: Any, where: str) -> _Value:
    rank = len(v.shape) + 1
    dim = m.dim % rank
    if dim == 0:
        raise UnsupportedModelError(f"{where}: unflattening the batch dimension is not supported")
    sizes = [int(s) for s in m.unflattened_size]
    if -1 in sizes:
        known = math.prod(s for s in sizes if s != -1)
        sizes[sizes.index(-1)] = v.shape[dim - 1] // max(known, 1)
    if math.prod(sizes) != v.shape[dim - 1]:
        raise NetworkError(f"{where}: cannot unflatten size {v.shape[dim - 1]} into {sizes}")
    return v.reshaped((*v.shape[:dim - 1], *sizes, *v.shape[dim:]))


def _torch_maxpool(b: _Builder, v: _Value, m: Any, where: str) -> _Value:
    nd = 1 if _torch_kind(m, _require("torch")).endswith("1d") else 2
    if getattr(m, "return_indices", False):
        raise UnsupportedModelError(f"{where}: return_indices=True is not supported")

    def tup(x: Any) -> tuple[int, ...]:
        return tuple(int(s) for s in (x if isinstance(x, (tuple, list)) else (x,) * nd))

    k = tup(m.kernel_size)
    stride = tup(m.stride if m.stride is not None else m.kernel_size)
    pads = [(p, p) for p in tup(m.padding)]
    return b.maxpool(v, k, stride, pads, tup(m.dilation), bool(m.ceil_mode), where)


_TORCH_RULES: dict[str, Callable[[Any, Any, Any, str], Any]] = {
    "Linear": _torch_linear,
    "Conv1d": _torch_conv,
    "Conv2d": _torch_conv,
    "ReLU": _torch_relu,
    "LeakyReLU": _torch_leaky,
    "Identity": _torch_identity,
    "Dropout": _torch_identity,
    "Flatten": _torch_flatten,
    "Unflatten": _torch_unflatten,
    "MaxPool1d": _torch_maxpool,
    "MaxPool2d": _torch_maxpool,
}


# ---------------------------------------------------------------------------------------------
# ONNX
# ---------------------------------------------------------------------------------------------

def from_onnx(model: Any) -> Network:
    """The :class:`Network` computing the same function as an ONNX graph.

    Parameters
    ----------
    model
        A path to a ``.onnx`` file or an ``onnx.ModelProto``. The graph must
        have one input of fixed per-sample shape (the first dimension is the
        batch), one output, and the operators listed in this module's
        docstring. Only the ``onnx`` package is needed (no runtime).

    Returns
    -------
    Network
        Float-input network; weights are the exact rationals of the stored
        floats, inputs follow the height x width x channels convention.

    Raises
    ------
    UnsupportedModelError
        Naming the first unsupported operator, its node index and name.
    InputFileError
        When the file is missing or not an ONNX model.
    """
    onnx = _require("onnx")
    from onnx import numpy_helper

    proto = _load_onnx(model, onnx)
    graph = proto.graph
    opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), 13)
    env: dict[str, Any] = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in env]
    if len(inputs) != 1:
        raise UnsupportedModelError(f"the graph has {len(inputs)} inputs; tropnet imports "
                                    f"single-input models")
    builder = _Builder(_onnx_input_shape(inputs[0]))
    env[inputs[0].name] = builder.input_value()
    for k, node in enumerate(graph.node):
        where = f"node {k} ({node.op_type}{' ' + repr(node.name) if node.name else ''})"
        if node.domain not in ("", "ai.onnx"):
            raise UnsupportedModelError(f"{where}: operator {node.op_type} of domain "
                                        f"{node.domain!r} is not supported")
        args = []
        for name in node.input:
            if name and name not in env:
                raise UnsupportedModelError(f"{where}: input {name!r} is not computed by a "
                                            f"supported operator")
            args.append(env[name] if name else None)
        attrs = {a.name: _attr(onnx.helper.get_attribute_value(a)) for a in node.attribute}
        if node.op_type == "Shape" and isinstance(args[0], _Value):
            full = np.array([1, *args[0].shape], dtype=np.int64)  # batch placeholder 1
            env[node.output[0]] = full[attrs.get("start", 0):attrs.get("end", len(full))]
            continue
        if not any(isinstance(a, _Value) for a in args):
            for name, value in zip(node.output, _fold(node, args, opset, where), strict=False):
                env[name] = value
            continue
        rule = _ONNX_RULES.get(node.op_type)
        if rule is None:
            raise UnsupportedModelError(f"{where}: operator {node.op_type} is not supported; "
                                        f"supported: {', '.join(ONNX_OPERATORS)}")
        env[node.output[0]] = rule(builder, args, attrs, where)
    if len(graph.output) != 1:
        raise UnsupportedModelError(f"the graph has {len(graph.output)} outputs; tropnet "
                                    f"imports single-output models")
    out = env.get(graph.output[0].name)
    if not isinstance(out, _Value):
        raise UnsupportedModelError(f"the graph output {graph.output[0].name!r} does not depend "
                                    f"on the input")
    return builder.finish(out)


def _load_onnx(model: Any, onnx: Any) -> Any:
    if isinstance(model, onnx.ModelProto):
        return model
    p = Path(model)
    if not p.is_file():
        raise InputFileError(f"{p}: no such file")
    try:
        return onnx.load(str(p))
    except Exception as exc:  # protobuf raises DecodeError and friends
        raise InputFileError(f"{p}: not a readable ONNX model ({exc})") from None


def _attr(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def _onnx_input_shape(inp: Any) -> tuple[int, ...]:
    dims = inp.type.tensor_type.shape.dim
    if len(dims) < 2:
        raise UnsupportedModelError(f"input {inp.name!r} has rank {len(dims)}; expected a batch "
                                    f"dimension followed by the sample shape")
    shape = []
    for i, d in enumerate(dims[1:], start=1):
        if not d.HasField("dim_value") or d.dim_value < 1:
            raise UnsupportedModelError(f"input {inp.name!r}: dimension {i} is symbolic "
                                        f"({d.dim_param or '?'}); export with a fixed sample "
                                        f"shape")
        shape.append(int(d.dim_value))
    return tuple(shape)


def _fold(node: Any, args: list[Any], opset: int, where: str) -> list[np.ndarray]:
    """Evaluate a node whose inputs are all constants with ``onnx.reference``."""
    from onnx.reference import ReferenceEvaluator

    try:
        ev = ReferenceEvaluator(node, opsets={"": opset})
        feeds = {n: a for n, a in zip(node.input, args, strict=True) if n}
        return list(ev.run(None, feeds))
    except Exception as exc:
        raise UnsupportedModelError(f"{where}: cannot evaluate operator {node.op_type} on "
                                    f"constants ({exc})") from None


def _split(args: list[Any]) -> tuple[_Value, np.ndarray | _Value, bool]:
    """``(value, other, value_first)`` for a binary node with at least one input value."""
    a, b = args[0], args[1]
    if isinstance(a, _Value):
        return a, b, True
    return b, a, False


def _broadcast(v: _Value, c: np.ndarray, where: str) -> np.ndarray:
    """A constant broadcast to the value's sample shape (exact, flattened)."""
    full = (1, *v.shape)
    c = np.asarray(c)
    try:
        if np.broadcast_shapes(full, c.shape) != full:
            raise ValueError
    except ValueError:
        raise UnsupportedModelError(f"{where}: constant of shape {c.shape} does not broadcast "
                                    f"to the tensor shape {full} (batch first)") from None
    return _exact_array(np.broadcast_to(c, full).reshape(-1), f"{where} constant")


def _onnx_gemm(b: _Builder, args: list[Any], attrs: dict, where: str) -> _Value:
    v, w = args[0], args[1]
    if not isinstance(v, _Value) or isinstance(w, _Value) or attrs.get("transA", 0):
        raise UnsupportedModelError(f"{where}: only input @ constant is supported (transA=0)")
    w = _exact_array(w, f"{where} B")
    if attrs.get("transB", 0):
        w = w.T
    alpha = Fraction(float(attrs.get("alpha", 1.0)))
    if alpha != 1:
        w = w * alpha
    bias = None
    if len(args) > 2 and args[2] is not None:
        beta = Fraction(float(attrs.get("beta", 1.0)))
        c = np.asarray(args[2])
        if c.ndim == 2 and c.shape[0] == 1:
            c = c[0]
        try:
            c = np.broadcast_to(c, (w.shape[1],))
        except ValueError:
            raise UnsupportedModelError(f"{where}: bias C of shape {c.shape} is not a vector of "
                                        f"{w.shape[1]} entries") from None
        bias = _exact_array(c, f"{where} C") * beta
    return b.last_axis_affine(v, w, bias, where)


def _onnx_matmul(b: _Builder, args: list[Any], attrs: dict, where: str) -> _Value:
    v, w = args[0], args[1]
    if not isinstance(v, _Value) or isinstance(w, _Value) or np.ndim(w) != 2:
        raise UnsupportedModelError(f"{where}: only input @ constant matrix is supported")
    return b.last_axis_affine(v, _exact_array(w, f"{where} B"), None, where)


def _onnx_add(b: _Builder, args: list[Any], attrs: dict, where: str, sign: int = 1) -> _Value:
    v, other, first = _split(args)
    if isinstance(other, _Value):
        return b.combine(v, other, sign, where)
    c = _broadcast(v, other, where)
    if first:
        return b.shifted(v, c * sign if sign != 1 else c, where)
    return b.shifted(b.scaled(v, np.full(v.size, Fraction(-1), dtype=object), where), c, where)


def _onnx_sub(b: _Builder, args: list[Any], attrs: dict, where: str) -> _Value:
    return _onnx_add(b, args, attrs, where, sign=-1)


def _onnx_mul(b: _Builder, args: list[Any], attrs: dict, where: str, divide: bool = False
              ) -> _Value:
    v, other, first = _split(args)
    if isinstance(other, _Value) or (divide and not first):
        raise UnsupportedModelError(f"{where}: only multiplying or dividing by constants is "
                                    f"supported (the product of two inputs is not linear)")
    s = _broadcast(v, other, where)
    if divide:
        if any(x == 0 for x in s):
            raise UnsupportedModelError(f"{where}: division by zero")
        s = np.array([1 / x for x in s], dtype=object)
    return b.scaled(v, s, where)


def _onnx_div(b: _Builder, args: list[Any], attrs: dict, where: str) -> _Value:
    return _onnx_mul(b, args, attrs, where, divide=True)


def _onnx_neg(b: _Builder, args: list[Any], attrs: dict, where: str) -> _Value:
    return b.scaled(args[0], np.full(args[0].size, Fraction(-1), dtype=object), where)


def _onnx_relu(b: _Builder, args: list[Any], attrs: dict, where: str) -> _Value:
    return b.activate(args[0], "relu", 0, where)


def _onnx_leaky(b: _Builder, args: list[Any], attrs: dict, where: str) -> _Value:
    return b.activate(args[0], "leaky_relu", Fraction(float(attrs.get("alpha", 0.01))), where)


def _onnx_identity(b: _Builder, args: list[Any], attrs: dict, where: str) -> _Value:
    return args[0]


def _onnx_flatten(b: _Builder, args: list[Any], attrs: dict, where: str) -> _Value:
    v = args[0]
    axis = attrs.get("axis", 1) % (len(v.shape) + 1)
    if axis != 1:
        raise UnsupportedModelError(f"{where}: Flatten with axis={attrs.get('axis')} mixes the "
                                    f"batch dimension; only axis=1 is supported")
    return v.reshaped((v.size,))


def _onnx_reshape(b: _Builder, args: list[Any], attrs: dict, where: str) -> _Value:
    v, target = args[0], [int(s) for s in np.asarray(args[1]).reshape(-1)]
    current = (1, *v.shape)  # batch placeholder 1
    if not attrs.get("allowzero", 0):
        target = [current[i] if s == 0 and i < len(current) else s for i, s in enumerate(target)]
    try:
        shape = np.empty(current, dtype=np.int8).reshape(target).shape
    except ValueError:
        raise UnsupportedModelError(f"{where}: cannot reshape {current} to {target}") from None
    if shape[0] != 1:
        raise UnsupportedModelError(f"{where}: Reshape to {target} mixes the batch dimension")
    return v.reshaped(tuple(shape[1:]))


def _spatial(attrs: dict, nd: int, kernel: Sequence[int], sizes: Sequence[int], where: str
             ) -> tuple[tuple[int, ...], list[tuple[int, int]], tuple[int, ...]]:
    """Strides, per-axis (begin, end) pads and dilations of an ONNX Conv/MaxPool node."""
    strides = tuple(attrs.get("strides", [1] * nd))
    dil = tuple(attrs.get("dilations", [1] * nd))
    auto = attrs.get("auto_pad", "NOTSET")
    if auto in ("NOTSET", ""):
        p = list(attrs.get("pads", [0] * 2 * nd))
        pads = [(int(p[i]), int(p[i + nd])) for i in range(nd)]
    elif auto == "VALID":
        pads = [(0, 0)] * nd
    elif auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = []
        for size, k, s, d in zip(sizes, kernel, strides, dil, strict=True):
            total = max(0, (-(-size // s) - 1) * s + (k - 1) * d + 1 - size)
            small, big = total // 2, total - total // 2
            pads.append((small, big) if auto == "SAME_UPPER" else (big, small))
    else:
        raise UnsupportedModelError(f"{where}: auto_pad={auto!r} is not supported")
    return strides, pads, dil


def _onnx_conv(b: _Builder, args: list[Any], attrs: dict, where: str) -> _Value:
    v, w = args[0], args[1]
    if isinstance(w, _Value) or (len(args) > 2 and isinstance(args[2], _Value)):
        raise UnsupportedModelError(f"{where}: the kernel and bias must be constants")
    w = _exact_array(w, f"{where} W")
    nd = w.ndim - 2
    kernel = tuple(attrs.get("kernel_shape", w.shape[2:]))
    strides, pads, dil = _spatial(attrs, nd, kernel, v.shape[1:], where)
    bias = _exact_array(args[2], f"{where} B") if len(args) > 2 and args[2] is not None else None
    return b.conv(v, w, bias, strides, pads, dil, int(attrs.get("group", 1)), where)


def _onnx_max(b: _Builder, args: list[Any], attrs: dict, where: str) -> _Value:
    return b.maxout([a for a in args if a is not None], where)


def _onnx_maxpool(b: _Builder, args: list[Any], attrs: dict, where: str) -> _Value:
    v = args[0]
    kernel = tuple(int(k) for k in attrs["kernel_shape"])
    nd = len(kernel)
    if attrs.get("storage_order", 0):
        raise UnsupportedModelError(f"{where}: storage_order=1 is not supported")
    strides, pads, dil = _spatial(attrs, nd, kernel, v.shape[-nd:], where)
    return b.maxpool(v, kernel, strides, pads, dil, bool(attrs.get("ceil_mode", 0)), where)


_ONNX_RULES: dict[str, Callable[[Any, list[Any], dict, str], Any]] = {
    "Gemm": _onnx_gemm,
    "MatMul": _onnx_matmul,
    "Add": _onnx_add,
    "Sub": _onnx_sub,
    "Mul": _onnx_mul,
    "Div": _onnx_div,
    "Neg": _onnx_neg,
    "Relu": _onnx_relu,
    "LeakyRelu": _onnx_leaky,
    "Conv": _onnx_conv,
    "Flatten": _onnx_flatten,
    "Reshape": _onnx_reshape,
    "Identity": _onnx_identity,
    "Dropout": _onnx_identity,
    "Max": _onnx_max,
    "MaxPool": _onnx_maxpool,
}


# ---------------------------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------------------------

def load_model(path: str | os.PathLike, input_shape: Sequence[int] | None = None,
               trust: bool = False) -> Network:
    """Import a model file: ``.onnx`` with :func:`from_onnx`; ``.pt``/``.pth`` (a TorchScript
    archive, or a whole module saved with ``torch.save``) with :func:`from_torch`.

    A ``torch.save`` file is a pickle. It is read with ``weights_only=True``
    and an allow-list of the ``torch.nn`` layers tropnet imports, so no code
    stored in the file runs. A file that needs other classes (a custom
    module) is refused unless ``trust=True`` (CLI: ``--trust-pickle``), which
    unpickles it fully and runs whatever code it holds: only for files you
    trust. A file holding a ``state_dict`` (weights without the module)
    cannot be imported; build the module and call :func:`from_torch`.
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"{p}: no such file")
    if p.suffix.lower() == ".onnx":
        if input_shape is not None:
            raise NetworkError("--input-shape only applies to torch files (ONNX graphs fix "
                               "their input shape)")
        return from_onnx(p)
    if p.suffix.lower() not in (".pt", ".pth"):
        raise InputFileError(f"{p}: unknown model format {p.suffix!r} (expected .onnx, .pt or "
                             f".pth)")
    torch = _require("torch")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            module = torch.jit.load(str(p), map_location="cpu")
    except Exception:
        module = _unpickle(p, torch, trust)
    if isinstance(module, dict):
        raise UnsupportedModelError(f"{p}: holds a state_dict (weights only), not a module; "
                                    f"build the module in Python and call from_torch, or save "
                                    f"the whole module")
    return from_torch(module, input_shape)


def _unpickle(p: Path, torch: Any, trust: bool) -> Any:
    """A ``torch.save`` file read with the weights-only unpickler and the allow-list of
    :data:`_TORCH_RULES` layers (or fully, when ``trust``)."""
    safe = [cls for cls in vars(torch.nn).values()
            if isinstance(cls, type) and (cls.__name__ in _TORCH_RULES
                                          or cls.__name__ == "Sequential")]
    try:
        if trust:
            return torch.load(str(p), map_location="cpu", weights_only=False)
        with torch.serialization.safe_globals(safe):
            return torch.load(str(p), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if trust:
            raise InputFileError(f"{p}: not a readable torch file ({exc})") from None
        raise InputFileError(
            f"{p}: the file needs classes beyond the torch.nn layers tropnet imports, and "
            f"unpickling them would run code stored in the file; save the model with "
            f"torch.jit.script(model).save(...), or pass --trust-pickle (trust=True) for a "
            f"file you trust") from None
    except Exception as exc:
        raise InputFileError(f"{p}: not a readable torch file "
                             f"({str(exc).splitlines()[0] if str(exc) else exc!r})") from None


def _require(name: str) -> Any:
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        raise UnsupportedModelError(f"importing models needs the optional package {name!r}: "
                                    f"pip install 'tropnet[torch]'") from None


# ---------------------------------------------------------------------------------------------
# building the network: values affine in the current frontier
# ---------------------------------------------------------------------------------------------

def _exact_array(values: Any, where: str) -> np.ndarray:
    """An object array of the exact Fractions of numeric values (floats converted exactly)."""
    arr = np.asarray(values)
    if arr.dtype == object:
        return np.asarray(_to_fraction(arr), dtype=object)
    f = arr.astype(np.float64)
    if not np.all(np.isfinite(f)):
        raise NetworkError(f"{where} contains NaN or infinite values")
    return np.asarray(_to_fraction(f), dtype=object).reshape(f.shape)


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
class _Value:
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

    def reshaped(self, shape: tuple[int, ...]) -> _Value:
        return replace(self, shape=tuple(int(s) for s in shape))

    def dense(self, dim: int) -> np.ndarray:
        if self.W is not None:
            return self.W
        w = _zeros((self.size, dim))
        w[np.arange(self.size), self.sel] = _ONE
        return w

    def rows(self, idx: np.ndarray, shape: tuple[int, ...]) -> _Value:
        """The tensor of the entries ``idx`` (a gather)."""
        if self.W is not None:
            return replace(self, shape=shape, W=self.W[idx], b=self.b[idx])
        return replace(self, shape=shape, sel=self.sel[idx], b=self.b[idx])


class _Builder:
    """Accumulates layers while an importer walks the model."""

    def __init__(self, input_shape: tuple[int, ...]) -> None:
        self.input_shape = input_shape
        self.dim = math.prod(input_shape)
        self.frontier = 0
        self.layers: list[Layer] = []

    def input_value(self) -> _Value:
        order = _vector_order(self.input_shape)
        sel = np.empty(len(order), dtype=np.int64)
        sel[order] = np.arange(len(order))
        return _Value(self.input_shape, _zeros(self.dim), 0, sel=sel)

    def _check(self, v: Any, where: str) -> _Value:
        if not isinstance(v, _Value):
            raise UnsupportedModelError(f"{where}: expected the input tensor, got a constant")
        if v.frontier != self.frontier:
            raise UnsupportedModelError(f"{where}: uses a tensor from before an earlier "
                                        f"activation (skip or residual connections are not "
                                        f"supported)")
        return v

    # -- affine operations ----------------------------------------------------
    def affine(self, v: _Value, M: np.ndarray, c: np.ndarray | None, shape: tuple[int, ...],
               where: str, meta: dict | None = None) -> _Value:
        """``t' = M t + c`` (``M`` maps logical entries to logical entries)."""
        v = self._check(v, where)
        if v.W is not None:  # two affine maps in a row: the first becomes an identity layer
            v = self._commit(v.dense(self.dim)[:, None, :], v.b[:, None], v.shape, "identity", 0,
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
        return _Value(tuple(shape), np.asarray(b, dtype=object), self.frontier, W=W, meta=info)

    def last_axis_affine(self, v: _Value, w: np.ndarray, bias: np.ndarray | None, where: str
                         ) -> _Value:
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

    def conv(self, v: _Value, kernel: np.ndarray, bias: np.ndarray | None,
             stride: Sequence[int], pads: Sequence[tuple[int, int]], dilation: Sequence[int],
             groups: int, where: str) -> _Value:
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

    def shifted(self, v: _Value, c: np.ndarray, where: str) -> _Value:
        v = self._check(v, where)
        return replace(v, b=v.b + c)

    def scaled(self, v: _Value, s: np.ndarray, where: str) -> _Value:
        v = self._check(v, where)
        return replace(v, W=v.dense(self.dim) * s[:, None], sel=None, b=v.b * s)

    def combine(self, v: _Value, u: _Value, sign: int, where: str) -> _Value:
        v, u = self._check(v, where), self._check(u, where)
        if v.shape != u.shape:
            raise UnsupportedModelError(f"{where}: adding tensors of shapes {v.shape} and "
                                        f"{u.shape} is not supported")
        return _Value(v.shape, v.b + sign * u.b, self.frontier,
                      W=v.dense(self.dim) + sign * u.dense(self.dim), meta=v.meta + u.meta)

    # -- piecewise-linear operations -----------------------------------------------
    def activate(self, v: _Value, activation: str, slope: Fraction | int, where: str) -> _Value:
        v = self._check(v, where)
        if activation == "leaky_relu" and not 0 <= slope < 1:
            raise UnsupportedModelError(f"{where}: leaky ReLU slope {float(slope)} is not "
                                        f"supported (tropnet needs 0 <= slope < 1)")
        meta = (*v.meta, {"op": where})
        return self._commit(v.dense(self.dim)[:, None, :], v.b[:, None], v.shape, activation,
                            slope, meta)

    def maxout(self, pieces: list[Any], where: str) -> _Value:
        """The elementwise max of affine tensors and constants (a maxout layer)."""
        values = [self._check(p, where) for p in pieces if isinstance(p, _Value)]
        shape = values[0].shape
        if any(p.shape != shape for p in values):
            raise UnsupportedModelError(f"{where}: Max of tensors of different shapes "
                                        f"{[p.shape for p in values]}")
        ws, bs = [], []
        for p in pieces:
            if isinstance(p, _Value):
                ws.append(p.dense(self.dim))
                bs.append(p.b)
            else:
                ws.append(_zeros((math.prod(shape), self.dim)))
                bs.append(_broadcast(values[0], p, where))
        meta = (*itertools.chain.from_iterable(p.meta for p in values), {"op": where})
        return self._commit(np.stack(ws, axis=1), np.stack(bs, axis=1), shape, "maxout", 0, meta)

    def maxpool(self, v: _Value, kernel: Sequence[int], stride: Sequence[int],
                pads: Sequence[tuple[int, int]], dilation: Sequence[int], ceil_mode: bool,
                where: str) -> _Value:
        """Max pooling over the last ``len(kernel)`` axes: a maxout layer with one unit per
        window (or a plain gather when every window has one element)."""
        v = self._check(v, where)
        windows, shape = _pool_windows(v.shape, kernel, stride, pads, dilation, ceil_mode, where)
        if windows.shape[1] == 1:
            return v.rows(windows[:, 0], shape)
        w, b = v.dense(self.dim), v.b
        meta = (*v.meta, {"op": where})
        return self._commit(w[windows], b[windows], shape, "maxout", 0, meta)

    def _commit(self, pieces_w: np.ndarray, pieces_b: np.ndarray, shape: tuple[int, ...],
                activation: str, slope: Fraction | int, meta: tuple) -> _Value:
        """Emit one layer: ``pieces_w[u, r]`` is piece ``r`` of logical output unit ``u``."""
        units, rank = pieces_b.shape
        order = _vector_order(shape)
        w = pieces_w[order].reshape(units * rank, -1)
        b = pieces_b[order].reshape(-1)
        opts: dict[str, Any] = {}
        if activation == "leaky_relu":
            opts["slope"] = slope
        if activation == "maxout":
            opts["rank"] = rank
        info: dict[str, Any] = {"source": [m["op"] for m in meta]}
        for m in meta:
            if "conv" in m:
                info["conv"] = m["conv"]
        layer = Layer.create(w, b, activation, meta=info, where=f"layer {len(self.layers)}",
                             **opts)
        self.layers.append(replace(layer, exact_input=False))
        self.frontier += 1
        self.dim = units
        sel = np.empty(units, dtype=np.int64)
        sel[order] = np.arange(units)
        return _Value(shape, _zeros(units), self.frontier, sel=sel)

    def finish(self, v: _Value) -> Network:
        v = self._check(v, "the output")
        order = _vector_order(v.shape)
        in_place = (v.W is None and bool(self.layers)
                    and np.array_equal(v.sel[order], np.arange(v.size))
                    and all(x == 0 for x in v.b))
        if not in_place:
            self._commit(v.dense(self.dim)[:, None, :], v.b[:, None], v.shape, "identity", 0,
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
