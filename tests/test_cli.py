"""The command line as a user runs it: compile, monomials, regions, crosscheck, demo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import run_cli

ABS = {"input_dim": 1, "layers": [
    {"weight": [[1], [-1]], "bias": [0, 0], "activation": "relu"},
    {"weight": [[1, 1]], "bias": [0], "activation": "identity"}]}


def _ok(capsys, *args):
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    return out


def _net(tmp_path, spec=ABS, name="net.json"):
    path = tmp_path / name
    path.write_text(json.dumps(spec))
    return path


def test_compile_json_exact(tmp_path, capsys):
    code, out, err = run_cli(capsys, "compile", _net(tmp_path), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["exact"] is True and data["pruned"] is True
    (o,) = data["outputs"]
    assert o["F"] == {"exponents": [["0"], ["2"]], "coefficients": ["0", "0"]}
    assert o["G"] == {"exponents": [["1"]], "coefficients": ["0"]}
    assert o["text"] == "max(0, 2*x1) - x1"
    out = _ok(capsys, "compile", _net(tmp_path), "--no-prune", "--json")
    assert json.loads(out)["outputs"][0]["monomials"] == {"numerator": 3, "denominator": 1}


def test_compile_float_and_text(tmp_path, capsys):
    spec = {"input_dim": 1, "layers": [{"weight": [[0.5]], "bias": [0.25],
                                        "activation": "identity"}]}
    out = _ok(capsys, "compile", _net(tmp_path, spec), "--json")
    assert json.loads(out)["exact"] is False
    out = _ok(capsys, "compile", _net(tmp_path, spec), "--exact")
    assert "1/2*x1 + 1/4" in out


def test_compile_on_a_domain(tmp_path, capsys):
    """|x| = max(0, 2x) - x on [1, 2] is x: the monomial 0 of the numerator never wins there."""
    out = _ok(capsys, "compile", _net(tmp_path), "--domain", "box:1,2", "--json")
    data = json.loads(out)
    assert data["domain"] == {"kind": "box", "lo": ["1"], "hi": ["2"], "text": "box:[1,2]^1"}
    assert data["outputs"][0]["text"] == "2*x1 - x1"
    assert data["outputs"][0]["monomials"] == {"numerator": 1, "denominator": 1}
    code, _, err = run_cli(capsys, "compile", _net(tmp_path), "--domain", "box:1,2",
                           "--method", "products")
    assert code == 2 and "needs the regions method" in err


def test_monomials_expr_and_network(tmp_path, capsys):
    out = _ok(capsys, "monomials", "--expr", "max(0, x, 2*x)", "--json")
    assert json.loads(out)["outputs"] == [{"numerator": 2, "denominator": 1}]
    out = _ok(capsys, "monomials", "--expr", "max(0, x, 2*x)", "--no-prune",
                           "--json")
    assert json.loads(out)["outputs"] == [{"numerator": 3, "denominator": 1}]
    out = _ok(capsys, "monomials", _net(tmp_path), "--json")
    assert json.loads(out)["outputs"] == [{"numerator": 2, "denominator": 1}]


def test_regions_json_shapes(tmp_path, capsys):
    net = _net(tmp_path)
    out = _ok(capsys, "regions", net, "--json")
    data = json.loads(out)
    assert data["kind"] == "linear" and data["count"] == 2 and data["method"] == "enumerate"
    assert data["domain"]["text"] == "rn" and data["connectivity"] == "facet" and data["exact"]
    out = _ok(capsys, "regions", net, "--kind", "activation", "--engine", "lp",
                           "--domain", "box:1,2", "--list", "--json")
    data = json.loads(out)
    assert data["count"] == 1 and "connectivity" not in data
    (reg,) = data["regions"]
    assert reg["pattern"] == [[1, 0], []]
    assert reg["affine_map"] == {"weight": [["1"]], "bias": ["0"]}
    out = _ok(capsys, "regions", "--expr",
                           "max(x, -x) + max(y, -y) - max(x + y, -x - y)",
                           "--connectivity", "closure", "--json")
    assert json.loads(out)["count"] == 5


def test_regions_milp_matches(tmp_path, capsys):
    code, out, err = run_cli(capsys, "regions", "benchmarks/nets/A.json", "--kind",
                             "activation", "--method", "milp", "--domain", "box:-1,1", "--json")
    assert code == 0, err
    assert json.loads(out)["count"] == 38


def test_crosscheck_agrees_and_exit_status(capsys):
    code, out, err = run_cli(capsys, "crosscheck", "tropnet/examples/demo.json", "--domain",
                             "box:-1,1", "--skip", "activation-milp", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["ok"] is True and data["problems"] == []
    counts = {m["method"]: m.get("count", m.get("estimate")) for m in data["methods"]}
    assert counts["activation-vertex"] == counts["activation-lp"]
    assert counts["linear-tropical"] == counts["linear-enumerate"] == \
        counts["linear-layerwise"]
    assert counts["sampling"] <= counts["linear-tropical"]


def test_crosscheck_reports_a_disagreement(monkeypatch, capsys):
    import tropnet.comparison as cc

    real = cc._count

    def wrong(name, *args, **kw):
        count, exact, note = real(name, *args, **kw)
        return (count + 1 if name == "activation-lp" else count), exact, note

    monkeypatch.setattr(cc, "_count", wrong)
    code, out, _ = run_cli(capsys, "crosscheck", "tropnet/examples/demo.json", "--methods",
                           "activation-vertex,activation-lp", "--json")
    data = json.loads(out)
    assert code == 1 and not data["ok"]
    assert "disagree" in data["problems"][0]


@pytest.mark.slow
def test_demo_runs_as_console_script():
    proc = subprocess.run([sys.executable, "-m", "tropnet.cli", "demo"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "monomial complexity" in proc.stdout
    assert "all exact counts agree" in proc.stdout


def test_solver_chatter_stays_off_stdout():
    """scipy's HiGHS prints from C on stdout during MILP solves; --json output must still be
    exactly one JSON object."""
    demo = Path(__file__).resolve().parents[1] / "tropnet" / "examples" / "demo.json"
    proc = subprocess.run([sys.executable, "-m", "tropnet", "regions", str(demo), "--kind",
                           "activation", "--method", "milp", "--solver", "SCIPY", "--domain",
                           "box:-1,1", "--json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["count"] == 19


def test_demo_save_and_examples(tmp_path, capsys, monkeypatch):
    """``tropnet demo --save`` writes the network of ``tropnet.examples.demo()`` (mode 0644
    under umask 022); ``--save -`` puts its JSON on stdout and the report on stderr."""
    import os

    from tropnet import load_network
    from tropnet.examples import demo

    monkeypatch.chdir(tmp_path)
    old = os.umask(0o022)
    try:
        _ok(capsys, "demo", "--save", "d.json")
    finally:
        os.umask(old)
    assert (tmp_path / "d.json").stat().st_mode & 0o777 == 0o644
    assert load_network(tmp_path / "d.json").to_dict() == demo().to_dict()
    code, out, err = run_cli(capsys, "demo", "--save", "-", "--json")
    assert code == 0, err
    assert json.loads(out) == demo().to_dict()
    assert json.loads(err)["output"] == "-"


def test_construct_to_stdout(capsys):
    code, out, err = run_cli(capsys, "construct", "serra2018-thm7", "--widths", "3,4", "-o",
                             "-", "--json")
    assert code == 0, err
    net = json.loads(out)
    assert net["input_dim"] == 1 and [len(ly["bias"]) for ly in net["layers"]][:2] == [3, 4]
    assert json.loads(err)["output"] == "-"


def test_every_command_has_quiet_verbose_and_progress(capsys):
    from tropnet.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():
        options = {s for a in parser._actions for s in a.option_strings}
        assert {"-q", "--quiet", "-v", "--verbose", "--progress", "--json"} <= options, name
    code, out, err = run_cli(capsys, "monomials", "--expr", "max(0, x)", "-v", "--json")
    assert code == 0 and json.loads(out)["outputs"] == [{"numerator": 2, "denominator": 1}]
    assert "tropnet monomials: done in" in err
    code, out, err = run_cli(capsys, "monomials", "--expr", "max(0, x)", "-q", "-v")
    assert code == 0 and err == ""
