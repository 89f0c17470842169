"""Import ``torch.nn`` models and ``torch.save`` / TorchScript files as a :class:`Network`.

A module is traced with ``torch.fx`` (``symbolic_trace``), so any ``nn.Module``
whose ``forward`` uses the operations below imports, ``Sequential`` or not.
Supported (anything else raises :class:`~tropnet.errors.UnsupportedModelError`
naming the layer or operation, its module path or node name, and the
piecewise-linear alternative where one exists):

* layers (:data:`TORCH_LAYERS`): ``Linear``, ``Conv1d``/``Conv2d`` (zero
  padding, any stride, dilation and groups), ``ReLU``, ``LeakyReLU``
  (``0 <= negative_slope < 1``), ``Hardtanh``, ``ReLU6``, ``Hardsigmoid``,
  ``BatchNorm1d``/``BatchNorm2d`` (inference form: running statistics, folded
  into the preceding Linear or Conv), ``MaxPool1d``/``MaxPool2d`` (maxout),
  ``AvgPool1d``/``AvgPool2d`` (no padding) and ``AdaptiveAvgPool1d``/``2d``
  (output size dividing the input), ``Flatten``, ``Unflatten``, ``Identity``
  and ``Dropout`` (inference: the identity);
* functions and tensor methods (:data:`TORCH_FUNCTIONS`): ``linear``, ``relu``,
  ``leaky_relu``, ``hardtanh``, ``relu6``, ``hardsigmoid``, ``clamp``/``clip``,
  ``maximum`` (maxout), ``flatten``, ``reshape``/``view``, ``size``/``shape``,
  adding, subtracting, multiplying or dividing by constants (tensors,
  parameters, buffers or Python numbers, which torch rounds to float32), and
  adding tensors: a residual connection ``x + f(x)`` is carried through the
  layers of ``f`` exactly (:mod:`tropnet.importers.builder`).

TorchScript modules (which ``torch.fx`` cannot trace) import when scripted from
a ``Sequential`` of the layers above. Inputs follow the layout of
:mod:`tropnet.importers.builder`.

A ``torch.save`` file is a pickle: :func:`load_torch` reads it with
``weights_only=True`` and an allow-list of the layers above, so no code stored
in the file runs, unless the caller passes ``trust=True``.
"""

from __future__ import annotations

import math
import os
import pickle
import warnings
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..activations import ReLU
from ..errors import InputFileError, NetworkError, UnsupportedModelError
from ..network import Network
from .builder import Builder, Value, broadcast, exact_array, leaky_relu, require, unsupported

__all__ = ["TORCH_FUNCTIONS", "TORCH_LAYERS", "from_torch", "load_torch"]

TORCH_LAYERS = ("Linear", "Conv1d", "Conv2d", "ReLU", "LeakyReLU", "Hardtanh", "ReLU6",
                "Hardsigmoid", "BatchNorm1d", "BatchNorm2d", "MaxPool1d", "MaxPool2d",
                "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "Flatten",
                "Unflatten", "Identity", "Dropout", "Dropout1d", "Dropout2d", "Sequential")
TORCH_FUNCTIONS = ("linear", "relu", "leaky_relu", "hardtanh", "relu6", "hardsigmoid", "clamp",
                   "clip", "maximum", "max", "dropout", "flatten", "reshape", "view",
                   "contiguous", "size", "shape", "add", "sub", "mul", "truediv", "div", "neg")


