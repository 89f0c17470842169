"""Hostile and extreme inputs (issue 18, sections 3, 5 and 7): every case ends in a correct
answer or one clear error line with exit status 2 -- never a traceback, a hang, a wrong
plausible number or a file left behind."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from .helpers import run_cli

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, data, name: str = "net.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _net(w, b=(0,), out=((1,),), input_dim=1, act="relu") -> dict:
    return {"input_dim": input_dim,
            "layers": [{"weight": [list(r) for r in w], "bias": list(b), "activation": act},
                       {"weight": [list(r) for r in out], "bias": [0],
                        "activation": "identity"}]}


def _error(capsys, *args, fragments=()) -> str:
    """Run the CLI; assert exit 2, nothing on stdout, one line on stderr with the fragments."""
    code, out, err = run_cli(capsys, *args)
    assert code == 2, (code, out, err)
    assert out == ""
    assert err.startswith("tropnet: error: ") and err.count("\n") == 1, err
    for frag in fragments:
        assert frag in err, err
    return err


def _ok_json(capsys, *args) -> dict:
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


# -- section 3: no silent wrong number in float mode ------------------------------------

@pytest.mark.parametrize("norm", ["inf", "2"])
@pytest.mark.parametrize("method", ["pvz", "exact", "bounds"])
def test_hoffman_of_tiny_entries_is_not_zero(tmp_path, capsys, norm, method):
    # H(c I) = 1/c in both conventions; float mode used to answer 0.0
    path = _write(tmp_path, {"A": [[1e-300, 0], [0, 1e-300]]}, "A.json")
    p = _ok_json(capsys, "hoffman", path, "--norm", norm, "--method", method)
    assert p["exact"] is False
    if method == "bounds":
        assert p["lower_bound"] <= 1e300 * (1 + 1e-12) and \
            p["upper_bound"] >= 1e300 * (1 - 1e-12)
        assert p["upper_bound"] <= 1.5e300
    else:
        assert p["hoffman"] == pytest.approx(1e300, rel=1e-12)


def test_hoffman_float_decides_small_values_exactly(capsys, tmp_path):
    # H([[1, 0], [0, 1e-10]]) = 1e10 in the max-norm: the float LP value 1e-10 of the
    # second row is below the solver tolerance, and float mode used to call it 0 (H = 1)
    path = _write(tmp_path, {"A": [[1.0, 0.0], [0.0, 1e-10]]}, "A.json")
    p = _ok_json(capsys, "hoffman", path)
    assert p["hoffman"] == pytest.approx(1e10, rel=1e-9)
    exact = _ok_json(capsys, "hoffman", path, "--exact")
    assert Fraction(exact["hoffman"]) == 1 / Fraction(1e-10)
    # the Euclidean value (1e10 too) needs float64 to resolve the rows: refused, not 1.0
    _error(capsys, "hoffman", path, "--norm", "2", fragments=["float64", "norm 'inf'"])
    # bounds certify an interval around it (they used to refuse)
    b = _ok_json(capsys, "hoffman", path, "--method", "bounds")
    assert b["certified"] and b["lower_bound"] <= 1e10 <= b["upper_bound"]


def test_hoffman_beyond_float_is_computed_exactly(tmp_path, capsys):
    # entries 1 and 1e-320 (subnormal): the max-norm constant 1/1e-320 is beyond float64
    path = _write(tmp_path, {"A": [[1.0, 0.0], [0.0, 1e-320]]}, "A.json")
    p = _ok_json(capsys, "hoffman", path)
    assert Fraction(p["hoffman"]) == 1 / Fraction(1e-320)
    assert "computed_exactly" in p and p["exact"] is True
    _error(capsys, "hoffman", path, "--norm", "2", fragments=["needs float64"])


def test_sample_refuses_values_beyond_float(tmp_path, capsys):
    # 2-[2]-1 with weights 1e308: 4 activation regions; the float samples overflowed and the
    # "estimate" was 776 (one region per sample)
    net = {"input_dim": 2, "layers": [
        {"weight": [[1e308, 0], [0, 1e308]], "bias": [1e307, -1e307], "activation": "relu"},
        {"weight": [[1e308, 1e308]], "bias": [0.0], "activation": "identity"}]}
    path = _write(tmp_path, net)
    for extra in ([], ["--exact"]):
        _error(capsys, "sample", path, *extra, fragments=["values can reach about 1e"])
    from tropnet import Network, TropnetError, sample_regions

    small = Network.from_lists(1, [([[2]], [0], "relu"), ([[1]], [0], "identity")])
    with pytest.raises(TropnetError, match="float64"):
        sample_regions(Network.from_lists(1, [([[2**400]], [0], "relu")] * 2), radius=1)
    with pytest.raises(TropnetError, match="radius"):
        sample_regions(small, radius=Fraction(10) ** 200)


# -- section 5: numbers -------------------------------------------------------------------

@pytest.mark.parametrize("value, fragment", [
    ("1e400", "beyond the float64 range"),
    ("1e999999999", "beyond the float64 range"),     # used to hang (10**999999999)
    ("-1e-400", "beyond the float64 range"),         # float64 rounds it to 0
    ("1" * 1200, "characters"),
])
def test_number_strings_beyond_float(tmp_path, capsys, value, fragment):
    path = _write(tmp_path, _net([[value]]))
    start = time.perf_counter()
    _error(capsys, "compile", path, fragments=[fragment, "weight[0, 0]"])
    _error(capsys, "regions", path, "--exact", fragments=[fragment])
    assert time.perf_counter() - start < 10


def test_json_numbers_beyond_limits(tmp_path, capsys):
    big_int = _write(tmp_path, '{"input_dim": 1, "layers": [{"weight": [[%s]], "bias": [0]}]}'
                     % ("1" * 5001), "int.json")
    _error(capsys, "regions", big_int, fragments=["5,001 digits"])
    big_float = _write(tmp_path, '{"input_dim": 1, "layers": [{"weight": [[1e400]], '
                                 '"bias": [0]}]}', "float.json")
    _error(capsys, "regions", big_float, fragments=["1e400", "float64 range"])
    # 400 digits: JSON reads it, but float64 cannot hold it
    _error(capsys, "regions", _write(tmp_path, _net([[10**400]]), "i400.json"),
           fragments=["bits", "float64 range"])


@pytest.mark.parametrize("domain", ["box:-1e999999999,1", "box:-1e400,1", "box:0,1e-999"])
def test_domain_bounds_beyond_float(tmp_path, capsys, domain):
    path = _write(tmp_path, _net([[1], [-1]], [0, 0], [[1, 1]]))
    start = time.perf_counter()
    _error(capsys, "regions", path, "--domain", domain, fragments=["beyond the float64 range"])
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize("command", [["compile"], ["regions"], ["hoffman"],
                                     ["regions", "--exact"], ["monomials"]])
def test_weights_near_float_max_are_refused(tmp_path, capsys, command):
    net = _net([[1e308], [-1e308]], [1e307, 1e307], [[1.0, 1.0]])
    _error(capsys, command[0], _write(tmp_path, net), *command[1:],
           fragments=["values can reach about 1e308", "positive constant"])


def test_deep_networks_beyond_float_are_refused_and_others_still_run(tmp_path, capsys):
    def deep(w, n=2000):
        return {"input_dim": 1, "layers": [{"weight": [[w]], "bias": [1], "activation": "relu"}
                                           for _ in range(n)]
                + [{"weight": [[1]], "bias": [0], "activation": "identity"}]}

    # 1-[1]x2000-1 with weight 2: coefficients 2**2000 (OverflowError before)
    for extra in ([], ["--float"]):
        _error(capsys, "regions", _write(tmp_path, deep(2)), *extra,
               fragments=["values can reach about 1e602"])
    # weight 1: the values stay about 2000, nothing is refused (2 linear regions)
    assert _ok_json(capsys, "regions", _write(tmp_path, deep(1), "ones.json"))["count"] == 2
    # 150 layers of weight 2.0 in float mode: 2**150, well inside float64
    p = _ok_json(capsys, "regions", _write(tmp_path, deep(2.0, 150), "f150.json"))
    assert p["count"] == 2 and p["exact"] is False


def test_magnitude_bound():
    from tropnet import Network
    from tropnet.arithmetic import EXACT, FLOAT
    from tropnet.errors import NetworkError

    net = Network.from_lists(2, [([[3, -1], [0, 2]], [1, 0], "relu"), ([[1, 1]], [-5], "identity")])
    # B1 = 4 * 1 + 1 = 5, B2 = 2 * 5 + 5 = 15; on the cube of radius 4: 4*4+1 = 17, 2*17+5 = 39
    assert net.magnitude_log2() == pytest.approx(math.log2(15))
    assert net.magnitude_log2(4) == pytest.approx(math.log2(39))
    huge = Network.from_lists(1, [([[2**600]], [0], "relu"), ([[1]], [0], "identity")])
    huge.check_magnitude(EXACT)
    with pytest.raises(NetworkError, match="rerun with --exact"):
        huge.check_magnitude(FLOAT)


def test_read_number():
    from tropnet.errors import NetworkError
    from tropnet.network import read_number

    assert read_number("3/2") == (Fraction(3, 2), True)
    assert read_number("1e308")[0] == 10**308
    assert read_number(5e-324) == (Fraction(5e-324), False)
    for bad in ("1e309", "1e-400", 2**1100, "9" * 400):
        with pytest.raises(NetworkError, match="float64 range"):
            read_number(bad)


# -- section 5: files ---------------------------------------------------------------------

def test_deeply_nested_json(tmp_path, capsys):
    path = _write(tmp_path, "[" * 100_000 + "]" * 100_000)
    _error(capsys, "compile", path, fragments=["nested too deeply"])
    poly = _write(tmp_path, '{"A": ' + "[" * 100_000 + "]" * 100_000 + "}", "poly.json")
    net = _write(tmp_path, _net([[1]]), "ok.json")
    _error(capsys, "regions", net, "--domain", f"polytope:{poly}",
           fragments=["nested too deeply"])


def _npz(tmp_path, name, **changes):
    arrays = {"input_dim": np.array(2), "n_layers": np.array(2),
              "W0": np.array([[1.0, 0.0], [0.0, 1.0]]), "b0": np.array([0.0, 0.0]),
              "act0": np.array("relu"), "W1": np.array([[1.0, 1.0]]), "b1": np.array([0.0]),
              "act1": np.array("identity")}
    arrays.update(changes)
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("changes, fragment", [
    ({"W0": np.array([[1, 0], [0, 1]], dtype=object)}, "object arrays"),
    ({"n_layers": np.array("2")}, "'n_layers' must be one integer, got '2'"),
    ({"n_layers": np.array([2, 3])}, "'n_layers' must be one integer, got an array"),
    ({"n_layers": np.array(10**12)}, "'n_layers' must be an integer from 1"),
    ({"input_dim": np.array(2.7)}, "'input_dim' must be one integer, got 2.7"),
    ({"act0": np.array(["relu", "relu"])}, "'act0' must be one string"),
    ({"W0": np.array([["a", "b"], ["c", "d"]])}, "'W0' must hold numbers"),
])
def test_bad_npz_files(tmp_path, capsys, changes, fragment):
    _error(capsys, "compile", _npz(tmp_path, "net.npz", **changes), fragments=[fragment])


def test_good_npz_still_loads(tmp_path, capsys):
    assert _ok_json(capsys, "regions", _npz(tmp_path, "net.npz"))["count"] == 4


def test_non_regular_files_are_refused(tmp_path, capsys):
    _error(capsys, "compile", "/dev/null", fragments=["not a regular file"])
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)  # reading it would block forever
    _error(capsys, "regions", fifo, fragments=["not a regular file"])
    _error(capsys, "hoffman", fifo, fragments=["not a regular file"])


def test_dev_zero_is_refused_before_reading():
    # before: read until MemoryError (exit 3) or the OOM killer; run with a memory cap
    def cap() -> None:  # pragma: no cover - runs in the child
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    proc = subprocess.run([sys.executable, "-m", "tropnet", "compile", "/dev/zero"],
                          capture_output=True, text=True, timeout=60, preexec_fn=cap,
                          cwd=ROOT)
    assert proc.returncode == 2, proc.stderr
    assert "not a regular file" in proc.stderr


def test_big_files_are_refused(tmp_path, capsys, monkeypatch):
    import tropnet.files as files

    monkeypatch.setattr(files, "MAX_FILE_BYTES", 100)
    path = _write(tmp_path, _net([[1] * 50]))
    _error(capsys, "compile", path, fragments=["above the limit of 100 bytes"])


# -- section 5: valid inputs that crashed --------------------------------------------------

def test_polytope_with_a_line(tmp_path):
    from tropnet import parse_domain

    strip = _write(tmp_path, {"A": [[1, 0], [-1, 0]], "b": [1, 1]}, "strip.json")
    triangle = _write(tmp_path, {"A": [[1, 0], [0, 1], [-1, -1]], "b": [1, 1, 1]}, "tri.json")
    assert parse_domain(f"polytope:{strip}", 2).has_line
    assert not parse_domain(f"polytope:{triangle}", 2).has_line
    assert parse_domain("rn", 2).has_line and not parse_domain("box:0,1", 2).has_line


def test_bounds_with_thousands_of_digits(capsys):
    from tropnet.bounds import analytic

    widths = ",".join(["1000"] * 15)
    code, out, err = run_cli(capsys, "bounds", "--input-dim", "784", "--widths", widths)
    assert code == 0, err
    p = _ok_json(capsys, "bounds", "--input-dim", "784", "--widths", widths)
    exact = analytic.architecture_bounds(784, [1000] * 15)
    digits = _digits(exact["montufar2017_upper"])
    assert len(digits) == 4516 and f"{digits[0]}.{digits[1:6]}e+4515" in out
    for key in ("montufar2017_upper", "serra2018_upper"):
        # beyond the 4300 digits JSON readers accept: every bound is a decimal string
        assert p["bounds"][key]["value"] == _digits(exact[key])
        assert p["bounds"][key]["log10"] == pytest.approx(math.log10(exact[key]))
    assert p["bounds"]["montufar2014_lower"]["value"] == str(exact["montufar2014_lower"])


def _digits(value: int) -> str:
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return str(value)
    finally:
        sys.set_int_max_str_digits(old)


def test_bounds_of_a_large_input_dimension(capsys):
    # Theorem 1's bound depends on n0 only up to n_1: n0 = 10**6 used to run a dynamic
    # programme over a million dimensions (minutes, gigabytes)
    from tropnet.bounds import analytic

    assert analytic.serra2018_upper(10**6, [30, 20]) == analytic.serra2018_upper(30, [30, 20])
    start = time.perf_counter()
    p = _ok_json(capsys, "bounds", "--input-dim", "1000000", "--widths", "1000,1000")
    assert p["bounds"]["serra2018_upper"]["log10"] == pytest.approx(601.766640, abs=1e-5)
    assert time.perf_counter() - start < 10
    _error(capsys, "bounds", "--input-dim", "20000", "--widths", "20000,20000,20000,20000",
           fragments=["Theorem 1", "--force"])


def test_cnn_bounds_of_a_large_image(capsys):
    start = time.perf_counter()
    _error(capsys, "bounds", "--cnn", "--input-shape", "3,224,224", "--filter", "3x3", "--channels",
           "64", fragments=["search nodes", "1-D layout"])
    assert time.perf_counter() - start < 10
    # a 2-D layout with a long chain of positions: no RecursionError, the exact count
    from tropnet.bounds import cnn

    assert cnn.xiong2024_one_layer([3, 3, 1], [2, 2], 1, 2) == 256


def test_deep_search_is_not_recursive():
    # 1100 positions (beyond the recursion limit) that all see the same single column: at
    # most one of them can take it, so the count is 1 + 1100 (it used to raise
    # RecursionError at any depth near 1000)
    from tropnet.bounds import cnn

    n = 1100
    assert cnn._enumerate_count([(0,)] * n, 1, [10**7]) == 1 + n


# -- section 5: options and messages ------------------------------------------------------

@pytest.mark.parametrize("args, fragment", [
    (["sample", "NET", "--seed", "-1"], "--seed: must be a non-negative integer (0 to"),
    (["sample", "NET", "--radius", "1e308"], "--radius: must be a positive number up to 1e+100"),
    (["sample", "NET", "--radius", "0"], "--radius: must be a positive number"),
    (["sample", "NET", "--samples", "10000000000"],
     "--samples: must be a positive integer (1 to 10,000,000)"),
    (["plot", "NET", "-o", "x.png", "--dpi", "0"], "--dpi: must be an integer from 10 to 1,200"),
    (["plot", "NET", "-o", "x.png", "--dpi", "100000"], "--dpi: must be an integer from 10"),
    (["plot", "NET", "-o", "x.png", "--output-index", "0"], "--output-index: must be a positive"),
    (["mipbound", "NET", "--exact-limit", "-5"], "--exact-limit: must be a non-negative"),
    (["mipbound", "NET", "--confidence", "1"], "--confidence: must be a number in (0, 1)"),
    (["mipbound", "NET", "--timeout", "nan"], "--timeout: must be a number in (0,"),
    (["hoffman", "NET", "--samples", "0"], "--samples: must be a positive integer"),
    (["crosscheck", "NET", "--samples", "-1"], "--samples: must be a positive integer"),
    (["construct", "montufar2014", "--input-dim", "2", "--widths", "2", "-o", ""],
     "-o/--output: must be a file name"),
    (["construct", "serra2018-thm9", "--input-dim", "1", "--m", "1", "--w", "0"],
     "--w: must be a positive integer"),
    (["bounds", "--input-dim", "0", "--widths", "3"], "--input-dim: must be a positive"),
    (["bounds", "--input-dim", "3", "--widths", "4,100000"],
     "--widths: must be comma-separated integers from 1 to 50,000"),
    (["bounds", "--input-dim", "3", "--widths", "4,-1"], "--widths: must be comma-separated"),
    (["construct", "montufar2014", "--input-dim", "2", "--widths", "2,x"],
     "--widths: must be comma-separated integers"),
    (["regions", "NET", "--limit-denominator", "0"], "--limit-denominator: must be a positive"),
    (["regions", "NET", "--method", "magic"], "invalid choice: 'magic'"),
    (["import", "model.onnx", "-o", " "], "-o/--output: must be a file name"),
])
def test_numeric_options_are_checked_when_parsed(tmp_path, capsys, args, fragment):
    net = str(_write(tmp_path, _net([[1], [-1]], [0, 0], [[1, 1]])))
    out = tmp_path / "x.png"
    argv = [net if a == "NET" else str(out) if a == "x.png" else a for a in args]
    err = _error(capsys, *argv, fragments=[fragment, "--help"])
    assert "usage:" not in err
    assert not out.exists()


def test_plot_messages_name_the_flags(tmp_path, capsys):
    net3 = _write(tmp_path, _net([[1, 0, 0], [0, 1, 1]], [0, 0], [[1, 1]], input_dim=3))
    out = tmp_path / "x.png"
    err = _error(capsys, "plot", net3, "-o", out, fragments=["--slice"])
    assert "slice=(" not in err
    net = _write(tmp_path, _net([[1, 0], [0, 1]], [0, 0], [[1, 1]], input_dim=2), "n2.json")
    _error(capsys, "plot", net, "-o", out, "--surface", "--output-index", "5",
           fragments=["--output-index 5", "1 output"])
    assert not out.exists()


def test_api_type_errors_are_tropnet_errors():
    import tropnet
    from tropnet.network import as_network

    net = tropnet.Network.from_lists(1, [([[1], [-1]], [0, 0], "relu"),
                                         ([[1, 1]], [0], "identity")])
    for call in (lambda: tropnet.load_network(None), lambda: tropnet.load_network(5),
                 lambda: tropnet.linear_regions(net, 5), lambda: as_network("x"),
                 lambda: tropnet.sample_regions(net, samples=10, seed=-1)):
        with pytest.raises(tropnet.TropnetError):
            call()


# -- section 7: files and signals ---------------------------------------------------------

_SIGTERM_SCRIPT = """
import argparse, os, signal, sys, time
from tropnet.cli.common import CommandResult, run_command
from tropnet.files import write_atomic

