"""Every command's ``--json`` output follows the one schema (tropnet/cli/output.schema.json,
docs/json.md): validated with jsonschema (draft 2020-12), plus the number rule and the values
of the common keys."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tropnet import save_network
from tropnet.cli import COMMAND_MODULES
from tropnet.cli.common import approximate, output_schema, warnings_json

from .helpers import random_net, run_cli

jsonschema = pytest.importorskip("jsonschema")

VALIDATOR = jsonschema.Draft202012Validator(output_schema())
RATIONAL = r"^-?[0-9]+(/[0-9]+)?$"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Tiny networks (exact 2-[3,3]-1, float 2-[3,3]-1, exact 2-[3]-1 and 3-[2]-1), a
    triangle polytope and a matrix."""
    d = tmp_path_factory.mktemp("json")
    rng = np.random.default_rng(0)
    out = {"net": d / "net.json", "fnet": d / "fnet.json", "net2": d / "net2.json",
           "net3": d / "net3.json", "tri": d / "tri.json", "matrix": d / "m.json", "dir": d}
    save_network(random_net(rng, [2, 3, 3, 1]), out["net"])
    save_network(random_net(rng, [2, 3, 3, 1], rational=False), out["fnet"])
    save_network(random_net(rng, [2, 3, 1]), out["net2"])
    save_network(random_net(rng, [3, 2, 1]), out["net3"])
    out["tri"].write_text(json.dumps({"A": [[1, 0], [0, 1], [-1, -1]], "b": [1, 1, 1]}))
    out["matrix"].write_text(json.dumps({"A": [[1, 0], [-1, -1]]}))
    return out