def from_torch(module: Any, input_shape: Sequence[int] | None = None) -> Network:
    """The :class:`Network` computing the same function as a torch module (eval mode).

    Parameters
    ----------
    module
        A ``torch.nn.Module`` traceable by ``torch.fx`` and made of the layers and
        operations listed in :mod:`tropnet.importers.torch`, or a TorchScript module
        scripted from a ``Sequential``. Dropout is read in its inference form (the
        identity), BatchNorm with its running statistics, as after ``model.eval()``.
    input_shape
        The shape of one sample as torch sees it, without the batch dimension,
        e.g. ``(1, 28, 28)``. Inferred when the first shape-fixing layer is a
        ``Linear``; required for convolutional models.

    Returns
    -------
    Network
        Float-input network (weights are the exact rationals of the float32
        weights; a folded BatchNorm multiplies them by the float64 nearest to
        ``gamma / sqrt(var + eps)``, exact when that is rational); inputs follow the
        height x width x channels convention of :mod:`tropnet.importers.builder`.

    Raises
    ------
    UnsupportedModelError
        For a layer or operation that tropnet cannot represent, naming it and its
        module path or node.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3),
    ...                             torch.nn.ReLU(), torch.nn.Linear(3, 1))
    >>> net = from_torch(model.eval())
    >>> net.architecture(), net.exact_input
    ('2-[3]-1', False)
    """
    torch = require("torch")
    if not isinstance(module, torch.nn.Module):
        raise UnsupportedModelError(f"expected a torch.nn.Module, got {type(module).__name__}")
    if isinstance(module, torch.jit.ScriptModule):
        return _from_script(module, torch, input_shape)
    if _torch_kind(module, torch) in _TORCH_RULES:  # a single layer: layer 0 of a Sequential
        module = torch.nn.Sequential(module)
    gm = _trace(module, torch)
    nodes = list(gm.graph.nodes)
    inputs = [n for n in nodes if n.op == "placeholder"]
    if len(inputs) != 1:
        raise UnsupportedModelError(f"forward takes {len(inputs)} inputs; tropnet imports "
                                    f"single-input models")
    mods = dict(gm.named_modules())
    builder = Builder(_fx_input_shape(nodes, mods, torch, input_shape))
    env: dict[str, Any] = {inputs[0].name: builder.input_value()}
    index = {n: k for k, n in enumerate(nodes)}
    last_use = {n.name: max((index[u] for u in n.users), default=-1) for n in nodes}
    for k, node in enumerate(nodes):
        if node.op == "placeholder":
            continue
        args = torch.fx.node.map_arg(node.args, lambda n: env[n.name])
        kwargs = torch.fx.node.map_arg(node.kwargs, lambda n: env[n.name])
        if node.op == "output":
            out = args[0]
            if not isinstance(out, Value):
                raise UnsupportedModelError(
                    "the output is not one tensor depending on the input"
                    + (" (several outputs)" if isinstance(out, (tuple, list, dict)) else ""))
            return builder.finish(out)
        builder.live = {n: v for n, v in env.items()
                        if isinstance(v, Value) and last_use[n] > k}
        env[node.name] = _fx_node(builder, gm, node, mods, args, kwargs, torch)
        env.update(builder.live)
    raise UnsupportedModelError("the traced graph has no output")  # pragma: no cover


def _trace(module: Any, torch: Any) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.fx.symbolic_trace(module)
    except Exception as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UnsupportedModelError(
            f"torch.fx cannot trace {type(module).__name__} ({msg}); forward must not branch "
            f"on tensor values. Export it to ONNX (torch.onnx.export) and use from_onnx, or "
            f"rewrite forward") from None


def _fn_name(node: Any) -> str:
    """The name of a call_function / call_method target (``add``, ``relu``, ``view``)."""
    t = node.target
    return t if isinstance(t, str) else getattr(t, "__name__", repr(t))


def _has_value(x: Any) -> bool:
    if isinstance(x, Value):
        return True
    if isinstance(x, (tuple, list)):
        return any(_has_value(y) for y in x)
    if isinstance(x, dict):
        return any(_has_value(y) for y in x.values())
    return False


