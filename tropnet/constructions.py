"""The networks behind the lower bounds, with exact rational weights.

Each function builds the network of a theorem's proof and returns a
:class:`Construction`: the :class:`~tropnet.network.Network`, the theorem's
count, which region notion the theorem counts (``"activation"``: Serra et
al.'s Definition 1, inputs sharing an activation pattern; ``"linear"``:
Montúfar et al.'s maximal connected sets on which the map is affine, counted
here with facet connectivity), and the :class:`~tropnet.domain.Domain` on
which the count holds. The tests count every construction exactly with
:func:`tropnet.regions` and compare with ``count`` (:meth:`Construction.verify`).

* :func:`montufar2014` -- Montúfar et al. 2014 as written in Nakahara et al.,
  eqs. (5)-(7), on ``[0,1]^{n0}`` (optionally with the last layer replaced by
  an arrangement in general position, reaching the full Theorem 5 bound);
* :func:`serra2018_theorem7` -- the one-dimensional zig-zag with ``n_l + 1``
  pieces per layer (Serra et al. 2018, Appendix D), exact maximum for ``n0 = 1``;
* :func:`serra2018_theorem8` -- ``n0`` independent copies of it plus an
  arrangement in general position (Appendix E);
* :func:`serra2018_theorem9` -- a central arrangement of ``m`` hyperplanes
  (``2m`` ReLUs, Arora et al. 2018) followed by zig-zag layers (Appendix F);
* :func:`nakahara2024_ternary` -- the ternary network of Nakahara et al.'s
  Theorem 1 (weights and biases in ``{-1, 0, 1}``, identity odd layers).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .bounds import analytic
from .dispatch import count_regions
from .domain import Domain, box, rn
from .errors import NetworkError
from .network import Network

__all__ = [
    "CONSTRUCTIONS",
    "Construction",
    "montufar2014",
    "nakahara2024_ternary",
    "serra2018_theorem7",
    "serra2018_theorem8",
    "serra2018_theorem9",
]

F = Fraction
ZERO, ONE = F(0), F(1)


@dataclass(frozen=True)
class Construction:
    """A network built to attain a theorem's count.

    ``count`` regions of kind ``kind`` (``"activation"`` or ``"linear"``) on
    ``domain``, as stated by ``theorem``; ``parameters`` are the arguments it
    was built from.

    Attributes
    ----------
    name : str
        The construction's name (``"montufar2014"``, ...).
    theorem : str
        The theorem whose count it attains.
    network : Network
        The network built.
    count : int
        The number of regions the theorem states.
    kind : str
        ``"activation"`` or ``"linear"``: the regions counted.
    domain : Domain
        The domain the count holds on.
    parameters : dict
        The arguments the network was built from.
    note : str, default ""
        A remark on the count, or empty.
    """

    name: str
    theorem: str
    network: Network
    count: int
    kind: str
    domain: Domain
    parameters: dict = field(default_factory=dict)
    note: str = ""

    def verify(self, method: str = "auto", **params: Any) -> int:
        """Count the network's regions of ``kind`` on ``domain`` exactly with
        :func:`tropnet.regions` (``method`` and ``params`` as there) and return the count.

        Parameters
        ----------
        method : str, default "auto"
            A method of `tropnet.regions`.
        **params : object
            Options of that method.
        """
        return count_regions(self.network, self.domain, self.kind, method, exact=True,
                             **params)

    def to_dict(self) -> dict:
        """The JSON form: name, theorem, count, region kind, domain, parameters, architecture
        and note."""
        return {"construction": self.name, "theorem": self.theorem, "count": self.count,
                "region_kind": self.kind, "domain": self.domain.to_dict(),
                "parameters": self.parameters, "network": self.network.architecture(),
                "note": self.note}


# ---------------------------------------------------------------------------
# the constructions
# ---------------------------------------------------------------------------
def montufar2014(n0: int, widths: Sequence[int], last_layer: str = "zigzag",
                 outputs: int = 1) -> Construction:
    """Montúfar, Pascanu, Cho & Bengio (2014), written out as in Nakahara et al., eqs. (5)-(7).

    Hidden layer ``l`` splits its ``n_l`` units into ``p_l = floor(n_l / n0)``
    groups of ``n0`` (the rest get zero weights); group ``i``, unit ``j`` computes
    ``p x_j`` (``i = 1``) or ``2p x_j - 2(i-1)`` (``i >= 2``) of the previous
    layer's folded coordinate ``x_j`` (the input itself for ``l = 1``, otherwise
    ``sum_k (-1)^{k-1} h_{(k-1) n0 + j}``). Each coordinate is folded into a
    zig-zag with ``p_l`` pieces per layer, each mapping onto ``[0, 1]``.

    ``last_layer="zigzag"`` (eqs. 5-7; the output, repeated ``outputs`` times,
    is eq. (7)): ``prod_l p_l^{n0}`` linear regions on ``[0,1]^{n0}``, which is
    Nakahara et al.'s Proposition 1, ``p^{n0 (L-1)}`` in their notation.

    ``last_layer="arrangement"``: the last hidden layer is ``n_L`` hyperplanes
    in general position in the folded coordinates (all regions meeting the
    open cube), output the identity of that layer; ``(prod_{l<L} p_l^{n0}) *
    sum_{j<=n0} C(n_L, j)`` regions, the bound of Montúfar et al.'s Theorem 5
    (:func:`tropnet.bounds.montufar2014_lower`). They are linear regions when
    ``n_L > n0`` (the hyperplanes are oriented so that some unit is active
    everywhere); with ``n_L <= n0`` the all-inactive region makes the map
    constant across folds and the count holds for activation regions only.

    Domain: ``[0,1]^{n0}``. Every ``n_l >= n0`` is required.

    Parameters
    ----------
    n0 : int
        The input dimension.
    widths : sequence of int
        The hidden widths ``n_1..n_L``, each ``>= n0``.
    last_layer : {"zigzag", "arrangement"}, default "zigzag"
        The form of the last hidden layer.
    outputs : int, default 1
        How many times the output is repeated (``"zigzag"`` only).
    """
    n0, ws = analytic._architecture(n0, widths)
    outputs = _positive(outputs, "outputs")
    if min(ws) < n0:
        raise NetworkError(f"montufar2014 needs every width >= n0 = {n0}, got {ws}")
    if last_layer not in ("zigzag", "arrangement"):
        raise NetworkError(f"last_layer must be 'zigzag' or 'arrangement', got {last_layer!r}")
    folds = ws if last_layer == "zigzag" else ws[:-1]
    builder = _Folds(n0)
    for n in folds:
        builder.add_layer(_montufar_units(n // n0), n)
    params = {"n0": n0, "widths": ws, "last_layer": last_layer, "outputs": outputs}
    if last_layer == "zigzag":
        net = builder.finish_sum(outputs)
        count = math.prod((n // n0) ** n0 for n in ws)
        theorem = ("Montúfar et al. 2014 as written in Nakahara et al. eqs. (5)-(7) "
                   "(their Proposition 1: p^(n0 (L-1)))")
        return Construction("montufar2014", theorem, net, count, "linear",
                            box(0, 1, n=n0), params)
    net = builder.finish_arrangement(ws[-1])
    count = analytic.montufar2014_lower(n0, ws)
    assert count is not None
    kind = "linear" if ws[-1] > n0 else "activation"
    note = "" if kind == "linear" else (
        f"with n_L = {ws[-1]} <= n0 = {n0} every sign pattern of the last layer occurs, "
        "including the all-inactive one, where the map is constant across folds: the "
        "count holds for activation regions")
    theorem = "Montúfar et al. 2014, Theorem 5 (last layer an arrangement in general position)"
    return Construction("montufar2014", theorem, net, count, kind, box(0, 1, n=n0), params,
                        note)


def serra2018_theorem7(widths: Sequence[int]) -> Construction:
    """Serra, Tjandraatmadja & Ramalingam (2018), Theorem 7 (Appendix D): input dimension 1.

    Layer ``l`` has ``n_l >= 3`` units with breakpoints ``t_1 = 1/(2n+1)``,
    ``t_i = (2i-1)/(2n+1)``; all point right except the third, which points
    left, so that the region left of ``t_1`` is active too. Their signed sum
    plus a constant is a zig-zag with ``n + 1`` pieces on ``[0, 1]``, each
    mapping onto ``[0, 1]`` (the weights solve the paper's system (R1)-(R_{n+1})
    exactly; the numeric example printed after the proof does not satisfy it,
    see the module notes in the tests). The next layer reads that zig-zag;
    the output is the last one.

    ``prod_l (n_l + 1)`` activation regions on ``R`` (the exact maximum,
    Theorem 7); adjacent pieces have slopes of opposite signs, so they are also
    the linear regions.

    Parameters
    ----------
    widths : sequence of int
        The hidden widths ``n_1..n_L``, each ``>= 3``.
    """
    _, ws = analytic._architecture(1, widths)
    if min(ws) < 3:
        raise NetworkError(f"Theorem 7's construction needs every width >= 3, got {ws}")
    builder = _Folds(1)
    for n in ws:
        builder.add_layer(_zigzag_units(n), n)
    net = builder.finish_sum(1)
    count = analytic.serra2018_theorem7(ws)
    assert count is not None
    return Construction("serra2018-thm7", "Serra et al. 2018, Theorem 7 (exact for n0 = 1)",
                        net, count, "activation", rn(1), {"widths": ws},
                        "adjacent regions have different affine maps: also the linear regions")


def serra2018_theorem8(n0: int, widths: Sequence[int]) -> Construction:
    """Serra et al. 2018, Theorem 8 (Appendix E).

    Layers ``1..L-1``: ``n0`` independent copies of the construction of
    Theorem 7, ``floor(n_l / n0) >= 3`` units per coordinate (the rest zero);
    layer ``L``: ``n_L`` hyperplanes in general position in the folded
    coordinates, every region meeting ``(0, 1)^{n0}``; output: the identity of
    layer ``L``. ``(prod_{l<L} (floor(n_l/n0) + 1)^{n0}) * sum_{j<=n0} C(n_L, j)``
    activation regions on ``R^{n0}`` (Serra's Definition 1; they are linear
    regions too when ``n_L > n0``).

    Parameters
    ----------
    n0 : int
        The input dimension.
    widths : sequence of int
        The hidden widths, ``n_l >= 3 n0`` for all but the last.
    """
    n0, ws = analytic._architecture(n0, widths)
    count = analytic.serra2018_theorem8_lower(n0, ws)
    if count is None:
        raise NetworkError(f"Theorem 8's construction needs n_l >= 3 n0 = {3 * n0} for every "
                           f"layer but the last, got {ws}")
    builder = _Folds(n0)
    for n in ws[:-1]:
        builder.add_layer(_zigzag_units(n // n0), n)
    net = builder.finish_arrangement(ws[-1])
    return Construction("serra2018-thm8", "Serra et al. 2018, Theorem 8", net, count,
                        "activation", rn(n0), {"n0": n0, "widths": ws})


def serra2018_theorem9(n0: int, m: int, w: int, depth: int) -> Construction:
    """Serra et al. 2018, Theorem 9 (Appendix F).

    Layer 1: ``2m`` ReLUs ``max(0, +-b_i . x)`` for ``m`` normals ``b_i`` in
    general position (moment curve), whose sum ``f(x) = sum_i |b_i . x|`` is
    linear on each of the ``2 sum_{j<n0} C(m-1, j)`` cones of the central
    arrangement and maps each onto ``[0, inf)``. Layers ``2..L`` (width ``w``):
    the zig-zag of Theorem 7 applied to ``f`` (for ``L = 2`` and ``w < 3``:
    ``w`` breakpoints in ``(0, 1)``). ``2 sum_{j<n0} C(m-1, j) (w+1)^{L-1}``
    activation regions on ``R^{n0}``.

    The paper allows ``w = 2``; the zig-zag needs ``w >= 3`` for every layer
    followed by another (see :func:`tropnet.bounds.serra2018_theorem9_lower`),
    so ``w >= 3`` is required when ``L >= 3``.

    Parameters
    ----------
    n0 : int
        The input dimension.
    m : int
        The number of normals; the first layer has ``2m`` units.
    w : int
        The width of layers ``2..L``.
    depth : int
        The number of hidden layers ``L``.
    """
    n0, m = _positive(n0, "n0"), _positive(m, "m")
    w, depth = _positive(w, "w"), _positive(depth, "depth")
    count = analytic.serra2018_theorem9_lower(n0, m, w, depth)
    if count is None:
        raise NetworkError("Theorem 9's construction needs w >= 3 when there are 3 or more "
                           "layers (the one-dimensional zig-zag of Theorem 7 needs 3 units)")
    normals = [_moment(F(i, m), n0) for i in range(1, m + 1)]
    w1 = [row for b in normals for row in (b, [-v for v in b])]
    layers: list[tuple[list, list, str]] = [(w1, [ZERO] * (2 * m), "relu")]
    # the scalar fed to the next layer: f = sum of all first-layer units
    feed, feed0 = [ONE] * (2 * m), ZERO
    for _ in range(depth - 1):
        units = _zigzag_units(w) if w >= 3 else _ramp_units(w)
        rows = [[u.a * v for v in feed] for u in units]
        bias = [u.a * feed0 + u.b for u in units]
        layers.append((rows, bias, "relu"))
        feed, feed0 = [u.s for u in units], _offset(units)
    layers.append(([feed], [feed0], "identity"))
    net = Network.from_lists(n0, layers)
    return Construction("serra2018-thm9", "Serra et al. 2018, Theorem 9", net, count,
                        "activation", rn(n0), {"n0": n0, "m": m, "w": w, "depth": depth})


def nakahara2024_ternary(n0: int, width: int, depth: int, outputs: int = 1) -> Construction:
    """Nakahara, Kobayashi & Matsushima, Theorem 1: a ternary ReLU network (eqs. 12-15).

    ``depth`` is their ``L`` (the number of affine maps), ``L'`` the largest odd
    number ``<= L`` and ``q = floor(n / (2 (n0 + 1)))``. Odd hidden layers
    (identity activation) hold ``n0 + 1`` groups of ``2q`` copies: of the
    folded coordinates and of the constant 1; even hidden layers (ReLU) add
    ``q`` or ``2q`` of those copies, and subtract ``2(i-1)`` copies of the
    constant, reproducing eqs. (5)-(6) with ``p = q`` using only weights and
    biases in ``{-1, 0, 1}`` (eq. (13) writes the constant term as a sum of
    ``-1``; it is realised through the constant nodes). If ``L`` is even the
    last map is the identity. ``q^{n0 (L'-1)/2}`` linear regions on
    ``[0,1]^{n0}``; needs ``L >= 3`` and ``q >= 1``.

    Parameters
    ----------
    n0 : int
        The input dimension.
    width : int
        The width ``n`` of every hidden layer.
    depth : int
        Their ``L``, the number of affine maps (``>= 3``).
    outputs : int, default 1
        The number of outputs (copies of the same output).
    """
    n0, width = _positive(n0, "n0"), _positive(width, "width")
    depth, outputs = _positive(depth, "depth"), _positive(outputs, "outputs")
    q = width // (2 * (n0 + 1))
    if q < 1:
        raise NetworkError(f"the ternary construction needs width >= 2 (n0 + 1) = "
                           f"{2 * (n0 + 1)}, got {width}")
    if depth < 3:
        raise NetworkError("the ternary construction needs depth L >= 3 (with L' = 1 there "
                           "is no hidden ReLU layer and one region)")
    odd = depth if depth % 2 else depth - 1
    layers: list[tuple[list, list, str]] = []
    prev_dim = n0
    for ell in range(1, (odd - 1) // 2 + 1):
        # f^(2l-1): identity layer of width n
        rows = [[0] * prev_dim for _ in range(width)]
        bias = [0] * width
        for j in range(n0 + 1):
            for k in range(2 * q):
                r = 2 * q * j + k
                if j == n0:
                    bias[r] = 1
                elif ell == 1:
                    rows[r][j] = 1
                else:
                    for mm in range(q):
                        rows[r][mm * n0 + j] = (-1) ** mm
        layers.append((rows, bias, "identity"))
        # f^(2l): ReLU layer of width n
        rows2 = [[0] * width for _ in range(width)]
        for i in range(q):
            for j in range(n0):
                r = i * n0 + j
                copies = q if i == 0 else 2 * q
                for k in range(copies):
                    rows2[r][2 * q * j + k] = 1
                for k in range(2 * i):
                    rows2[r][2 * q * n0 + k] = -1
        layers.append((rows2, [0] * width, "relu"))
        prev_dim = width
    out_row = [0] * width
    for j in range(n0):
        for k in range(q):
            out_row[k * n0 + j] = (-1) ** k
    layers.append(([out_row] * outputs, [0] * outputs, "identity"))
    if depth % 2 == 0:
        eye = [[int(a == b) for b in range(outputs)] for a in range(outputs)]
        layers.append((eye, [0] * outputs, "identity"))
    net = Network.from_lists(n0, layers)
    count = analytic.nakahara2024_ternary_lower(n0, width, depth)
    assert count is not None
    return Construction("nakahara2024-ternary", "Nakahara, Kobayashi & Matsushima, Theorem 1",
                        net, count, "linear", box(0, 1, n=n0),
                        {"n0": n0, "width": width, "depth": depth, "outputs": outputs})


#: name -> (builder, parameter names) for ``tropnet construct``.
CONSTRUCTIONS: dict[str, tuple[Callable[..., Construction], tuple[str, ...]]] = {
    "montufar2014": (montufar2014, ("n0", "widths", "last_layer", "outputs")),
    "serra2018-thm7": (serra2018_theorem7, ("widths",)),
    "serra2018-thm8": (serra2018_theorem8, ("n0", "widths")),
    "serra2018-thm9": (serra2018_theorem9, ("n0", "m", "w", "depth")),
    "nakahara2024-ternary": (nakahara2024_ternary, ("n0", "width", "depth", "outputs")),
}


# ---------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Unit:
    """One ReLU of a one-dimensional fold: ``relu(a u + b)``, weighted ``s`` in the fold."""

    a: Fraction
    b: Fraction
    s: Fraction


def _offset(units: list[_Unit]) -> Fraction:
    """The constant added to ``sum_i s_i relu(a_i u + b_i)`` so that the fold is 0 at ``u = 0``."""
    return -sum((u.s * max(u.b, ZERO) for u in units), ZERO)


def _montufar_units(p: int) -> list[_Unit]:
    """Nakahara et al. eq. (26): ``relu(p u) - relu(2p u - 2) + ... +- relu(2p u - 2(p-1))``."""
    units = [_Unit(F(p), ZERO, ONE)]
    units += [_Unit(F(2 * p), F(-2 * (i - 1)), F((-1) ** (i - 1))) for i in range(2, p + 1)]
    return units


def _ramp_units(w: int) -> list[_Unit]:
    """``w`` right-pointing ReLUs with breakpoints ``j / (w + 1)`` (a last layer only)."""
    return [_Unit(ONE, F(-j, w + 1), ONE) for j in range(1, w + 1)]


def _zigzag_units(n: int) -> list[_Unit]:
    """Serra et al. 2018, Appendix D: ``n >= 3`` ReLUs whose signed sum plus a constant
    is a zig-zag with ``n + 1`` pieces on ``[0, 1]``, piece ``k`` rising from 0 to 1
    (``k`` odd) or falling from 1 to 0 (``k`` even); unit 3 points left.

    The slope change at ``t_j`` is ``s_j = sigma_{j+1} - sigma_j`` whichever way
    the unit points; left of ``t_1`` only the left-pointing unit 3 is active, so
    ``-s_3 = sigma_1``: ``1/t_1 = 1/(t_3 - t_2) + 1/(t_4 - t_3)``, which the
    breakpoints ``t_1 = 1/(2n+1)``, ``t_i = (2i-1)/(2n+1)`` satisfy."""
    if n < 3:
        raise NetworkError(f"the zig-zag of Theorem 7 needs at least 3 units, got {n}")
    t = [ZERO, F(1, 2 * n + 1)] + [F(2 * i - 1, 2 * n + 1) for i in range(2, n + 1)] + [ONE]
    sigma = [ZERO] + [F((-1) ** (k + 1)) / (t[k] - t[k - 1]) for k in range(1, n + 2)]
    units = []
    for j in range(1, n + 1):
        direction = -1 if j == 3 else 1
        units.append(_Unit(F(direction), -direction * t[j], sigma[j + 1] - sigma[j]))
    # checks of the exact solution: the slope left of t_1 and the values at the breakpoints
    assert -units[2].s == sigma[1]
    d = _offset(units)
    for k, tk in enumerate(t):
        value = sum((u.s * max(u.a * tk + u.b, ZERO) for u in units), d)
        assert value == (k % 2), (n, k, value)
    return units


class _Folds:
    """A network under construction that folds each of the ``n0`` coordinates
    independently; ``y_j = Y[j] . h + y0[j]`` is coordinate ``j``'s current fold."""

    def __init__(self, n0: int) -> None:
        self.n0 = n0
        self.layers: list[tuple[list, list, str]] = []
        self.Y = [[ONE if i == j else ZERO for i in range(n0)] for j in range(n0)]
        self.y0 = [ZERO] * n0

    def add_layer(self, units: list[_Unit], width: int) -> None:
        """``len(units)`` units per coordinate reading its fold; zero rows up to ``width``."""
        per = len(units)
        if per * self.n0 > width:
            raise NetworkError(f"{per} units for each of {self.n0} coordinates exceed the "
                               f"width {width}")
        in_dim = len(self.Y[0])
        rows: list[list[Fraction]] = []
        bias: list[Fraction] = []
        newY = [[ZERO] * width for _ in range(self.n0)]
        for j in range(self.n0):
            for u in units:
                newY[j][len(rows)] = u.s
                rows.append([u.a * v for v in self.Y[j]])
                bias.append(u.a * self.y0[j] + u.b)
        rows += [[ZERO] * in_dim for _ in range(width - len(rows))]
        bias += [ZERO] * (width - len(bias))
        self.layers.append((rows, bias, "relu"))
        self.Y, self.y0 = newY, [_offset(units)] * self.n0

    def finish_sum(self, outputs: int) -> Network:
        """Output ``sum_j y_j`` (Nakahara et al. eq. (7)), repeated ``outputs`` times."""
        row = [sum(col, ZERO) for col in zip(*self.Y, strict=True)]
        const = sum(self.y0, ZERO)
        self.layers.append(([row] * outputs, [const] * outputs, "identity"))
        return Network.from_lists(self.n0, self.layers)

    def finish_arrangement(self, m: int) -> Network:
        """A ReLU layer of ``m`` hyperplanes in general position in the folds ``y``, then
        the identity output."""
        rows, bias = [], []
        for a, beta, s in _arrangement(self.n0, m):
            # s (a . (y - c) - beta) with y = Y h + y0 and c = (1/2, ..., 1/2)
            rows.append([s * sum((ai * Yj[col] for ai, Yj in zip(a, self.Y, strict=True)),
                                 ZERO) for col in range(len(self.Y[0]))])
            bias.append(s * (sum((ai * (y0j - F(1, 2)) for ai, y0j in
                                  zip(a, self.y0, strict=True)), ZERO) - beta))
        self.layers.append((rows, bias, "relu"))
        eye = [[ONE if i == j else ZERO for j in range(m)] for i in range(m)]
        self.layers.append((eye, [ZERO] * m, "identity"))
        return Network.from_lists(self.n0, self.layers)


def _moment(tau: Fraction, n0: int) -> list[Fraction]:
    return [tau ** e for e in range(n0)]


def _arrangement(n0: int, m: int) -> list[tuple[list[Fraction], Fraction, Fraction]]:
    """``m`` hyperplanes ``a_i . (y - c) = beta_i`` in general position in ``R^{n0}``,
    ``c`` the centre of the unit cube, with orientations ``s_i``.

    ``a_i = (1, tau_i, ..., tau_i^{n0-1})``, ``tau_i = i/m``: any ``n0`` normals are
    independent (Vandermonde). For ``m <= n0`` all pass through ``c``; otherwise
    ``beta_i = tau_i^{n0} / 2^{n0+2}``, so any ``n0 + 1`` augmented rows are
    independent too (no ``n0 + 1`` hyperplanes meet) and every vertex lies within
    ``1/4`` of ``c`` (its coordinates are elementary symmetric functions of ``n0``
    of the ``tau_i``, times ``2^{-n0-2}``), so every region meets the open cube.
    For ``m > n0`` the first ``n0 + 1`` units are oriented against the dependency
    ``sum mu_i a_i = 0`` (``mu_i = 1 / prod_{k != i} (tau_i - tau_k)``, with
    ``sum mu_i beta_i > 0``): no point has all of them inactive (Gordan)."""
    taus = [F(i, m) for i in range(1, m + 1)]
    eps = F(1, 2 ** (n0 + 2))
    out = []
    for i, tau in enumerate(taus):
        beta = eps * tau ** n0 if m > n0 else ZERO
        s = ONE
        if m > n0 and i <= n0:
            mu = ONE / math.prod((tau - taus[k] for k in range(n0 + 1) if k != i), start=ONE)
            s = F(-1) if mu > 0 else ONE
        out.append((_moment(tau, n0), beta, s))
    return out


def _positive(v: Any, name: str) -> int:
    return analytic._positive(v, name)