def run(capsys, *args, status: int | None = 0) -> dict:
    """``tropnet ARGS --json``, checked against the schema and the number rule (and the exit
    status, unless ``status`` is None)."""
    code, out, err = run_cli(capsys, *args, "--json")
    assert status is None or code == status, err
    payload = json.loads(out)
    errors = sorted(VALIDATOR.iter_errors(payload), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    check_numbers(payload)
    assert len({w["message"] for w in payload["warnings"]}) == len(payload["warnings"])
    return payload


def check_numbers(payload: dict) -> None:
    """The number rule: in exact mode no float outside the approximate keys (every rational
    is a "p/q" string); in float mode no rational string where a number is computed."""
    floats: list[str] = []

    def walk(v, where: str) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                if not approximate(k):
                    walk(x, f"{where}.{k}")
        elif isinstance(v, list):
            for k, x in enumerate(v):
                walk(x, f"{where}[{k}]")
        elif isinstance(v, float):
            floats.append(where)

    walk(payload, "")
    if payload["exact"]:
        assert not floats, f"floats in exact mode at {floats[:5]}"


def rationals_of(tree) -> list:
    """Every leaf of a nested list."""
    if isinstance(tree, list):
        return [v for x in tree for v in rationals_of(x)]
    return [tree]


def test_every_command_is_covered():
    covered = {"compile", "monomials", "demo", "regions", "crosscheck", "bounds", "construct",
               "mipbound", "hoffman", "sample", "import_model", "plot", "path", "boundary",
               "complex", "track"}
    assert set(COMMAND_MODULES) == covered  # a new command needs a case below
    assert set(output_schema()["$defs"]) >= {c if c != "import_model" else "import"
                                             for c in covered}


def test_regions_kinds_methods_and_domains(files, capsys):
    net, fnet = files["net"], files["fnet"]
    p = run(capsys, "regions", net, "--list")
    assert p["command"] == "regions" and p["exact"] is True and p["kind"] == "linear"
    assert p["network"] == {"path": str(net), "architecture": "2-[3,3]-1"}
    assert p["domain"] == {"kind": "rn", "lo": [None, None], "hi": [None, None], "text": "rn"}
    assert p["complete"] is True and p["tropnet_version"] and p["seconds"] >= 0
    assert len(p["regions"]) == p["count"]
    for reg in p["regions"]:
        assert all(isinstance(v, str) for v in rationals_of(reg["interior_point"]))
        assert all(isinstance(v, str) for v in rationals_of(reg["affine_map"]["weight"]))
    counts = {}
    for method in ("enumerate", "tropical", "layerwise"):
        counts[method] = run(capsys, "regions", net, "--method", method,
                             "--domain", "box:-1,1")["count"]
    assert len(set(counts.values())) == 1  # three independent methods agree
    act = run(capsys, "regions", net, "--kind", "activation", "--domain", "box:-1,1")
    assert act["count"] >= counts["enumerate"]  # a linear region is a union of them
    half = run(capsys, "regions", net, "--domain", "box:-1/2,1")
    assert half["domain"]["lo"] == ["-1/2", "-1/2"] and half["domain"]["hi"] == ["1", "1"]
    milp = run(capsys, "regions", files["net2"], "--method", "milp")
    lp = run(capsys, "regions", files["net2"], "--kind", "activation", "--engine", "lp")
    assert milp["count"] == lp["count"] and milp["box_from"] and milp["domain"]["kind"] == "rn"
    tri = run(capsys, "regions", net, "--domain", f"polytope:{files['tri']}", "--list",
              "--geometry")
    assert tri["domain"]["kind"] == "polytope" and tri["domain"]["b"] == ["1", "1", "1"]
    assert tri["domain"]["lo"] == ["-2", "-2"] and tri["domain"]["hi"] == ["1", "1"]
    assert sum(Fraction(r["volume"]) for r in tri["regions"]) == Fraction(9, 2)
    assert Fraction(tri["geometry"]["volume"]["total"]) == Fraction(9, 2)
    eff = run(capsys, "regions", files["net2"], "--domain", "effective")
    assert eff["domain"]["kind"] == "box" and "domain_from" in eff
    stream = run(capsys, "regions", net, "--count-only", "--kind", "linear")
    assert stream["count"] == run(capsys, "regions", net)["count"]
    out = files["dir"] / "r.jsonl"
    assert run(capsys, "regions", net, "--output", out)["output"] == str(out)
    fl = run(capsys, "regions", fnet, "--domain", "box:-1,1", "--list")
    assert fl["exact"] is False and fl["domain"]["lo"] == [-1.0, -1.0]
    assert all(isinstance(v, float) for r in fl["regions"]
               for v in rationals_of(r["interior_point"]))
    assert run(capsys, "regions", "--expr", "max(0, x, y)")["expression"] == "max(0, x, y)"


def test_sample_bounds_and_mipbound(files, capsys):
    s = run(capsys, "sample", files["net"], "--samples", "60", "--radius", "15/2")
    assert s["radius"] == "15/2" and isinstance(s["estimate"], int)
    assert s["domain"]["hi"] == ["15/2", "15/2"]
    assert run(capsys, "sample", files["net"], "--samples", "60", "--radius", "8")["radius"] \
        == "8"  # one type whatever the value
    f = run(capsys, "sample", files["fnet"], "--samples", "60", "--radius", "8")
    assert f["radius"] == 8.0 and f["exact"] is False
    b = run(capsys, "bounds", "--input-dim", "1", "--widths", "3,4")
    assert b["network"] == {"path": None, "architecture": "1-[3,4]"} and b["domain"] is None
    assert b["bounds"]["serra2018_upper"]["value"] == "20"
    assert b["bounds"]["montufar2014_lower"]["type"] == "lower_bound"
    assert b["bounds"]["one_dim_exact"]["eta"] == pytest.approx(np.log2(20), abs=1e-6)
    nb = run(capsys, "bounds", files["net"])
    assert nb["network"]["architecture"] == "2-[3,3]-1" and nb["widths"] == [3, 3]
    cnn = run(capsys, "bounds", "--cnn", "--input-shape", "1,1,4", "--filter", "1x2",
              "--channels", "3")
    assert cnn["bounds"]["xiong2024_exact"]["value"] == "217"
    emp = run(capsys, "bounds", files["net2"], "--empirical", "--domain", "box:-1,1")
    assert emp["domain"]["kind"] == "box" and "empirical_upper" in emp["bounds"]
    m = run(capsys, "mipbound", files["net2"], "--domain", "box:-1,1", "--repeats", "2",
            "--seed", "1")
    exact = run(capsys, "regions", files["net2"], "--kind", "activation", "--domain",
                "box:-1,1")["count"]
    assert m["count"] == exact and m["lower_bound"] <= exact and "exact" in m
    assert m["exact"] is True


def test_hoffman_crosscheck_construct(files, capsys):
    h = run(capsys, "hoffman", files["matrix"])
    assert h["hoffman"] == "2" and h["lower_bound"] == h["upper_bound"] == "2"
    assert h["network"] is None and h["domain"] is None
    h2 = run(capsys, "hoffman", files["matrix"], "--norm", "2", "--method", "bounds")
    assert h2["hoffman"] is None and h2["lower_bound"] <= (1 + 5 ** 0.5) / 2 <= \
        h2["upper_bound"]
    e = run(capsys, "hoffman", "--expr", "max(0, x - 10)")
    assert e["effective_radius"] == "10" and e["radius"]["box_radius"] == "25/2"
    assert "hoffman" not in e["radius"] and e["radius"]["hoffman_used"] == "1"
    n = run(capsys, "hoffman", files["net2"])
    assert n["network"]["architecture"] == "2-[3]-1"
    c = run(capsys, "crosscheck", files["net2"], "--methods",
            "activation-vertex,activation-lp,linear-enumerate,sampling", "--samples", "50",
            "--domain", "box:-1,1")
    rows = {r["method"]: r for r in c["methods"]}
    assert rows["activation-vertex"]["count"] == rows["activation-lp"]["count"] == \
        run(capsys, "regions", files["net2"], "--kind", "activation", "--domain",
            "box:-1,1")["count"]
    assert "count" not in rows["sampling"] and isinstance(rows["sampling"]["estimate"], int)
    b = run(capsys, "bounds", files["net2"])
    assert {k: v["value"] for k, v in c["bounds"].items()} == \
        {k: v["value"] for k, v in b["bounds"].items()}  # one structure in both
    assert all(v["status"] for v in c["bounds"].values())
    k = run(capsys, "construct", "montufar2014", "--input-dim", "1", "--widths", "2",
            "--verify")
    assert k["count"] == k["verified_count"] == 2 and k["kind"] == "linear"
    assert k["domain"] == {"kind": "box", "lo": ["0"], "hi": ["1"], "text": "box:[0,1]^1"}
    assert k["network"] == {"path": None, "architecture": "1-[2]-1"}


def test_compile_monomials_path_boundary_complex(files, capsys):
    c = run(capsys, "compile", files["net2"])
    out = c["outputs"][0]
    assert out["monomials"] == {"numerator": len(out["F"]["coefficients"]),
                                "denominator": len(out["G"]["coefficients"])}
    m = run(capsys, "monomials", files["net2"])
    assert m["outputs"][0] == out["monomials"]
    assert run(capsys, "compile", files["fnet"])["exact"] is False
    e = run(capsys, "monomials", "--expr", "max(0, x)")
    assert e["network"] is None and e["outputs"] == [{"numerator": 2, "denominator": 1}]
    p = run(capsys, "path", files["net"], "--points=-1,0;1,0")
    assert p["count"] == len(p["pieces"]) == p["transitions"] + 1
    assert p["points"] == [["-1", "0"], ["1", "0"]]
    assert run(capsys, "path", files["fnet"], "--points=-1,0;1,0", "--float")["exact"] is False
    b = run(capsys, "boundary", files["net2"], "--domain", "box:-2,2", "--list")
    assert b["count"] == len(b["pieces"]) and isinstance(b["threshold"], str)
    total = sum(pc["approximate_volume"] for pc in b["pieces"])
    assert b["approximate_volume"] == pytest.approx(total)
    x = run(capsys, "complex", files["net"], "--domain", "box:-1,1")
    f = x["f_vector"]
    assert f[-1] == x["count"] and f[0] - f[1] + f[2] == x["euler_characteristic"] == 1


def test_track_plot_demo_import(files, capsys):
    t = run(capsys, "track", files["net"], files["net2"], "--domain", "box:-1,1",
            "--geometry")
    assert t["network"] is None and t["domain"]["text"] == "box:[-1,1]^2"
    assert [r["network"]["architecture"] for r in t["checkpoints"]] == ["2-[3,3]-1", "2-[3]-1"]
    assert all(isinstance(r["geometry"]["volume"]["total"], str) for r in t["checkpoints"])
    pytest.importorskip("matplotlib")
    img = files["dir"] / "r.png"
    pl = run(capsys, "plot", files["net2"], "-o", img, "--domain", "box:-1,1")
    assert pl["network"]["architecture"] == "2-[3]-1" and pl["domain"]["kind"] == "box"
    run(capsys, "plot", "--expr", "max(0, x, y, x + y - 1)", "--newton", "-o", img)
    d = run(capsys, "demo", "--save", files["dir"] / "demo.json")
    assert d["network"]["architecture"] == "2-[4,3]-1"
    d = run(capsys, "demo", status=None)  # (its verdict is test_cli's)
    assert d["domain"]["kind"] == "rn" and d["crosscheck"]["methods"]
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    w = np.array([[1.0, -0.5], [0.25, 2.0]], dtype=np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("Relu", ["h"], ["y"])],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])],
        [numpy_helper.from_array(w, "W")])
    model = files["dir"] / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), model)
    i = run(capsys, "import", model, "-o", files["dir"] / "imported.json")
    assert i["network"] == {"path": str(files["dir"] / "imported.json"),
                            "architecture": "2-[]-2"}  # one layer: the ReLU outputs


