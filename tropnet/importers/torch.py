"""Import ``torch.nn`` models and ``torch.save`` / TorchScript files as a :class:`Network`.

Supported (anything else raises :class:`~tropnet.errors.UnsupportedModelError`
naming the layer and its position): ``Sequential`` (nested too) of ``Linear``,
``ReLU``, ``LeakyReLU`` (``0 <= negative_slope < 1``), ``Identity``,
``Dropout`` (inference: the identity), ``Flatten``, ``Unflatten``,
``Conv1d``/``Conv2d`` (zero padding, any stride, dilation and groups) and
``MaxPool1d``/``MaxPool2d`` (maxout); TorchScript modules scripted from such a
``Sequential`` too. Inputs follow the layout of :mod:`tropnet.importers.builder`.

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
from .builder import Builder, Value, exact_array, leaky_relu, require

__all__ = ["TORCH_LAYERS", "from_torch", "load_torch"]

TORCH_LAYERS = ("Linear", "ReLU", "LeakyReLU", "Identity", "Dropout", "Flatten", "Unflatten",
                "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "Sequential")


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
        :mod:`tropnet.importers.builder`.

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
    torch = require("torch")
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
    slope = Fraction(float(np.float32(m.negative_slope)))
    return b.activate(v, leaky_relu(slope, where), where)


def _torch_identity(b: Builder, v: Value, m: Any, where: str) -> Value:
    return v


def _torch_flatten(b: Builder, v: Value, m: Any, where: str) -> Value:
    rank = len(v.shape) + 1  # with the batch dimension
    start, end = m.start_dim % rank, m.end_dim % rank
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


def _torch_maxpool(b: Builder, v: Value, m: Any, where: str) -> Value:
    nd = 1 if _torch_kind(m, require("torch")).endswith("1d") else 2
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

