"""Convolutional layers, lowered to dense :class:`~tropnet.network.Layer` values.

A convolutional layer is a dense layer with a sparse, weight-shared matrix, so
tropnet stores it as one and every engine (tropical compilation, activation
regions, MILP, bounds) applies unchanged; ``layer.meta`` keeps the convolution.

Conventions
-----------
* Images are flattened **height x width x channels** (row-major, channels
  fastest): pixel ``(r, c)``, channel ``ch`` of an ``H x W x C`` input is
  coordinate ``(r * W + c) * C + ch``. The output ``oh x ow x D`` is flattened
  the same way, so convolutions chain.
* Valid convolution (no padding): ``oh = (H - fh) // sh + 1``,
  ``ow = (W - fw) // sw + 1``; output position ``(i, j)`` sees input rows
  ``i*sh .. i*sh + fh - 1`` and columns ``j*sw .. j*sw + fw - 1``, all channels.
* ``kernel[d][u][v][ch]`` (shape ``D x fh x fw x C``: output channel, filter
  row, filter column, input channel) multiplies input pixel
  ``(i*sh + u, j*sw + v)``, channel ``ch``; ``bias[d]`` is shared by all
  positions of output channel ``d``. (A PyTorch ``Conv2d`` weight of shape
  ``D x C x fh x fw`` is this kernel transposed by ``(0, 2, 3, 1)``.)

JSON (read by :func:`tropnet.io.load_network`)::

    {"type": "conv", "input": [H, W, C], "filter": [fh, fw], "stride": s,
     "channels": D, "kernel": [...D x fh x fw x C...], "bias": [...D...],
     "activation": "relu"}

``stride`` is an integer or ``[sh, sw]``; ``activation`` is ``relu``,
``leaky_relu`` (with ``slope``) or ``identity``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InputFileError, NetworkError
from .network import Layer, read_number

__all__ = ["ConvSpec", "conv_layer", "conv_spec", "lower_conv", "read_conv_layer"]


@dataclass(frozen=True)
class ConvSpec:
    """The shape of a valid 2-D convolution: input ``H x W x C``, filter ``fh x fw``,
    stride ``(sh, sw)`` and ``channels`` output channels.

    Attributes
    ----------
    input : tuple of int
        The input shape ``(H, W, C)``.
    filter : tuple of int
        The filter shape ``(fh, fw)``.
    stride : tuple of int
        The stride ``(sh, sw)``.
    channels : int
        The number of output channels ``D``.
    """

    input: tuple[int, int, int]
    filter: tuple[int, int]
    stride: tuple[int, int]
    channels: int

    @property
    def output(self) -> tuple[int, int, int]:
        """``(oh, ow, D)``."""
        (h, w, _), (fh, fw), (sh, sw) = self.input, self.filter, self.stride
        return (h - fh) // sh + 1, (w - fw) // sw + 1, self.channels

    @property
    def in_dim(self) -> int:
        """The input dimension ``H * W * C``."""
        return int(np.prod(self.input))

    @property
    def out_dim(self) -> int:
        """The output dimension ``oh * ow * D``."""
        return int(np.prod(self.output))

    def positions(self) -> list[tuple[int, int]]:
        """Output positions ``(i, j)`` in raster order."""
        oh, ow, _ = self.output
        return [(i, j) for i in range(oh) for j in range(ow)]

    def receptive_field(self, i: int, j: int) -> tuple[int, ...]:
        """Flattened input coordinates seen by output position ``(i, j)``, sorted.

        Parameters
        ----------
        i, j : int
            The output position (row, column).
        """
        (_, w, c), (fh, fw), (sh, sw) = self.input, self.filter, self.stride
        return tuple((r * w + col) * c + ch
                     for r in range(i * sh, i * sh + fh)
                     for col in range(j * sw, j * sw + fw)
                     for ch in range(c))

    def to_dict(self) -> dict:
        """The layer's ``meta`` record (``{"type": "conv", ...}``, with shapes and layouts)."""
        sh, sw = self.stride
        return {"type": "conv", "input": list(self.input), "filter": list(self.filter),
                "stride": sh if sh == sw else [sh, sw], "channels": self.channels,
                "output": list(self.output), "flatten": "height-width-channel",
                "kernel_layout": "out_channel-row-column-in_channel"}


def conv_spec(input: Sequence[int], filter: Sequence[int], stride: int | Sequence[int] = 1,
              channels: int = 1, where: str = "conv") -> ConvSpec:
    """Validate a convolution's shape (see the module docstring for the conventions).

    Parameters
    ----------
    input : sequence of int
        The input shape ``(H, W, C)``.
    filter : sequence of int
        The filter shape ``(fh, fw)``, no larger than the input.
    stride : int or sequence of int, default 1
        The stride, or ``(sh, sw)``.
    channels : int, default 1
        The number of output channels.
    where : str, default "conv"
        Where the layer was read, named in error messages.

    Examples
    --------
    >>> conv_spec([3, 3, 1], [2, 2], 1, 2).output
    (2, 2, 2)
    """
    inp = _ints(input, 3, f"{where}.input (height, width, channels)")
    filt = _ints(filter, 2, f"{where}.filter (height, width)")
    if isinstance(stride, (int, np.integer)) and not isinstance(stride, bool):
        strd = (int(stride), int(stride))
    else:
        strd = _ints(stride, 2, f"{where}.stride")
    strd = (_pos(strd[0], f"{where}.stride"), _pos(strd[1], f"{where}.stride"))
    chans = _pos(channels, f"{where}.channels")
    if filt[0] > inp[0] or filt[1] > inp[1]:
        raise NetworkError(f"{where}: filter {filt[0]}x{filt[1]} is larger than the input "
                           f"{inp[0]}x{inp[1]}")
    return ConvSpec(inp, filt, strd, chans)  # type: ignore[arg-type]


