"""Reading and writing networks: the JSON network format and NPZ.

JSON format (numbers may be JSON numbers or exact rational strings)::

    {"input_dim": 2,
     "layers": [
       {"weight": [[1, -1], [0.5, 2]], "bias": [0, 1], "activation": "relu"},
       {"weight": [[1, 1]], "bias": ["1/3"], "activation": "identity"}]}

Optional per-layer keys: ``slope`` (leaky_relu), ``rank`` (maxout), ``meta``.
A layer may instead be given as ``{"type": "conv", ...}`` (see
:mod:`tropnet.conv`), which is lowered to a dense layer on reading.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .conv import read_conv_layer
from .errors import InputFileError, NetworkError
from .files import check_input_file, load_json, write_atomic
from .network import Layer, Network

__all__ = [
    "load_json",
    "load_network",
    "network_from_dict",
    "save_network",
    "write_atomic",
]


def network_from_dict(data: Any, source: str = "network") -> Network:
    """Build a :class:`Network` from the parsed JSON format.

    Parameters
    ----------
    data : dict
        The parsed JSON object, with ``input_dim`` and ``layers``.
    source : str, default "network"
        Where it was read, named in error messages.
    """
    if not isinstance(data, dict):
        raise InputFileError(f"{source}: expected a JSON object with keys 'input_dim' and "
                             f"'layers'")
    missing = [k for k in ("input_dim", "layers") if k not in data]
    if missing:
        raise InputFileError(f"{source}: missing key{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(repr(k) for k in missing)}")
    layers = data["layers"]
    if not isinstance(layers, list) or not layers:
        raise InputFileError(f"{source}: 'layers' must be a non-empty list")
    built = []
    for i, spec in enumerate(layers):
        where = f"{source}: layer {i}"
        if not isinstance(spec, dict):
            raise InputFileError(f"{where}: expected an object")
        kind = spec.get("type", "dense")
        if kind == "conv":
            built.append(read_conv_layer(spec, where))
            continue
        if kind != "dense":
            raise NetworkError(f"{where}: unknown layer type {kind!r} (expected dense or conv)")
        missing = [k for k in ("weight", "bias") if k not in spec]
        if missing:
            raise InputFileError(f"{where}: missing key{'s' if len(missing) > 1 else ''} "
                                 f"{', '.join(repr(k) for k in missing)}")
        unknown = set(spec) - {"weight", "bias", "activation", "slope", "rank", "meta", "type"}
        if unknown:
            raise InputFileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        built.append(Layer.create(spec["weight"], spec["bias"], spec.get("activation", "relu"),
                                  slope=spec.get("slope", 0), rank=spec.get("rank", 1),
                                  meta=spec.get("meta"), where=where))
    return Network(_input_dim(data["input_dim"], source), tuple(built))


def _input_dim(value: Any, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise NetworkError(f"{source}: 'input_dim' must be a positive integer, got {value!r}")
    return value


def load_network(path: str | os.PathLike) -> Network:
    """Read a network from a ``.json`` (tropnet format) or ``.npz`` file.

    Parameters
    ----------
    path : str or PathLike
        The file.
    """
    p = check_input_file(path)
    if p.suffix.lower() == ".npz":
        return _load_npz(p)
    return network_from_dict(load_json(p), str(p))


#: the most layers an NPZ file may declare
_MAX_NPZ_LAYERS = 100_000


def _load_npz(p: Path) -> Network:
    try:
        with np.load(p, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise InputFileError(f"{p}: the NPZ file holds object arrays (pickled Python "
                                 f"objects), which tropnet does not load; store numbers and "
                                 f"strings only") from None
        raise InputFileError(f"{p}: not a readable NPZ file ({exc})") from None
    except Exception as exc:  # numpy/zipfile raise several types for corrupt files
        raise InputFileError(f"{p}: not a readable NPZ file ({exc})") from None
    if "input_dim" not in arrays or "n_layers" not in arrays:
        raise InputFileError(f"{p}: NPZ must hold 'input_dim', 'n_layers' and W0, b0, act0, ...")
    n_layers = _npz_int(arrays, "n_layers", p, 1, _MAX_NPZ_LAYERS)
    layers = []
    for i in range(n_layers):
        missing = [k for k in (f"W{i}", f"b{i}", f"act{i}") if k not in arrays]
        if missing:
            raise InputFileError(f"{p}: missing array {missing[0]!r} (n_layers is {n_layers})")
        act = arrays[f"act{i}"]
        if act.ndim != 0 or act.dtype.kind not in "US":
            raise InputFileError(f"{p}: 'act{i}' must be one string such as 'relu'")
        spec = {"weight": _npz_numbers(arrays, f"W{i}", p).tolist(),
                "bias": _npz_numbers(arrays, f"b{i}", p).tolist(), "activation": str(act)}
        if f"slope{i}" in arrays:
            slope = _npz_numbers(arrays, f"slope{i}", p)
            if slope.ndim != 0:
                raise InputFileError(f"{p}: 'slope{i}' must be one number")
            spec["slope"] = slope.item()
        if f"rank{i}" in arrays:
            spec["rank"] = _npz_int(arrays, f"rank{i}", p, 1, 10**6)
        layers.append(spec)
    input_dim = _npz_int(arrays, "input_dim", p, 1, 10**9)
    return network_from_dict({"input_dim": input_dim, "layers": layers}, str(p))


def _npz_numbers(arrays: dict, key: str, p: Path) -> np.ndarray:
    arr = arrays[key]
    if arr.dtype.kind not in "biuf":
        raise InputFileError(f"{p}: {key!r} must hold numbers, got an array of dtype "
                             f"{arr.dtype}")
    return arr


def _npz_int(arrays: dict, key: str, p: Path, lo: int, hi: int) -> int:
    """The integer stored as the 0-d integer array ``key`` (``lo`` to ``hi``)."""
    arr = arrays[key]
    if arr.ndim != 0 or arr.dtype.kind not in "iu":
        shown = repr(arr.item()) if arr.ndim == 0 else f"an array of shape {arr.shape}"
        raise InputFileError(f"{p}: {key!r} must be one integer, got {shown} "
                             f"(dtype {arr.dtype})")
    value = int(arr)
    if not lo <= value <= hi:
        raise InputFileError(f"{p}: {key!r} must be an integer from {lo} to {hi:,}, got "
                             f"{value}")
    return value


def network_text(net: Network) -> str:
    """The tropnet JSON text of a network (what :func:`save_network` writes to a ``.json``)."""
    return json.dumps(net.to_dict(), indent=1) + "\n"


def save_network(net: Network, path: str | os.PathLike) -> None:
    """Write a network as tropnet JSON (exact: rationals as ``"p/q"`` strings) or NPZ (float).

    Parameters
    ----------
    net : Network
        The network.
    path : str or PathLike
        The output file; ``.npz`` writes NPZ, anything else JSON.
    """
    p = Path(path)
    if p.suffix.lower() == ".npz":
        arrays: dict[str, Any] = {"input_dim": net.input_dim, "n_layers": len(net.layers)}
        for i, layer in enumerate(net.layers):
            arrays[f"W{i}"] = np.array(layer.weight, dtype=float)
            arrays[f"b{i}"] = np.array(layer.bias, dtype=float)
            arrays[f"act{i}"] = layer.activation
            arrays[f"slope{i}"] = float(layer.slope)
            arrays[f"rank{i}"] = layer.rank
        write_atomic(p, lambda tmp: np.savez(tmp, **arrays))
        return
    write_atomic(p, network_text(net))
