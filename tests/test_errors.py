"""Bad input: one clear error on stderr, exit status 2, no traceback, nothing written."""

from __future__ import annotations

import json

import pytest

from .helpers import run_cli

GOOD_LAYER = {"weight": [[1, -1], [2, 1]], "bias": [0, 1], "activation": "relu"}
OUT_LAYER = {"weight": [[1, 1]], "bias": [0], "activation": "identity"}


def _write(tmp_path, content, name="net.json"):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def _net(**changes):
    spec = {"input_dim": 2, "layers": [dict(GOOD_LAYER), dict(OUT_LAYER)]}
    for key, value in changes.items():
        if key == "input_dim":
            spec["input_dim"] = value
        else:
            spec["layers"][0][key] = value
    return spec


def _assert_error(code, out, err, *fragments):
    assert code == 2, (out, err)
    assert out == ""
    assert err.startswith("tropnet: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for frag in fragments:
        assert frag in err, err


BAD_NETWORKS = [
    ("not json", "{oops", "not valid JSON"),
    ("missing keys", {"input_dim": 2}, "missing key 'layers'"),
    ("missing weight", {"input_dim": 2, "layers": [{"bias": [0]}]}, "missing key 'weight'"),
    ("shape mismatch between layers",
     {"input_dim": 2, "layers": [GOOD_LAYER, {"weight": [[1, 1, 1]], "bias": [0]}]},
     "3 columns but the layer 0 output is 2"),
    ("input_dim inconsistent", _net(input_dim=3), "input_dim is 3"),
    ("bias length", _net(bias=[0, 1, 2]), "bias has 3 entries"),
    ("NaN", '{"input_dim": 2, "layers": [{"weight": [[NaN, 1]], "bias": [0]}]}',
     "not a finite number"),
    ("infinity string", _net(bias=["inf", 0]), "is not a number"),
    ("unknown activation", _net(activation="tanh"), "unknown activation 'tanh'"),
    ("leaky slope", _net(activation="leaky_relu", slope=1.5), "0 <= slope < 1"),
    ("maxout rank", _net(activation="maxout", rank=3), "does not divide"),
    ("zero width", {"input_dim": 2, "layers": [{"weight": [], "bias": []}]}, "non-empty"),
    ("boolean number", _net(bias=[True, 0]), "expected a number"),
]


@pytest.mark.parametrize("name, content, fragment", BAD_NETWORKS, ids=[b[0] for b in BAD_NETWORKS])
def test_bad_network_files(tmp_path, capsys, name, content, fragment):
    path = _write(tmp_path, content)
    for command in (["compile"], ["regions"], ["crosscheck"]):
        _assert_error(*run_cli(capsys, *command, path), fragment)


def test_missing_and_unreadable_files(tmp_path, capsys):
    _assert_error(*run_cli(capsys, "regions", tmp_path / "nope.json"), "no such file")
    _assert_error(*run_cli(capsys, "compile", tmp_path), "is a directory")
    _assert_error(*run_cli(capsys, "regions"), "missing input")


@pytest.mark.parametrize("domain, fragment", [
    ("box:1,0", "empty box"),
    ("box:0,1;0,1;0,1", "dimension 3"),
    ("cube:1", "unknown domain"),
    ("box:a,b", "is not a number"),
])
def test_bad_domains(tmp_path, capsys, domain, fragment):
    path = _write(tmp_path, _net())
    _assert_error(*run_cli(capsys, "regions", path, "--domain", domain), fragment)


def test_bad_polytopes(tmp_path, capsys):
    path = _write(tmp_path, _net())
    empty = _write(tmp_path, {"A": [[1, 0], [-1, 0]], "b": [0, -1]}, "empty.json")
    _assert_error(*run_cli(capsys, "regions", path, "--domain", f"polytope:{empty}"),
                  "empty interior")
    flat = _write(tmp_path, {"A": [[1, 0], [-1, 0]], "b": [0, 0]}, "flat.json")
    _assert_error(*run_cli(capsys, "regions", path, "--domain", f"polytope:{flat}"),
                  "empty interior")
    wide = _write(tmp_path, {"A": [[1, 0, 0]], "b": [1]}, "wide.json")
    _assert_error(*run_cli(capsys, "regions", path, "--domain", f"polytope:{wide}"),
                  "dimension 3")
    nokeys = _write(tmp_path, {"rows": []}, "nokeys.json")
    _assert_error(*run_cli(capsys, "regions", path, "--domain", f"polytope:{nokeys}"),
                  "'A' and 'b'")


@pytest.mark.parametrize("expr, fragment", [
    ("max(0, x", "cannot parse"),
    ("max(0, x*y)", "not affine"),
    ("max(0, x**2)", "not affine"),
    ("max(0, -max(x, 0))", "negative multiple"),
    ("exp(x)", "unknown function exp"),
    ("max(0, x) * max(0, y)", "mixes max"),
])
def test_bad_expressions(capsys, expr, fragment):
    _assert_error(*run_cli(capsys, "monomials", "--expr", expr), fragment)
    _assert_error(*run_cli(capsys, "regions", "--expr", expr), fragment)


def test_bad_options(tmp_path, capsys):
    path = _write(tmp_path, _net())
    _assert_error(*run_cli(capsys, "regions", path, "--expr", "max(x, y)"), "not both")
    _assert_error(*run_cli(capsys, "regions", "--expr", "max(x, y)", "--kind", "activation"),
                  "need a network")
    _assert_error(*run_cli(capsys, "regions", path, "--kind", "linear", "--method", "milp"),
                  "counts activation regions")
    _assert_error(*run_cli(capsys, "crosscheck", path, "--methods", "magic"), "unknown method")
    _assert_error(*run_cli(capsys, "regions", path, "--float", "--limit-denominator", "10"),
                  "exact mode")


def test_missing_milp_solver(tmp_path, capsys):
    path = _write(tmp_path, _net())
    code, out, err = run_cli(capsys, "regions", path, "--kind", "activation", "--method", "milp",
                             "--domain", "box:-1,1", "--solver", "NOSUCHSOLVER")
    _assert_error(code, out, err, "NOSUCHSOLVER", "HIGHS")


def test_too_large_is_refused_with_a_cheaper_method(tmp_path, capsys, monkeypatch):
    import tropnet.limits as limits

    monkeypatch.setattr(limits, "MAX_ITEMS", 50)
    monkeypatch.setattr(limits.check_size, "__defaults__", (50,))
    path = "benchmarks/nets/A.json"
    _assert_error(*run_cli(capsys, "regions", path, "--method", "tropical"),
                  "--method enumerate", "--force")
    code, out, err = run_cli(capsys, "regions", path, "--method", "tropical", "--force",
                             "--json")
    assert code == 0, err
    assert json.loads(out)["count"] == 111


def test_nothing_written_on_failure(tmp_path, capsys):
    out_file = tmp_path / "out.json"
    _assert_error(*run_cli(capsys, "construct", "serra2018-thm9", "--input-dim", "1",
                           "--m", "1", "--w", "0", "--depth", "2", "-o", out_file),
                  "positive integer")
    assert not out_file.exists()
    _assert_error(*run_cli(capsys, "import", tmp_path / "missing.onnx", "-o", out_file))
    assert not out_file.exists()


def test_api_errors_are_tropnet_errors():
    import tropnet
    from tropnet import TropnetError

    with pytest.raises(TropnetError):
        tropnet.network_from_dict({"input_dim": 1})
    with pytest.raises(TropnetError):
        tropnet.parse("max(0, x) * x")
    with pytest.raises(TropnetError):
        tropnet.box(2, 1)
    with pytest.raises(TropnetError):
        tropnet.linear_regions(tropnet.parse("max(x, y)"), "box:0,1;0,1;0,1")
    with pytest.raises(TropnetError):
        tropnet.linear_regions(tropnet.parse("max(x, y)"), connectivity="touching")
