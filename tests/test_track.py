"""Counts over training checkpoints (tropnet.tracking, tropnet track)."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from tropnet import Network, TropnetError, activation_regions, compile_network, linear_regions
from tropnet.tracking import track

from .helpers import random_net, run_cli

RELU = Network.from_lists(1, [([[1]], [0], "relu"), ([[1]], [0], "identity")])
# |x| - 2 relu(x - 1/2): three linear regions on [-1, 1], four activation regions
ZIGZAG = Network.from_lists(1, [([[1], [-1], [1]], [0, 0, "-1/2"], "relu"),
                                ([[1, 1, -2]], [0], "identity")])


def test_counts_by_hand():
    t = track([RELU, ZIGZAG], "box:-1,1", labels=["start", "end"])
    assert [(r.label, r.linear, r.activation) for r in t.rows] == [("start", 2, 2),
                                                                   ("end", 3, 3)]
    assert t.rows[0].monomials == ((2, 1),)
    assert t.to_dict()["domain"] == "box:[-1,1]^1"
    rows = list(csv.reader(io.StringIO(t.to_csv())))
    assert rows[0][:4] == ["checkpoint", "network", "linear_regions", "activation_regions"]
    assert rows[2][0] == "end" and rows[2][2:4] == ["3", "3"]


@pytest.mark.parametrize("seed", range(2))
def test_counts_equal_the_single_commands(seed):
    rng = np.random.default_rng(seed)
    nets = [random_net(rng, [2, 4, 3, 1], "relu") for _ in range(3)]
    t = track(nets, "box:-1,1")
    for net, row in zip(nets, t.rows, strict=True):
        assert row.linear == linear_regions(net, "box:-1,1").count
        assert row.activation == activation_regions(net, "box:-1,1").count
        (r,) = compile_network(net)
        assert row.monomials == ((len(r.numerator), len(r.denominator)),)


def test_geometry_summary():
    """On [-1, 1] the linear regions of the zigzag are [-1, 0], [0, 1/2], [1/2, 1]."""
    (row,) = track([ZIGZAG], "box:-1,1", geometry=True, monomials=False).rows
    assert row.monomials is None
    assert row.geometry == linear_regions(ZIGZAG, "box:-1,1").summary()
    assert row.geometry["bounded"] == 3 and row.to_dict()["geometry"]["volume"]["total"] == 2


def test_bad_input():
    with pytest.raises(TropnetError, match="no checkpoint"):
        track([])
    other = Network.from_lists(2, [([[1, 1]], [0], "relu")])
    with pytest.raises(TropnetError, match="different input dimensions"):
        track([RELU, other])
    with pytest.raises(TropnetError, match="labels"):
        track([RELU], labels=["a", "b"])


def test_cli_track(tmp_path, capsys):
    paths = []
    for k, net in enumerate((RELU, ZIGZAG)):
        paths.append(tmp_path / f"step{k}.json")
        paths[-1].write_text(json.dumps(net.to_dict()))
    code, out, err = run_cli(capsys, "track", *map(str, paths), "--domain", "box:-1,1",
                             "--csv", str(tmp_path / "c.csv"), "--plot",
                             str(tmp_path / "c.png"), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert [c["linear_regions"] for c in data["checkpoints"]] == [2, 3]
    assert [c["checkpoint"] for c in data["checkpoints"]] == ["step0.json", "step1.json"]
    assert (tmp_path / "c.csv").read_text().count("\n") == 3
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    code, _, err = run_cli(capsys, "track", str(paths[0]), "--plot", str(tmp_path / "c.txt"))
    assert code == 2 and "must end in" in err and not (tmp_path / "c.txt").exists()


def test_cli_track_onnx_checkpoints(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from tropnet.importers import from_onnx

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.ReLU(), torch.nn.Linear(5, 1))
    paths = []
    for step in range(2):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.3 * torch.randn_like(p))
        paths.append(tmp_path / f"ckpt{step}.onnx")
        torch.onnx.export(model, torch.zeros(1, 2), str(paths[-1]), dynamo=False)
    code, out, err = run_cli(capsys, "track", *map(str, paths), "--domain", "box:-1,1",
                             "--json")
    assert code == 0, err
    counts = [c["linear_regions"] for c in json.loads(out)["checkpoints"]]
    assert counts == [linear_regions(from_onnx(p), "box:-1,1").count for p in paths]
