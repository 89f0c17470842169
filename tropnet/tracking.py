"""Region counts tracked over training checkpoints.

A training run saves checkpoints; :func:`track` reads each one (a tropnet network file, a
torch ``.pt``/``.pth`` file or an ONNX graph) and counts, on one domain, its linear regions,
its activation regions and the irredundant monomials of its tropical form, each exactly (a
float checkpoint's count is the exact count for its float weights, see
``docs/exactness.md``), and optionally the geometry summary of its linear regions
(:meth:`tropnet.RegionSet.summary`: bounded and unbounded regions, volumes, facets). The
result is a table in checkpoint order: as JSON, as CSV, or as a plot of the counts against
the checkpoint.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .arithmetic import Arithmetic
from .dispatch import regions
from .domain import Domain, parse_domain
from .engines.monomials import compile_network
from .errors import TropnetError
from .importers import load_model
from .io import load_network
from .network import Network

__all__ = ["CheckpointCounts", "Tracking", "load_checkpoint", "track"]

#: file suffixes read by :func:`load_model` (the rest are tropnet network files)
MODEL_SUFFIXES = (".pt", ".pth", ".onnx")


@dataclass(frozen=True)
class CheckpointCounts:
    """The counts of one checkpoint: ``linear`` and ``activation`` regions on the domain,
    ``monomials`` (numerator, denominator) of each output on ``R^n`` and the ``geometry``
    summary of the linear regions (each ``None`` when not asked), and the seconds it took.

    Attributes
    ----------
    label : str
        The checkpoint's label.
    architecture : str
        The network's architecture.
    exact : bool
        The arithmetic was exact.
    linear : int
        The number of linear regions.
    activation : int
        The number of activation regions.
    monomials : tuple of tuple of int or None
        ``(numerator, denominator)`` monomials per output, or ``None``.
    seconds : float
        The time taken.
    geometry : dict or None, default None
        The geometry summary, or ``None``.
    """

    label: str
    architecture: str
    exact: bool
    linear: int
    activation: int
    monomials: tuple[tuple[int, int], ...] | None
    seconds: float
    geometry: dict | None = None

    def to_dict(self) -> dict:
        """The JSON form of the checkpoint's row."""
        out: dict[str, Any] = {"checkpoint": self.label, "network": self.architecture,
                               "exact": self.exact, "linear_regions": self.linear,
                               "activation_regions": self.activation,
                               "seconds": round(self.seconds, 6)}
        if self.monomials is not None:
            out["monomials"] = [{"numerator": f, "denominator": g} for f, g in self.monomials]
        if self.geometry is not None:
            out["geometry"] = self.geometry
        return out


@dataclass(frozen=True)
class Tracking:
    """The counts of every checkpoint, in order, on one domain.

    Attributes
    ----------
    rows : tuple of CheckpointCounts
        One row per checkpoint, in order.
    domain : Domain
        The domain.
    """

    rows: tuple[CheckpointCounts, ...]
    domain: Domain

    def to_dict(self) -> dict:
        """The JSON form of ``tropnet track``."""
        return {"domain": self.domain.describe(), "checkpoints": [r.to_dict() for r in self.rows]}

    def to_csv(self) -> str:
        """One line per checkpoint: its label, the counts and the monomials of output 1."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["checkpoint", "network", "linear_regions", "activation_regions",
                    "monomials_numerator", "monomials_denominator", "seconds"])
        for r in self.rows:
            f, g = r.monomials[0] if r.monomials else ("", "")
            w.writerow([r.label, r.architecture, r.linear, r.activation, f, g,
                        f"{r.seconds:.6f}"])
        return buf.getvalue()

    def plot(self, ax: Any = None) -> Any:
        """The counts against the checkpoint order (matplotlib axes).

        Parameters
        ----------
        ax : matplotlib Axes or None, default None
            The axes to draw on; ``None``: a new figure.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
        steps = range(len(self.rows))
        ax.plot(steps, [r.linear for r in self.rows], "o-", label="linear regions")
        ax.plot(steps, [r.activation for r in self.rows], "s--", label="activation regions")
        if all(r.monomials for r in self.rows):
            ax.plot(steps, [sum(r.monomials[0]) for r in self.rows], "^:",  # type: ignore[index]
                    label="monomials of output 1 (F + G)")
        ax.set_xticks(list(steps), [r.label for r in self.rows],
                      rotation=45 if len(self.rows) > 6 else 0, ha="right"
                      if len(self.rows) > 6 else "center")
        ax.set_xlabel("checkpoint")
        ax.set_ylabel("count")
        ax.set_title(f"counts over training on {self.domain.describe()}")
        ax.legend()
        return ax


