"""Import ONNX graphs as a :class:`Network` (only the ``onnx`` package is needed, no runtime).

Supported (anything else raises :class:`~tropnet.errors.UnsupportedModelError`
naming the operator and its node, and the piecewise-linear alternative where one
exists): ``Gemm``, ``MatMul`` (input on the left), ``Add``/``Sub`` (of a
constant, or of two tensors: residual connections are carried through the
layers between), ``Mul``/``Div``/``Neg`` with constants, ``Relu``,
``LeakyRelu``, ``Clip``, ``HardSigmoid``, ``Conv``, ``BatchNormalization``
(inference), ``Flatten``, ``Reshape``, ``Identity``, ``Dropout``, ``Max``
(maxout), ``MaxPool``, ``AveragePool`` (no padding), ``GlobalAveragePool`` and
``ReduceMean`` (over sample axes),
and any node whose inputs are all constants (``Shape`` of the input counts as a
constant; such nodes are evaluated with ``onnx.reference``). Single input,
single output. Inputs follow the layout of :mod:`tropnet.importers.builder`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..activations import ReLU
from ..errors import InputFileError, UnsupportedModelError
from ..network import Network
from .builder import Builder, Value, broadcast, exact_array, leaky_relu, require, unsupported

__all__ = ["ONNX_OPERATORS", "from_onnx"]

ONNX_OPERATORS = ("Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Neg", "Relu", "LeakyRelu",
                  "Clip", "HardSigmoid", "Conv", "BatchNormalization", "Flatten", "Reshape",
                  "Identity", "Dropout", "Max", "MaxPool", "AveragePool", "GlobalAveragePool",
                  "ReduceMean", "Constant", "Shape")


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
        floats, inputs follow the height x width x channels convention of
        :mod:`tropnet.importers.builder`.

    Raises
    ------
    UnsupportedModelError
        Naming the first unsupported operator, its node index and name.
    InputFileError
        When the file is missing or not an ONNX model.
    """
    onnx = require("onnx")
    from onnx import numpy_helper

    proto = _load_onnx(model, onnx)
    graph = proto.graph
    opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), 13)
    env: dict[str, Any] = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in env]
    if len(inputs) != 1:
        raise UnsupportedModelError(f"the graph has {len(inputs)} inputs; tropnet imports "
                                    f"single-input models")
    builder = Builder(_onnx_input_shape(inputs[0]))
    env[inputs[0].name] = builder.input_value()
    last_use = {name: k for k, node in enumerate(graph.node) for name in node.input}
    last_use.update({o.name: len(graph.node) for o in graph.output})
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
        if node.op_type == "Shape" and isinstance(args[0], Value):
            full = np.array([1, *args[0].shape], dtype=np.int64)  # batch placeholder 1
            env[node.output[0]] = full[attrs.get("start", 0):attrs.get("end", len(full))]
            continue
        if not any(isinstance(a, Value) for a in args):
            for name, value in zip(node.output, _fold(node, args, opset, where), strict=False):
                env[name] = value
            continue
        rule = _ONNX_RULES.get(node.op_type)
        if rule is None:
            raise unsupported(node.op_type, f"{where}: operator {node.op_type}", ONNX_OPERATORS)
        if len([o for o in node.output if o]) > 1 and node.op_type not in ("Dropout",
                                                                             "MaxPool"):
            raise UnsupportedModelError(f"{where}: several outputs (training mode?) are not "
                                        f"supported")
        builder.live = {n: v for n, v in env.items()
                        if isinstance(v, Value) and last_use.get(n, -1) > k}
        env[node.output[0]] = rule(builder, args, attrs, where)
        env.update(builder.live)
    if len(graph.output) != 1:
        raise UnsupportedModelError(f"the graph has {len(graph.output)} outputs; tropnet "
                                    f"imports single-output models")
    out = env.get(graph.output[0].name)
    if not isinstance(out, Value):
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


