"""Import ONNX graphs as a :class:`Network` (only the ``onnx`` package is needed, no runtime).

Supported (anything else raises :class:`~tropnet.errors.UnsupportedModelError`
naming the operator and its node): ``Gemm``, ``MatMul`` (input on the left),
``Add``/``Sub``/``Mul``/``Div``/``Neg`` with constants, ``Relu``,
``LeakyRelu``, ``Conv``, ``Flatten``, ``Reshape``, ``Identity``, ``Dropout``,
``Max`` (maxout), ``MaxPool``, and any node whose inputs are all constants
(``Shape`` of the input counts as a constant; such nodes are evaluated with
``onnx.reference``). Single input, single output, no skip connections. Inputs
follow the layout of :mod:`tropnet.importers.builder`.
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
from .builder import Builder, Value, broadcast, exact_array, leaky_relu, require

__all__ = ["ONNX_OPERATORS", "from_onnx"]

ONNX_OPERATORS = ("Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Neg", "Relu", "LeakyRelu",
                  "Conv", "Flatten", "Reshape", "Identity", "Dropout", "Max", "MaxPool",
                  "Constant", "Shape")


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
            raise UnsupportedModelError(f"{where}: operator {node.op_type} is not supported; "
                                        f"supported: {', '.join(ONNX_OPERATORS)}")
        env[node.output[0]] = rule(builder, args, attrs, where)
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


def _split(args: list[Any]) -> tuple[Value, np.ndarray | Value, bool]:
    """``(value, other, value_first)`` for a binary node with at least one input value."""
    a, b = args[0], args[1]
    if isinstance(a, Value):
        return a, b, True
    return b, a, False


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


def _onnx_add(b: Builder, args: list[Any], attrs: dict, where: str, sign: int = 1) -> Value:
    v, other, first = _split(args)
    if isinstance(other, Value):
        return b.combine(v, other, sign, where)
    c = broadcast(v, other, where)
    if first:
        return b.shifted(v, c * sign if sign != 1 else c, where)
    return b.shifted(b.scaled(v, np.full(v.size, Fraction(-1), dtype=object), where), c, where)


def _onnx_sub(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    return _onnx_add(b, args, attrs, where, sign=-1)


def _onnx_mul(b: Builder, args: list[Any], attrs: dict, where: str, divide: bool = False
              ) -> Value:
    v, other, first = _split(args)
    if isinstance(other, Value) or (divide and not first):
        raise UnsupportedModelError(f"{where}: only multiplying or dividing by constants is "
                                    f"supported (the product of two inputs is not linear)")
    s = broadcast(v, other, where)
    if divide:
        if any(x == 0 for x in s):
            raise UnsupportedModelError(f"{where}: division by zero")
        s = np.array([1 / x for x in s], dtype=object)
    return b.scaled(v, s, where)


def _onnx_div(b: Builder, args: list[Any], attrs: dict, where: str) -> Value:
    return _onnx_mul(b, args, attrs, where, divide=True)


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
    "LeakyRelu": _onnx_leaky,
    "Conv": _onnx_conv,
    "Flatten": _onnx_flatten,
    "Reshape": _onnx_reshape,
    "Identity": _onnx_identity,
    "Dropout": _onnx_identity,
    "Max": _onnx_max,
    "MaxPool": _onnx_maxpool,
}