def _fx_node(b: Builder, gm: Any, node: Any, mods: dict[str, Any], args: tuple,
             kwargs: dict, torch: Any) -> Any:
    """The tensor (or constant) computed by one traced node."""
    if node.op == "get_attr":
        obj = gm
        for part in str(node.target).split("."):
            obj = getattr(obj, part)
        return obj
    if node.op == "call_module":
        m = mods[str(node.target)]
        kind = _torch_kind(m, torch)
        where = f"layer {node.target} ({kind})"
        if kind not in _TORCH_RULES:
            raise unsupported(kind, where, TORCH_LAYERS)
        if len(args) != 1 or kwargs or not isinstance(args[0], Value):
            raise UnsupportedModelError(f"{where}: expected one tensor argument depending on "
                                        f"the input")
        return _TORCH_RULES[kind](b, args[0], m, where)
    name = _fn_name(node)
    where = f"operation {node.name} ({name})"
    if not _has_value(args) and not _has_value(kwargs):  # constants only: evaluate
        try:
            with torch.no_grad():
                if node.op == "call_method":
                    return getattr(args[0], name)(*args[1:], **kwargs)
                return node.target(*args, **kwargs)
        except Exception as exc:
            raise UnsupportedModelError(f"{where}: cannot evaluate on constants ({exc})") from None
    rule = _FX_RULES.get(name)
    if rule is None:
        raise unsupported(name, where, TORCH_FUNCTIONS)
    return rule(b, args, kwargs, where)


def _bind(args: tuple, kwargs: dict, names: Sequence[str], where: str, **defaults: Any
          ) -> dict[str, Any]:
    """The arguments of a call by parameter name (``names`` in positional order)."""
    if len(args) > len(names):
        raise UnsupportedModelError(f"{where}: unexpected arguments {args[len(names):]!r}")
    out = dict(defaults)
    out.update(zip(names, args, strict=False))
    for k, v in kwargs.items():
        if k not in names:
            raise UnsupportedModelError(f"{where}: argument {k}= is not supported")
        out[k] = v
    missing = [n for n in names if n not in out]
    if missing:
        raise UnsupportedModelError(f"{where}: missing argument {missing[0]}")
    return out


def _tensor_arg(x: Any, where: str) -> Value:
    if not isinstance(x, Value):
        raise UnsupportedModelError(f"{where}: expected a tensor depending on the input")
    return x


class _BatchSize:
    """The batch size (``x.size(0)``): allowed in reshape targets, not as a number."""

    def __repr__(self) -> str:
        return "the batch size"


_BATCH = _BatchSize()


def _const(x: Any, where: str) -> Any:
    """A constant operand as numpy: tensors as they are, Python numbers rounded to float32
    (what torch does with a scalar and a float32 tensor)."""
    if isinstance(x, Value):
        return x
    if hasattr(x, "detach"):
        return _tensor(x)
    if x is _BATCH:
        raise UnsupportedModelError(f"{where}: uses the batch size as a number (the imported "
                                    f"network computes one sample)")
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise UnsupportedModelError(f"{where}: unsupported operand {x!r}")
    return np.float32(x)


def _f32(x: Any) -> Fraction:
    """A Python number as torch applies it to a float32 tensor (rounded to float32)."""
    return Fraction(float(np.float32(x)))


def _bound(v: Value, x: Any, where: str) -> np.ndarray | None:
    return None if x is None else broadcast(v, _const(x, where), where)


def _fx_add(b: Builder, args: tuple, kwargs: dict, where: str, sign: int = 1) -> Value:
    a = _bind(args, kwargs, ("input", "other"), where, alpha=1)
    if a["alpha"] != 1:
        raise UnsupportedModelError(f"{where}: alpha={a['alpha']} is not supported")
    return b.add(_const(a["input"], where), _const(a["other"], where), sign, where)


def _fx_sub(b: Builder, args: tuple, kwargs: dict, where: str) -> Value:
    return _fx_add(b, args, kwargs, where, -1)


def _fx_mul(b: Builder, args: tuple, kwargs: dict, where: str, divide: bool = False) -> Value:
    a = _bind(args, kwargs, ("input", "other"), where, rounding_mode=None)
    if a["rounding_mode"] is not None:
        raise UnsupportedModelError(f"{where}: rounding_mode={a['rounding_mode']!r} is not "
                                    f"linear")
    return b.multiply(_const(a["input"], where), _const(a["other"], where), divide, where)


def _fx_div(b: Builder, args: tuple, kwargs: dict, where: str) -> Value:
    return _fx_mul(b, args, kwargs, where, divide=True)


def _fx_neg(b: Builder, args: tuple, kwargs: dict, where: str) -> Value:
    v = _tensor_arg(_bind(args, kwargs, ("input",), where)["input"], where)
    return b.scaled(v, np.full(v.size, Fraction(-1), dtype=object), where)