def load_checkpoint(path: str | os.PathLike, input_shape: Sequence[int] | None = None
                    ) -> Network:
    """A checkpoint as a network: ``.pt``/``.pth``/``.onnx`` through
    :func:`tropnet.importers.load_model`, anything else as a tropnet network file.

    Parameters
    ----------
    path : str or PathLike
        The checkpoint file.
    input_shape : sequence of int or None, default None
        Torch files only: the shape of one sample (see `from_torch`).
    """
    if Path(path).suffix.lower() in MODEL_SUFFIXES:
        return load_model(path, input_shape)
    return load_network(path)


def track(checkpoints: Sequence[Network | str | os.PathLike], domain: Domain | str | None = None,
          *, exact: bool | Arithmetic | None = None, monomials: bool = True,
          geometry: bool = False, labels: Sequence[str] | None = None,
          progress: Callable[[int, int], None] | None = None) -> Tracking:
    """Count the linear and activation regions of each checkpoint on ``domain`` (``None``:
    ``R^n``), its monomials unless ``monomials=False``, and with ``geometry=True`` the
    geometry summary of its linear regions; checkpoints are networks or files
    (:func:`load_checkpoint`), all with the same input dimension. ``labels`` name them
    (default: the file names, or ``0, 1, ...``); ``progress(done, total)`` follows them.

    Parameters
    ----------
    checkpoints : sequence of Network, str or PathLike
        The checkpoints, in order.
    domain : Domain, str or None, default None
        The domain; ``None`` is ``R^n``.
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff every number is rational.
    monomials : bool, default True
        Count the monomials of each checkpoint.
    geometry : bool, default False
        Add the geometry summary of the linear regions.
    labels : sequence of str or None, default None
        The checkpoints' labels; ``None``: the file names, or ``0, 1, ...``.
    progress : callable or None, default None
        ``progress(done, total)``.

    Examples
    --------
    >>> relu = Network.from_lists(1, [([[1]], [0], "relu"), ([[1]], [0], "identity")])
    >>> both = Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"),
    ...                               ([[1, 1]], [0], "identity")])
    >>> t = track([relu, both], "box:-1,1")
    >>> [(r.linear, r.activation, r.monomials) for r in t.rows]
    [(2, 2, ((2, 1),)), (2, 2, ((2, 1),))]
    """
    if len(checkpoints) == 0:
        raise TropnetError("no checkpoint to track")
    if labels is not None and len(labels) != len(checkpoints):
        raise TropnetError(f"{len(labels)} labels for {len(checkpoints)} checkpoints")
    nets = [c if isinstance(c, Network) else load_checkpoint(c) for c in checkpoints]
    dims = {net.input_dim for net in nets}
    if len(dims) > 1:
        raise TropnetError(f"the checkpoints have different input dimensions {sorted(dims)}")
    dom = parse_domain(domain, nets[0].input_dim)
    names = list(labels) if labels is not None else [
        Path(c).name if not isinstance(c, Network) else str(k)
        for k, c in enumerate(checkpoints)]
    rows = []
    for k, (name, net) in enumerate(zip(names, nets, strict=True)):
        start = time.perf_counter()
        lin = regions(net, dom, "linear", exact=exact)
        # enumerate glues the activation regions: its cells are they, counted once
        act = lin.info["cells"] if lin.method == "enumerate" else \
            regions(net, dom, "activation", exact=exact).count
        mono = tuple((len(r.numerator), len(r.denominator))
                     for r in compile_network(net, exact=exact)) if monomials else None
        summary = lin.summary() if geometry else None
        rows.append(CheckpointCounts(name, net.architecture(), lin.arith.exact, lin.count,
                                     act, mono, time.perf_counter() - start, summary))
        if progress is not None:
            progress(k + 1, len(nets))
    return Tracking(tuple(rows), dom)
