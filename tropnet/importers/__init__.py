"""Import trained models: torch modules (traced with ``torch.fx``) and ONNX graphs become a
:class:`Network`.

The imported :class:`~tropnet.network.Network` computes the model's function on
the model's own weights: every float32 weight is converted exactly
(``Fraction(float(w))``), and the network is marked as float input, so the
default arithmetic of every algorithm is float64 and ``exact=True`` analyses
exactly the rationals the float32 weights denote. BatchNorm is folded (its scale
``gamma / sqrt(var + eps)`` is the float64 nearest to it when irrational), pools and
clamps are lowered exactly, residual connections are carried through the layers
(:mod:`tropnet.importers.builder`).

* :func:`from_torch` / :func:`load_torch` -- torch modules and files
  (:mod:`tropnet.importers.torch`, which lists the supported layers and operations);
* :func:`from_onnx` -- ONNX graphs (:mod:`tropnet.importers.onnx`);
* :func:`load_model` -- a model file of either kind;
* :func:`flatten_sample` -- the network input of a model sample; the layout
  convention and how layers are formed are in :mod:`tropnet.importers.builder`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputFileError, NetworkError
from ..network import Network
from .builder import flatten_sample
from .onnx import ONNX_OPERATORS, from_onnx
from .torch import TORCH_FUNCTIONS, TORCH_LAYERS, from_torch, load_torch

__all__ = ["ONNX_OPERATORS", "TORCH_FUNCTIONS", "TORCH_LAYERS", "flatten_sample", "from_onnx",
           "from_torch", "load_model", "load_torch"]


def load_model(path: str | os.PathLike, input_shape: Sequence[int] | None = None,
               trust: bool = False) -> Network:
    """Import a model file: ``.onnx`` with :func:`from_onnx`; ``.pt``/``.pth`` (a TorchScript
    archive, or a whole module saved with ``torch.save``) with :func:`load_torch`.

    A ``torch.save`` file is a pickle, read without running code stored in it
    unless ``trust=True`` (CLI: ``--trust-pickle``): see :func:`load_torch`.

    Parameters
    ----------
    path : str or PathLike
        The model file: ``.onnx``, ``.pt`` or ``.pth``.
    input_shape : sequence of int or None, default None
        Torch files only: the shape of one sample, without the batch dimension (see
        `from_torch`).
    trust : bool, default False
        Unpickle a ``torch.save`` file fully, running the code it holds.
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
    return load_torch(p, input_shape, trust)