def _fx_relu(b: Builder, args: tuple, kwargs: dict, where: str) -> Value:
    a = _bind(args, kwargs, ("input", "inplace"), where, inplace=False)
    return b.activate(_tensor_arg(a["input"], where), ReLU(), where)


def _fx_leaky(b: Builder, args: tuple, kwargs: dict, where: str) -> Value:
    a = _bind(args, kwargs, ("input", "negative_slope", "inplace"), where,
              negative_slope=0.01, inplace=False)
    slope = _f32(a["negative_slope"])
    return b.activate(_tensor_arg(a["input"], where), leaky_relu(slope, where), where)


def _fx_clamp(b: Builder, args: tuple, kwargs: dict, where: str) -> Value:
    a = _bind(args, kwargs, ("input", "min", "max"), where, min=None, max=None)
    v = _tensor_arg(a["input"], where)
    return b.clamp(v, _bound(v, a["min"], where), _bound(v, a["max"], where), where)


def _fx_hardtanh(b: Builder, args: tuple, kwargs: dict, where: str) -> Value:
    a = _bind(args, kwargs, ("input", "min_val", "max_val", "inplace"), where, min_val=-1.0,
              max_val=1.0, inplace=False)
    return _clamp(b, _tensor_arg(a["input"], where), a["min_val"], a["max_val"], where)


def _fx_relu6(b: Builder, args: tuple, kwargs: dict, where: str) -> Value:
    a = _bind(args, kwargs, ("input", "inplace"), where, inplace=False)
    return _clamp(b, _tensor_arg(a["input"], where), 0, 6, where)


def _fx_hardsigmoid(b: Builder, args: tuple, kwargs: dict, where: str) -> Value:
    a = _bind(args, kwargs, ("input", "inplace"), where, inplace=False)
    return _hardsigmoid(b, _tensor_arg(a["input"], where), where)


def _clamp(b: Builder, v: Value, lo: Any, hi: Any, where: str) -> Value:
    return b.clamp(v, np.full(v.size, _f32(lo), dtype=object),
                   np.full(v.size, _f32(hi), dtype=object), where)


def _hardsigmoid(b: Builder, v: Value, where: str) -> Value:
    """``relu6(x + 3) / 6 = clamp(x / 6 + 1/2, 0, 1)``."""
    v = b.shifted(b.scaled(v, np.full(v.size, Fraction(1, 6), dtype=object), where),
                  np.full(v.size, Fraction(1, 2), dtype=object), where)
    return _clamp(b, v, 0, 1, where)


def _fx_maximum(b: Builder, args: tuple, kwargs: dict, where: str) -> Value:
    if len(args) != 2 or kwargs or not all(isinstance(x, Value) or hasattr(x, "detach")
                                           for x in args):
        raise UnsupportedModelError(f"{where}: only the elementwise maximum of two tensors "
                                    f"is supported (not a reduction)")
    return b.maxout([_const(x, where) for x in args], where)


def _fx_linear(b: Builder, args: tuple, kwargs: dict, where: str) -> Value:
    a = _bind(args, kwargs, ("input", "weight", "bias"), where, bias=None)
    if isinstance(a["weight"], Value) or isinstance(a["bias"], Value):
        raise UnsupportedModelError(f"{where}: the weight and bias must be constants")
    w = exact_array(_tensor(a["weight"]), f"{where} weight")
    bias = exact_array(_tensor(a["bias"]), f"{where} bias") if a["bias"] is not None else None
    return b.last_axis_affine(_tensor_arg(a["input"], where), w.T, bias, where)


def _fx_dropout(b: Builder, args: tuple, kwargs: dict, where: str) -> Value:
    return _tensor_arg(args[0], where)


def _fx_flatten(b: Builder, args: tuple, kwargs: dict, where: str) -> Value:
    a = _bind(args, kwargs, ("input", "start_dim", "end_dim"), where, start_dim=0, end_dim=-1)
    return _flatten(_tensor_arg(a["input"], where), a["start_dim"], a["end_dim"], where)