def content(tmp):
    with open(tmp, "w") as fh:
        fh.write("partial")
    os.kill(os.getpid(), signal.SIGTERM)   # as if `kill` arrived during the write
    time.sleep(10)

out = sys.argv[1]
args = argparse.Namespace(func=lambda a: CommandResult(
    {}, "", files={out: lambda: write_atomic(out, content)}))
sys.exit(run_command(args))
"""


def test_sigterm_during_a_write_removes_the_temporary_file(tmp_path):
    out = tmp_path / "picture.png"
    proc = subprocess.run([sys.executable, "-c", _SIGTERM_SCRIPT, str(out)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr
    assert proc.stderr.strip() == "tropnet: terminated"
    assert list(tmp_path.iterdir()) == []


def test_sigterm_in_the_api_removes_the_temporary_file(tmp_path):
    script = _SIGTERM_SCRIPT.replace("sys.exit(run_command(args))",
                                     "write_atomic(out, content)")
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "a.json")],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode != 0
    assert list(tmp_path.iterdir()) == []


def test_outputs_follow_cp(tmp_path):
    from tropnet.errors import InputFileError
    from tropnet.files import write_atomic

    target = tmp_path / "target.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target.name)
    write_atomic(link, "new")
    assert link.is_symlink() and target.read_text() == "new"  # written through the link
    ro = tmp_path / "ro.json"
    ro.write_text("keep")
    ro.chmod(0o444)
    with pytest.raises(InputFileError, match="read-only"):
        write_atomic(ro, "new")
    assert ro.read_text() == "keep"
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to("nowhere.json")
    with pytest.raises(InputFileError, match="dangling"):
        write_atomic(dangling, "new")
    assert not (tmp_path / "nowhere.json").exists()
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.json", "x")
        existing = tmp_path / "existing.json"
        existing.write_text("x")
        existing.chmod(0o640)
        write_atomic(existing, "y")
    finally:
        os.umask(old)
    assert (tmp_path / "new.json").stat().st_mode & 0o777 == 0o644
    assert existing.stat().st_mode & 0o777 == 0o640 and existing.read_text() == "y"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tropnet-")]


def test_cli_refuses_a_read_only_output(tmp_path, capsys):
    out = tmp_path / "net.json"
    out.write_text("keep")
    out.chmod(0o444)
    _error(capsys, "construct", "montufar2014", "--input-dim", "1", "--widths", "2", "-o", out,
           fragments=["read-only"])
    assert out.read_text() == "keep"