def lower_conv(spec: ConvSpec, kernel: Any, bias: Any, where: str = "conv"
               ) -> tuple[list[list[Any]], list[Any]]:
    """The dense ``(W, b)`` of a convolution: one row per output ``(i, j, d)``.

    Numbers are kept as given (ints, floats, Fractions or ``"p/q"`` strings) so
    :meth:`Layer.create` decides exactness as for a dense layer.

    Parameters
    ----------
    spec : ConvSpec
        The convolution's shape.
    kernel : array_like
        Shape ``channels x fh x fw x C``.
    bias : array_like
        One number per output channel.
    where : str, default "conv"
        Where the layer was read, named in error messages.
    """
    d_out, (fh, fw), c = spec.channels, spec.filter, spec.input[2]
    try:
        k = np.asarray(kernel, dtype=object)
        bvec = np.asarray(bias, dtype=object)
    except ValueError:  # ragged nested lists
        raise NetworkError(f"{where}: kernel and bias must be rectangular arrays") from None
    if k.shape != (d_out, fh, fw, c):
        raise NetworkError(f"{where}.kernel must have shape channels x filter_h x filter_w x "
                           f"input_channels = {d_out}x{fh}x{fw}x{c}, got "
                           f"{'x'.join(map(str, k.shape)) or 'a scalar'}")
    if bvec.shape != (d_out,):
        raise NetworkError(f"{where}.bias must be a list with one entry per output channel "
                           f"({d_out}), got shape {bvec.shape}")
    for idx, v in np.ndenumerate(k):
        read_number(v, f"{where}.kernel{list(idx)}")  # validate early, clear message
    zero = 0
    weight: list[list[Any]] = []
    biases: list[Any] = []
    for i, j in spec.positions():
        field = spec.receptive_field(i, j)
        for d in range(d_out):
            row = [zero] * spec.in_dim
            flat = k[d].reshape(-1)  # (u, v, ch) in the same order as receptive_field
            for col, val in zip(field, flat, strict=True):
                row[col] = val
            weight.append(row)
            biases.append(bvec[d])
    return weight, biases


def conv_layer(input: Sequence[int], filter: Sequence[int], stride: int | Sequence[int],
               channels: int, kernel: Any, bias: Any, activation: str = "relu", *,
               slope: Any = 0, where: str = "conv") -> Layer:
    """A convolutional layer as a dense :class:`~tropnet.network.Layer`.

    ``kernel`` has shape ``channels x fh x fw x C`` and ``bias`` one entry per
    output channel (module docstring). ``layer.meta`` records the convolution.

    Parameters
    ----------
    input : sequence of int
        The input shape ``(H, W, C)``.
    filter : sequence of int
        The filter shape ``(fh, fw)``.
    stride : int or sequence of int
        The stride, or ``(sh, sw)``.
    channels : int
        The number of output channels.
    kernel : array_like
        Shape ``channels x fh x fw x C``.
    bias : array_like
        One number per output channel.
    activation : {"relu", "leaky_relu", "identity"}, default "relu"
        The activation.
    slope : number, default 0
        The leaky ReLU slope.
    where : str, default "conv"
        Where the layer was read, named in error messages.

    Examples
    --------
    A 1-D convolution of three pixels with the filter ``[1, -1]``:

    >>> layer = conv_layer([1, 3, 1], [1, 2], 1, 1, [[[[1], [-1]]]], [0])
    >>> [[int(v) for v in row] for row in layer.weight]
    [[1, -1, 0], [0, 1, -1]]
    >>> layer.meta["output"]
    [1, 2, 1]
    """
    if activation not in ("relu", "leaky_relu", "identity"):
        raise NetworkError(f"{where}: a conv layer's activation must be relu, leaky_relu or "
                           f"identity, got {activation!r}")
    spec = conv_spec(input, filter, stride, channels, where)
    w, b = lower_conv(spec, kernel, bias, where)
    return Layer.create(w, b, activation, slope=slope, meta=spec.to_dict(), where=where)


def read_conv_layer(spec: dict, where: str) -> Layer:
    """A JSON conv layer (``{"type": "conv", ...}``) lowered to a dense Layer.

    Parameters
    ----------
    spec : dict
        The JSON layer: ``input``, ``filter``, ``channels``, ``kernel``, ``bias`` and
        optionally ``stride``, ``activation``, ``slope``.
    where : str
        Where the layer was read, named in error messages.
    """
    allowed = {"type", "input", "filter", "stride", "channels", "kernel", "bias",
               "activation", "slope"}
    unknown = set(spec) - allowed
    if unknown:
        raise InputFileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} in a conv "
                             f"layer")
    missing = [k for k in ("input", "filter", "channels", "kernel", "bias") if k not in spec]
    if missing:
        raise InputFileError(f"{where}: conv layer missing key"
                             f"{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(repr(k) for k in missing)}")
    return conv_layer(spec["input"], spec["filter"], spec.get("stride", 1), spec["channels"],
                      spec["kernel"], spec["bias"], spec.get("activation", "relu"),
                      slope=spec.get("slope", 0), where=where)


def _pos(v: Any, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise NetworkError(f"{what} must be a positive integer, got {v!r}")
    return int(v)


def _ints(values: Any, n: int, what: str) -> tuple[int, ...]:
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or \
            len(values) != n:
        raise NetworkError(f"{what} must be a list of {n} positive integers, got {values!r}")
    return tuple(_pos(v, what) for v in values)