def _fx_reshape(b: Builder, args: tuple, kwargs: dict, where: str) -> Value:
    v = _tensor_arg(args[0], where)
    rest = args[1:]
    if "shape" in kwargs:
        shape = kwargs["shape"]
    elif len(rest) == 1 and isinstance(rest[0], (tuple, list)):
        shape = rest[0]
    else:
        shape = rest
    return b.reshape(v, [1 if s is _BATCH else int(s) for s in shape], where)


def _fx_size(b: Builder, args: tuple, kwargs: dict, where: str) -> Any:
    v = _tensor_arg(args[0], where)
    full = (_BATCH, *v.shape)
    dim = kwargs.get("dim", args[1] if len(args) > 1 else None)
    return tuple(full) if dim is None else full[dim]


def _fx_getattr(b: Builder, args: tuple, kwargs: dict, where: str) -> Any:
    if args[1] != "shape":
        raise UnsupportedModelError(f"{where}: attribute {args[1]!r} of a tensor is not "
                                    f"supported")
    return _fx_size(b, args[:1], {}, where)


def _fx_contiguous(b: Builder, args: tuple, kwargs: dict, where: str) -> Value:
    return _tensor_arg(args[0], where)


_FX_RULES: dict[str, Callable[[Builder, tuple, dict, str], Any]] = {
    "add": _fx_add, "iadd": _fx_add, "sub": _fx_sub, "isub": _fx_sub, "mul": _fx_mul,
    "imul": _fx_mul, "truediv": _fx_div, "itruediv": _fx_div, "div": _fx_div, "neg": _fx_neg,
    "relu": _fx_relu, "leaky_relu": _fx_leaky, "clamp": _fx_clamp, "clip": _fx_clamp,
    "hardtanh": _fx_hardtanh, "relu6": _fx_relu6, "hardsigmoid": _fx_hardsigmoid,
    "maximum": _fx_maximum, "max": _fx_maximum, "dropout": _fx_dropout, "linear": _fx_linear,
    "flatten": _fx_flatten, "reshape": _fx_reshape, "view": _fx_reshape, "size": _fx_size,
    "getattr": _fx_getattr, "contiguous": _fx_contiguous,
}
#: operations that keep the shape, for inferring the input shape
_ELEMENTWISE = ("relu", "leaky_relu", "clamp", "clip", "hardtanh", "relu6", "hardsigmoid",
                "dropout", "contiguous", "add", "iadd", "sub", "isub", "mul", "imul", "truediv",
                "itruediv", "div", "neg")


def _fx_input_shape(nodes: list[Any], mods: dict[str, Any], torch: Any,
                    given: Sequence[int] | None) -> tuple[int, ...]:
    if given is not None:
        return _given_shape(given)
    for node in nodes:
        if node.op in ("placeholder", "get_attr"):
            continue
        if node.op == "call_module":
            m = mods[str(node.target)]
            kind = _torch_kind(m, torch)
            if kind == "Linear":
                return (int(m.in_features),)
            if kind in _SHAPE_PRESERVING:
                continue
            where = f"layer {node.target} ({kind})"
        elif node.op in ("call_function", "call_method") and _fn_name(node) in _ELEMENTWISE:
            continue
        else:
            where = f"operation {node.name}"
        raise NetworkError(f"cannot infer the input shape from {where}; pass "
                           f"input_shape=(C, H, W) (one sample, without the batch dimension)")
    raise NetworkError("cannot infer the input shape (no Linear layer); pass input_shape")


def _given_shape(given: Sequence[int]) -> tuple[int, ...]:
    shape = tuple(int(s) for s in np.atleast_1d(np.asarray(given, dtype=object)))
    if not shape or any(s < 1 for s in shape):
        raise NetworkError(f"input_shape must be positive integers, got {given!r}")
    return shape