def test_float_mode_and_time_limit(files, capsys):
    for args in (("regions", files["net"], "--float"), ("hoffman", files["net2"], "--float"),
                 ("compile", files["net2"], "--float"), ("sample", files["net"], "--float",
                                                         "--samples", "30")):
        assert run(capsys, *args)["exact"] is False
    p = run(capsys, "regions", files["net"], "--time-limit", "1e-9", status=4)
    assert p["complete"] is False and p["stopped"] == "time limit"
    assert p["network"]["architecture"] == "2-[3,3]-1"


def test_warnings_are_deduplicated_with_counts():
    msgs = [f"a sign decision had a relative margin of {m:.3g} (tolerance 1e-9)"
            for m in (1e-10, 2.5e-11, 3e-12)] + ["another warning"]
    assert warnings_json(msgs) == [{"message": msgs[0], "count": 3},
                                   {"message": "another warning", "count": 1}]


def test_schema_rejects_wrong_types():
    good = {"command": "sample", "network": None, "domain": None, "exact": True,
            "seconds": 0.1, "warnings": [], "tropnet_version": "0", "complete": True,
            "estimate": 3, "kind": "linear", "samples": 10, "seed": 0, "distinct_maps": 3,
            "curve": [[10, 3]], "radius": "15/2"}
    assert VALIDATOR.is_valid(good)
    for bad in ({"radius": "7.5"}, {"estimate": "3"}, {"exact": 1},
                {"warnings": ["a warning"]}, {"domain": "rn"}, {"network": "2-[3]-1"}):
        assert not VALIDATOR.is_valid({**good, **bad}), bad