def _onnx_gemm(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    v, w = args[0], args[1]
    if not isinstance(v, Value) or isinstance(w, Value) or attrs.get("transA", 0):
        raise UnsupportedModelError(f"{where}: only input @ constant is supported (transA=0)")
    w = exact_array(w, f"{where} B")
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
        bias = exact_array(c, f"{where} C") * beta
    return b.last_axis_affine(v, w, bias, where)


def _onnx_matmul(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    v, w = args[0], args[1]
    if not isinstance(v, Value) or isinstance(w, Value) or np.ndim(w) != 2:
        raise UnsupportedModelError(f"{where}: only input @ constant matrix is supported")
    return b.last_axis_affine(v, exact_array(w, f"{where} B"), None, where)


def _onnx_add(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    return b.add(args[0], args[1], 1, where)


def _onnx_sub(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    return b.add(args[0], args[1], -1, where)


def _onnx_mul(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    return b.multiply(args[0], args[1], False, where)


def _onnx_div(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    return b.multiply(args[0], args[1], True, where)


def _onnx_neg(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    return b.scaled(args[0], np.full(args[0].size, Fraction(-1), dtype=object), where)


def _onnx_relu(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    return b.activate(args[0], ReLU(), where)


def _onnx_leaky(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    slope = Fraction(float(attrs.get("alpha", 0.01)))
    return b.activate(args[0], leaky_relu(slope, where), where)


def _onnx_identity(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    return args[0]


def _onnx_flatten(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    v = args[0]
    axis = attrs.get("axis", 1) % (len(v.shape) + 1)
    if axis != 1:
        raise UnsupportedModelError(f"{where}: Flatten with axis={attrs.get('axis')} mixes the "
                                    f"batch dimension; only axis=1 is supported")
    return v.reshaped((v.size,))


def _onnx_reshape(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    v, target = args[0], [int(s) for s in np.asarray(args[1]).reshape(-1)]
    current = (1, *v.shape)  # batch placeholder 1
    if not attrs.get("allowzero", 0):
        target = [current[i] if s == 0 and i < len(current) else s for i, s in enumerate(target)]
    return b.reshape(v, target, where)


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


def _onnx_conv(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    v, w = args[0], args[1]
    if isinstance(w, Value) or (len(args) > 2 and isinstance(args[2], Value)):
        raise UnsupportedModelError(f"{where}: the kernel and bias must be constants")
    w = exact_array(w, f"{where} W")
    nd = w.ndim - 2
    kernel = tuple(attrs.get("kernel_shape", w.shape[2:]))
    strides, pads, dil = _spatial(attrs, nd, kernel, v.shape[1:], where)
    bias = exact_array(args[2], f"{where} B") if len(args) > 2 and args[2] is not None else None
    return b.conv(v, w, bias, strides, pads, dil, int(attrs.get("group", 1)), where)


def _onnx_clip(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    v = args[0]
    bounds = [args[i] if len(args) > i else attrs.get(("min", "max")[i - 1])
              for i in (1, 2)]
    if any(isinstance(x, Value) for x in bounds):
        raise UnsupportedModelError(f"{where}: the bounds must be constants")
    lo, hi = (broadcast(v, np.asarray(x), where) if x is not None else None for x in bounds)
    return b.clamp(v, lo, hi, where)


def _onnx_hardsigmoid(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    v = args[0]
    alpha = Fraction(float(attrs.get("alpha", 0.2)))
    beta = Fraction(float(attrs.get("beta", 0.5)))
    v = b.shifted(b.scaled(v, np.full(v.size, alpha, dtype=object), where),
                  np.full(v.size, beta, dtype=object), where)
    return b.clamp(v, np.full(v.size, Fraction(0), dtype=object),
                   np.full(v.size, Fraction(1), dtype=object), where)


def _onnx_batchnorm(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    if attrs.get("training_mode", 0):
        raise UnsupportedModelError(f"{where}: training_mode=1 normalises with batch "
                                    f"statistics; export the model in eval mode")
    if any(isinstance(a, Value) for a in args[1:5]):
        raise UnsupportedModelError(f"{where}: scale, bias, mean and variance must be "
                                    f"constants")
    gamma, beta, mean, var = (exact_array(np.asarray(a).reshape(-1), f"{where} {n}")
                              for a, n in zip(args[1:5], ("scale", "B", "mean", "var"),
                                              strict=True))
    eps = Fraction(float(attrs.get("epsilon", 1e-5)))
    return b.normalize(args[0], mean, var, eps, gamma, beta, where)


def _onnx_avgpool(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    v = args[0]
    kernel = tuple(int(k) for k in attrs["kernel_shape"])
    nd = len(kernel)
    strides, pads, dil = _spatial(attrs, nd, kernel, v.shape[-nd:], where)
    if any(p != (0, 0) for p in pads):
        raise UnsupportedModelError(f"{where}: AveragePool with padding {pads} is not "
                                    f"supported (only pads=0)")
    return b.avgpool(v, kernel, strides, dil, bool(attrs.get("ceil_mode", 0)), None, where)


def _onnx_global_avgpool(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    v = args[0]
    return b.mean(v, range(1, len(v.shape)), True, where)


def _onnx_reduce_mean(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    v = args[0]
    axes = args[1] if len(args) > 1 and args[1] is not None else attrs.get("axes")
    if isinstance(axes, Value):
        raise UnsupportedModelError(f"{where}: the axes must be constants")
    if axes is None or len(np.atleast_1d(axes)) == 0:
        if attrs.get("noop_with_empty_axes", 0):
            return v
        raise UnsupportedModelError(f"{where}: a mean over every axis mixes the batch")
    axes = [int(a) % (len(v.shape) + 1) for a in np.atleast_1d(axes)]
    if 0 in axes:
        raise UnsupportedModelError(f"{where}: a mean over the batch axis is not supported")
    return b.mean(v, [a - 1 for a in axes], bool(attrs.get("keepdims", 1)), where)


def _onnx_max(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    return b.maxout([a for a in args if a is not None], where)


def _onnx_maxpool(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
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
    "Clip": _onnx_clip,
    "HardSigmoid": _onnx_hardsigmoid,
    "BatchNormalization": _onnx_batchnorm,
    "AveragePool": _onnx_avgpool,
    "GlobalAveragePool": _onnx_global_avgpool,
    "ReduceMean": _onnx_reduce_mean,
    "LeakyRelu": _onnx_leaky,
    "Conv": _onnx_conv,
    "Flatten": _onnx_flatten,
    "Reshape": _onnx_reshape,
    "Identity": _onnx_identity,
    "Dropout": _onnx_identity,
    "Max": _onnx_max,
    "MaxPool": _onnx_maxpool,
}