def _from_script(module: Any, torch: Any, input_shape: Sequence[int] | None) -> Network:
    """A TorchScript module scripted from a (nested) Sequential of supported layers."""
    mods = list(_torch_modules(module, torch))
    if not mods:
        raise UnsupportedModelError("the Sequential is empty: nothing to import")
    kinds = [_torch_kind(m, torch) for _, m in mods]
    for (name, _), kind in zip(mods, kinds, strict=True):
        if kind not in _TORCH_RULES:
            raise unsupported(kind, f"layer {name} ({kind}) of a TorchScript module",
                              TORCH_LAYERS)
    builder = Builder(_torch_input_shape(mods, kinds, input_shape))
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


_SHAPE_PRESERVING = ("ReLU", "LeakyReLU", "Identity", "Dropout", "Hardtanh", "ReLU6",
                     "Hardsigmoid")


def _torch_input_shape(mods: list[tuple[str, Any]], kinds: list[str],
                       given: Sequence[int] | None) -> tuple[int, ...]:
    if given is not None:
        return _given_shape(given)
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


def _torch_linear(b: Builder, v: Value, m: Any, where: str) -> Value:
    w = exact_array(_tensor(m.weight), f"{where}.weight")
    bias = exact_array(_tensor(m.bias), f"{where}.bias") if m.bias is not None else None
    return b.last_axis_affine(v, w.T, bias, where)


def _torch_conv(b: Builder, v: Value, m: Any, where: str) -> Value:
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
    w = exact_array(_tensor(m.weight), f"{where}.weight")
    bias = exact_array(_tensor(m.bias), f"{where}.bias") if m.bias is not None else None
    return b.conv(v, w, bias, tuple(int(s) for s in m.stride), pads, dil, int(m.groups), where)


def _torch_relu(b: Builder, v: Value, m: Any, where: str) -> Value:
    return b.activate(v, ReLU(), where)


def _torch_leaky(b: Builder, v: Value, m: Any, where: str) -> Value:
    # torch multiplies float32 tensors by the slope rounded to float32
    return b.activate(v, leaky_relu(_f32(m.negative_slope), where), where)


def _torch_identity(b: Builder, v: Value, m: Any, where: str) -> Value:
    return v


def _torch_flatten(b: Builder, v: Value, m: Any, where: str) -> Value:
    return _flatten(v, m.start_dim, m.end_dim, where)


def _flatten(v: Value, start_dim: int, end_dim: int, where: str) -> Value:
    rank = len(v.shape) + 1  # with the batch dimension
    start, end = start_dim % rank, end_dim % rank
    if start == 0:
        raise UnsupportedModelError(f"{where}: flattening the batch dimension (start_dim=0) is "
                                    f"not supported")
    shape = (*v.shape[:start - 1], math.prod(v.shape[start - 1:end]), *v.shape[end:])
    return v.reshaped(shape)


def _torch_unflatten(b: Builder, v: Value, m: Any, where: str) -> Value:
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


def _tup(x: Any, nd: int) -> tuple[int, ...]:
    return tuple(int(s) for s in (x if isinstance(x, (tuple, list)) else (x,) * nd))


def _torch_maxpool(b: Builder, v: Value, m: Any, where: str) -> Value:
    nd = 1 if where.endswith("1d)") else 2
    if getattr(m, "return_indices", False):
        raise UnsupportedModelError(f"{where}: return_indices=True is not supported")
    k = _tup(m.kernel_size, nd)
    stride = _tup(m.stride if m.stride is not None else m.kernel_size, nd)
    pads = [(p, p) for p in _tup(m.padding, nd)]
    return b.maxpool(v, k, stride, pads, _tup(m.dilation, nd), bool(m.ceil_mode), where)


def _torch_avgpool(b: Builder, v: Value, m: Any, where: str) -> Value:
    nd = 1 if where.endswith("1d)") else 2
    if any(_tup(m.padding, nd)):
        raise UnsupportedModelError(f"{where}: padding={m.padding} is not supported (only "
                                    f"padding=0)")
    k = _tup(m.kernel_size, nd)
    stride = _tup(m.stride if m.stride is not None else m.kernel_size, nd)
    return b.avgpool(v, k, stride, (1,) * nd, bool(m.ceil_mode),
                     getattr(m, "divisor_override", None), where)


