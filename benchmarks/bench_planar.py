"""The planar engine against regioncam and the vertex engine on 2-D boxes (issue 14 §2).

One table, float mode, activation regions, side by side in one run: the shared nets A and
C on ``[-1,1]^2``, a He-initialised 2-[64,64]-1 on ``[-1,1]^2`` and a He-initialised
2-[256,256]-1 on ``[-4,4]^2`` (``benchmarks.common.he_net``, seed 0). Columns: the count
of each tool, seconds of regioncam (Rust, float32; the ``bench`` extra), of the planar
engine counting only (:func:`tropnet.engines.planar.planar_count`) and listing the regions
(``activation_regions(..., engine="planar")``: maps, polygons, certified points), of the
vertex engine, the planar engine's microseconds per region and its ratio to regioncam, and
the planar engine's exact-mode count time.

``regioncam.Regioncam(size=s)`` starts from the square ``[-s, s]^2``; its ``num_faces``
after the hidden layers (``linear`` then ``relu``; the output layer splits nothing) is the
number of faces of the subdivision, i.e. the activation regions of the box.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tropnet import activation_regions, load_network
from tropnet.engines.planar import planar_count

from .common import NETS, best_of, he_net, load_average, machine, table, write

try:  # imported here, so that its import is not timed in the runs
    import regioncam
except ImportError:  # the bench extra is not installed: its columns stay empty
    regioncam = None

#: (label, net spec, half side of the box): a shared net's name or He dimensions
CASES = [
    ("A 2-[8,8]-1", "A", 1),
    ("C 2-[32,32]-1", "C", 1),
    ("He 2-[64,64]-1", [2, 64, 64, 1], 1),
    ("He 2-[256,256]-1", [2, 256, 256, 1], 4),
]
#: seconds after which the vertex engine is stopped (it needs minutes on the 256 net)
VERTEX_TIMEOUT = 60.0
#: nets whose exact-mode run is left out (integer vertex vectors of 259 entries: minutes)
EXACT_SKIP = {"He 2-[256,256]-1"}


def _net(spec: Any):
    return load_network(NETS / f"{spec}.json") if isinstance(spec, str) else he_net(spec, 0)


def _regioncam(spec: Any, size: float) -> int:
    net = _net(spec)
    cam = regioncam.Regioncam(size=size)
    for layer in net.layers[:-1]:
        W, b = layer.float_params
        cam.linear(np.ascontiguousarray(W.T, dtype=np.float32), np.asarray(b, dtype=np.float32))
        cam.relu()
    return int(cam.num_faces)


def _planar_count(spec: Any, size: float, exact: bool) -> int:
    return planar_count(_net(spec), f"box:-{size},{size}", exact)[0]


def _listed(spec: Any, size: float, engine: str) -> int:
    return activation_regions(_net(spec), f"box:-{size},{size}", engine, False).count


def _seconds(res: dict) -> str:
    return f"{res['seconds']:.3g}" if res["status"] == "ok" else res["status"]


def planar_table(quick: bool = False) -> tuple[str, list[str]]:
    rows, notes = [], []
    have_rc = regioncam is not None
    if not have_rc:
        notes.append("regioncam is not installed (`pip install .[bench]`): its columns are "
                     "left empty.")
    for label, spec, size in CASES[:3] if quick else CASES:
        big = isinstance(spec, list) and spec[1] >= 256
        repeat = 1 if big else 3
        rc = best_of(_regioncam, spec, size, repeat=repeat) if have_rc else None
        count = best_of(_planar_count, spec, size, False, repeat=repeat)
        listed = best_of(_listed, spec, size, "planar", repeat=repeat)
        vertex = best_of(_listed, spec, size, "vertex", repeat=1 if big else 2,
                         timeout=VERTEX_TIMEOUT)
        exact = (best_of(_planar_count, spec, size, True, repeat=1)
                 if label not in EXACT_SKIP else {"status": "skipped", "value": None})
        n = count["value"] if count["status"] == "ok" else None
        counts = {r["value"] for r in (rc, count, listed, vertex, exact)
                  if r is not None and r["status"] == "ok"}
        per = f"{1e6 * count['seconds'] / n:.3g}" if n else "-"
        ratio = (f"{count['seconds'] / rc['seconds']:.2g}x"
                 if n and rc is not None and rc["status"] == "ok" else "-")
        rows.append([label, f"[-{size},{size}]^2", n if n is not None else "-",
                     "yes" if len(counts) == 1 else f"NO {sorted(counts)}",
                     rc["value"] if rc is not None and rc["status"] == "ok" else "-",
                     _seconds(rc) if rc is not None else "-", _seconds(count), per, ratio,
                     _seconds(listed), _seconds(vertex), _seconds(exact)])
    header = ["net", "domain", "regions", "all counts equal", "regioncam count",
              "regioncam s", "planar count s", "planar µs/region", "planar / regioncam",
              "planar regions s", "vertex s", "exact planar count s"]
    return table(header, rows), notes


def main(quick: bool = False) -> str:
    load = load_average()
    tab, notes = planar_table(quick)
    text = "\n".join([
        "## The planar engine (issue 14 §2)",
        "",
        f"Machine: {machine()}; load average {load:.2f} at the start. Activation regions, "
        "float mode; each cell is the best of 3 runs in a fresh process (one run for the "
        "256 net), counting call only. `planar count s`: "
        "`tropnet.engines.planar.planar_count` (the subdivision, no Region objects); "
        "`planar regions s`: `activation_regions(..., engine='planar')` (regions with maps, "
        "polygons and certified interior points); `vertex s`: the vertex engine "
        f"(stopped after {VERTEX_TIMEOUT:g} s); `exact planar count s`: exact mode "
        "(integer homogeneous vertices; the 256 net is left out). regioncam 0.5.2 (Rust, "
        "float32, `Regioncam(size=s)` is the box `[-s,s]^2`, its `num_faces` the activation "
        "regions) runs in the same processes' conditions. Target: planar within 10x of "
        "regioncam.",
        "",
        tab,
        *(["", *notes] if notes else []),
    ])
    return write("planar", text)


if __name__ == "__main__":
    print(main())