def _torch_adaptive_avgpool(b: Builder, v: Value, m: Any, where: str) -> Value:
    """Adaptive average pooling where each output size divides the input size: the plain
    average pooling with kernel = stride = input / output."""
    nd = 1 if where.endswith("1d)") else 2
    sizes = v.shape[-nd:]
    out = [s if o is None else int(o) for s, o in zip(sizes, _tup(m.output_size, nd),
                                                      strict=True)]
    if len(v.shape) != nd + 1 or any(s % o for s, o in zip(sizes, out, strict=True)):
        raise UnsupportedModelError(f"{where}: output size {tuple(out)} does not divide the "
                                    f"input size {tuple(sizes)} (overlapping windows of "
                                    f"different sizes are not supported)")
    k = tuple(s // o for s, o in zip(sizes, out, strict=True))
    return b.avgpool(v, k, k, (1,) * nd, False, None, where)


def _torch_batchnorm(b: Builder, v: Value, m: Any, where: str) -> Value:
    if m.running_mean is None or m.running_var is None:
        raise UnsupportedModelError(f"{where}: track_running_stats=False normalises with batch "
                                    f"statistics, which is not a fixed function")
    mean = exact_array(_tensor(m.running_mean), f"{where}.running_mean")
    var = exact_array(_tensor(m.running_var), f"{where}.running_var")
    gamma = exact_array(_tensor(m.weight), f"{where}.weight") if m.weight is not None else None
    beta = exact_array(_tensor(m.bias), f"{where}.bias") if m.bias is not None else None
    return b.normalize(v, mean, var, Fraction(float(m.eps)), gamma, beta, where)


def _torch_hardtanh(b: Builder, v: Value, m: Any, where: str) -> Value:
    return _clamp(b, v, m.min_val, m.max_val, where)  # ReLU6 is Hardtanh(0, 6)


def _torch_hardsigmoid(b: Builder, v: Value, m: Any, where: str) -> Value:
    return _hardsigmoid(b, v, where)


_TORCH_RULES: dict[str, Callable[[Any, Any, Any, str], Any]] = {
    "Linear": _torch_linear,
    "Conv1d": _torch_conv,
    "Conv2d": _torch_conv,
    "ReLU": _torch_relu,
    "LeakyReLU": _torch_leaky,
    "Identity": _torch_identity,
    "Dropout": _torch_identity,
    "Dropout1d": _torch_identity,
    "Dropout2d": _torch_identity,
    "Flatten": _torch_flatten,
    "Unflatten": _torch_unflatten,
    "MaxPool1d": _torch_maxpool,
    "MaxPool2d": _torch_maxpool,
    "AvgPool1d": _torch_avgpool,
    "AvgPool2d": _torch_avgpool,
    "AdaptiveAvgPool1d": _torch_adaptive_avgpool,
    "AdaptiveAvgPool2d": _torch_adaptive_avgpool,
    "BatchNorm1d": _torch_batchnorm,
    "BatchNorm2d": _torch_batchnorm,
    "Hardtanh": _torch_hardtanh,
    "ReLU6": _torch_hardtanh,
    "Hardsigmoid": _torch_hardsigmoid,
}


def load_torch(path: str | os.PathLike, input_shape: Sequence[int] | None = None,
                trust: bool = False) -> Network:
    """The :class:`Network` of a torch file (a TorchScript archive, or a whole module saved
    with ``torch.save``), imported with :func:`from_torch`.

    A ``torch.save`` file is a pickle. It is read with ``weights_only=True``
    and an allow-list of the ``torch.nn`` layers tropnet imports, so no code
    stored in the file runs. A file that needs other classes (a custom
    module) is refused unless ``trust=True`` (CLI: ``--trust-pickle``), which
    unpickles it fully and runs whatever code it holds: only for files you
    trust. A file holding a ``state_dict`` (weights without the module)
    cannot be imported; build the module and call :func:`from_torch`.

    Parameters
    ----------
    path : str or PathLike
        The ``.pt``/``.pth`` file.
    input_shape : sequence of int or None, default None
        The shape of one sample, without the batch dimension (see `from_torch`).
    trust : bool, default False
        Unpickle the file fully, running the code it holds.
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"{p}: no such file")
    torch = require("torch")
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

