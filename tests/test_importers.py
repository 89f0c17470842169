"""Importing torch modules and ONNX graphs: same function, exact weights, clear errors."""

from __future__ import annotations

import json
import warnings
from fractions import Fraction

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from tropnet import UnsupportedModelError, compile_network, load_network  # noqa: E402
from tropnet.cli import main  # noqa: E402
from tropnet.importers import flatten_sample, from_onnx, from_torch, load_model  # noqa: E402

nn = torch.nn


class _Maxout(nn.Module):
    """max(A x + a, B x + b) per unit, then a linear read-out: exported as Gemm, Gemm, Max."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.out = nn.Linear(2, 3), nn.Linear(2, 3), nn.Linear(3, 1)

    def forward(self, x):
        return self.out(torch.maximum(self.a(x), self.b(x)))


class _ViewHead(nn.Module):
    """``x.view(x.size(0), -1)`` exports as Shape/Gather/Concat/Reshape (or a constant shape)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv, self.out = nn.Conv2d(1, 2, 3), nn.Linear(2 * 3 * 3, 2)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        return self.out(h.view(h.size(0), -1))


def _models() -> list[tuple[str, object, tuple[int, ...]]]:
    torch.manual_seed(7)
    return [
        ("mlp", nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3), nn.LeakyReLU(0.1),
                              nn.Linear(3, 2)), (2,)),
        ("conv2d", nn.Sequential(nn.Conv2d(2, 3, 3, stride=2, padding=1), nn.ReLU(),
                                 nn.Flatten(), nn.Linear(27, 2)), (2, 5, 5)),
        ("conv1d", nn.Sequential(nn.Conv1d(2, 4, 3, padding=2, dilation=2), nn.LeakyReLU(0.2),
                                 nn.Conv1d(4, 2, 2, groups=2, stride=2), nn.Flatten(),
                                 nn.Linear(6, 1)), (2, 7)),
        ("maxpool", nn.Sequential(nn.Conv2d(1, 2, 2), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
                                  nn.Flatten(), nn.Linear(12, 1)), (1, 6, 5)),
        ("linear-linear", nn.Sequential(nn.Flatten(), nn.Linear(3, 3), nn.Linear(3, 2),
                                        nn.Identity(), nn.Dropout(0.3)), (3,)),
    ]


def _torch_outputs(model, xs):
    with torch.no_grad():
        return model(torch.as_tensor(xs, dtype=torch.float32)).reshape(len(xs), -1).numpy()


def _agree(net, model, shape, rng, n=40):
    xs = rng.normal(size=(n, *shape)).astype(np.float32)
    expected = _torch_outputs(model, xs)
    got = net.forward_batch(np.stack([flatten_sample(x) for x in xs]))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", [m[0] for m in _models()])
def test_from_torch_matches_forward(name, rng):
    _, model, shape = next(m for m in _models() if m[0] == name)
    model.eval()
    net = from_torch(model, None if name == "mlp" else shape)  # mlp: shape inferred
    assert net.input_dim == int(np.prod(shape))
    assert not net.exact_input
    _agree(net, model, shape, rng)


def _export(model, shape, path):
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter warns that it is deprecated
        torch.onnx.export(model, (torch.zeros(1, *shape),), str(path), dynamo=False)
    return path


@pytest.mark.parametrize("name", [m[0] for m in _models()] + ["maxout", "view"])
def test_from_onnx_matches_torch(name, rng, tmp_path):
    extra = [("maxout", _Maxout(), (2,)), ("view", _ViewHead(), (1, 5, 5))]
    _, model, shape = next(m for m in _models() + extra if m[0] == name)
    net = from_onnx(_export(model, shape, tmp_path / "m.onnx"))
    _agree(net, model, shape, rng)
    if name == "maxout":
        assert [ly.activation for ly in net.layers] == ["maxout", "identity"]
        assert net.layers[0].rank == 2


def test_weights_are_the_exact_float32_values():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    net = from_torch(model)
    w = model[0].weight.detach().numpy()
    assert net.layers[0].weight[1, 0] == Fraction(float(w[1, 0]))
    assert net.layers[1].bias[0] == Fraction(float(model[2].bias.detach().numpy()[0]))
    # exact mode analyses exactly these rationals: the compiled map equals the exact forward
    r = compile_network(net, exact=True)[0]
    for x in ([0.25, -1.5], [3, 2], [-2, 0.5]):
        assert r([Fraction(v) for v in x]) == net.forward(x, exact=True)[0]


def test_conv_lowering_by_hand():
    """A 2x2 kernel on a 3x3 image: row (i, j) of the dense matrix holds the kernel at the
    input positions (i..i+1, j..j+1), in height x width x channels order."""
    conv = nn.Conv2d(1, 1, 2, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
    net = from_torch(nn.Sequential(conv), (1, 3, 3))
    w = [[int(v) for v in row] for row in net.layers[0].weight]
    assert w == [[1, 2, 0, 3, 4, 0, 0, 0, 0],
                 [0, 1, 2, 0, 3, 4, 0, 0, 0],
                 [0, 0, 0, 1, 2, 0, 3, 4, 0],
                 [0, 0, 0, 0, 1, 2, 0, 3, 4]]
    conv_meta = net.layers[0].meta["conv"]  # the format of tropnet.conv
    assert (conv_meta["input"], conv_meta["output"], conv_meta["filter"]) == ([3, 3, 1],
                                                                              [2, 2, 1], [2, 2])


def test_channels_last_input_convention():
    """Two input channels: the identity-like 1x1 conv picks channel 1 at every pixel."""
    conv = nn.Conv2d(2, 1, 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([[[[0.0]], [[1.0]]]]))
    net = from_torch(nn.Sequential(conv, nn.Flatten()), (2, 1, 2))
    x = np.array([[[1.0, 2.0]], [[3.0, 4.0]]])  # channel 0: 1, 2; channel 1: 3, 4
    assert list(flatten_sample(x)) == [1, 3, 2, 4]
    assert list(net.forward_batch(flatten_sample(x)[None])[0]) == [3, 4]


def _graph_model(nodes, inits, in_shape, out_shape, opset=17):
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", *out_shape])],
        [numpy_helper.from_array(np.asarray(v, dtype=np.float32), k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def test_onnx_matmul_add_max_and_constants(rng):
    """MatMul + Add, Sub/Mul/Div by constants, Max with a constant piece (max(z, 0.5))."""
    w = rng.normal(size=(2, 3)).astype(np.float32)
    c = rng.normal(size=3).astype(np.float32)
    v = rng.normal(size=(3, 1)).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"]),
             helper.make_node("Add", ["h", "c"], ["z"]),
             helper.make_node("Mul", ["z", "two"], ["z2"]),
             helper.make_node("Sub", ["z2", "one"], ["z3"]),
             helper.make_node("Max", ["z3", "half"], ["m"]),
             helper.make_node("Div", ["m", "two"], ["q"]),
             helper.make_node("MatMul", ["q", "V"], ["y0"]),
             helper.make_node("Neg", ["y0"], ["y"])]
    model = _graph_model(nodes, {"W": w, "c": c, "V": v, "two": 2.0, "one": [1.0, 1.0, 1.0],
                                 "half": 0.5}, [2], [1])
    net = from_onnx(model)
    xs = rng.normal(size=(30, 2))
    expected = -(np.maximum(2 * (xs @ w + c) - 1, 0.5) / 2) @ v
    np.testing.assert_allclose(net.forward_batch(xs), expected, atol=1e-5)
    # Div scales the maxout output; the MatMul after it is a second affine map: a new layer
    assert [ly.activation for ly in net.layers] == ["maxout", "identity", "identity"]


def test_onnx_file_round_trip_through_json(tmp_path, rng):
    _, model, shape = _models()[0]
    net = from_onnx(_export(model, shape, tmp_path / "m.onnx"))
    assert main(["import", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "net.json"),
                 "--quiet"]) == 0
    again = load_network(tmp_path / "net.json")
    assert not again.exact_input
    for a, b in zip(net.layers, again.layers, strict=True):
        assert (a.weight == b.weight).all() and (a.bias == b.bias).all()
        assert a.activation == b.activation and a.slope == b.slope


def test_cli_import_json_report_and_failure_writes_nothing(tmp_path, capsys):
    _, model, shape = _models()[1]
    onnx_path = _export(model, shape, tmp_path / "c.onnx")
    assert main(["import", str(onnx_path), "-o", str(tmp_path / "c.json"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["network"]["architecture"] == "50-[27]-2" and out["input_dim"] == 50
    bad = _graph_model([helper.make_node("Tanh", ["x"], ["y"])], {}, [2], [2])
    onnx.save(bad, str(tmp_path / "bad.onnx"))
    assert main(["import", str(tmp_path / "bad.onnx"), "-o", str(tmp_path / "bad.json")]) == 2
    assert "Tanh" in capsys.readouterr().err
    assert not (tmp_path / "bad.json").exists()


@pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")
def test_torch_files(tmp_path, rng):
    _, model, shape = _models()[0]
    torch.save(model, tmp_path / "full.pt")
    torch.jit.script(model).save(str(tmp_path / "scripted.pt"))
    for name in ("full.pt", "scripted.pt"):
        _agree(load_model(tmp_path / name), model, shape, rng)
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    with pytest.raises(UnsupportedModelError, match="state_dict"):
        load_model(tmp_path / "weights.pt")


class _Payload:
    """A pickle that creates a file when unpickled (what a hostile .pt file can do)."""

    def __init__(self, path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_torch_files_run_no_code(tmp_path, monkeypatch, capsys):
    from tropnet import InputFileError

    evil = tmp_path / "evil.pt"
    torch.save({"model": _Payload(tmp_path / "PWNED")}, evil)
    with pytest.raises(InputFileError, match="trust-pickle"):
        load_model(evil)
    assert not (tmp_path / "PWNED").exists()
    code = main(["import", str(evil), "-o", str(tmp_path / "net.json")])
    assert code == 2 and "trust-pickle" in capsys.readouterr().err
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "net.json").exists()
    # a custom module class needs the explicit opt-in, which then imports it
    model = _Maxout()
    torch.save(model, tmp_path / "custom.pt")
    with pytest.raises(InputFileError, match="trust-pickle"):
        load_model(tmp_path / "custom.pt")
    # unpickled (trusted), then traced with torch.fx: torch.maximum is a maxout layer
    _agree(load_model(tmp_path / "custom.pt", trust=True), model, (2,), np.random.default_rng(0))


@pytest.mark.parametrize("model, needle", [
    (nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()), r"layer 1 \(Sigmoid\)"),
    (nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Tanh())), r"layer 1\.1 \(Tanh\)"),
    (nn.Sequential(nn.Linear(2, 2), nn.LeakyReLU(1.5)), "slope 1.5"),
    (nn.Sequential(nn.Linear(2, 2), nn.ELU()), r"layer 1 \(ELU\).*ReLU or LeakyReLU"),
    (nn.Sequential(nn.Conv2d(1, 1, 2, padding=1, padding_mode="reflect")), "padding_mode"),
])
def test_torch_unsupported_layers_are_named(model, needle):
    with pytest.raises(UnsupportedModelError, match=needle):
        from_torch(model, (1, 3, 3) if isinstance(model[0], nn.Conv2d) else None)


def test_onnx_residual_is_carried_through_the_relu_layer():
    """relu(x W) + x: x crosses the ReLU layer as relu(x) - relu(-x) (two units each)."""
    w = np.array([[1.0, -2.0], [0.5, 1.0]], dtype=np.float32)
    residual = _graph_model([helper.make_node("Gemm", ["x", "W"], ["h"]),
                             helper.make_node("Relu", ["h"], ["r"]),
                             helper.make_node("Add", ["r", "x"], ["y"])],
                            {"W": w}, [2], [2])
    net = from_onnx(residual)
    assert net.architecture() == "2-[6]-2" and net.layers[0].meta["carried"] == 4
    for x in ([0.5, -1.25], [-2.0, 3.0], [1.0, 1.0]):
        fx = np.array([Fraction(v) for v in x], dtype=object)
        want = np.maximum(fx.dot(w.astype(object)), 0) + fx
        assert list(net.forward(fx, exact=True)) == [Fraction(v) for v in want]


def test_onnx_unsupported_operators_are_named():
    tanh = _graph_model([helper.make_node("Gemm", ["x", "W"], ["h"]),
                         helper.make_node("Tanh", ["h"], ["y"], name="squash")],
                        {"W": np.eye(2)}, [2], [2])
    with pytest.raises(UnsupportedModelError, match=r"node 1 \(Tanh 'squash'\).*Tanh"):
        from_onnx(tanh)
    batch_mean = _graph_model([helper.make_node("ReduceMean", ["x"], ["y"], keepdims=0)],
                              {}, [2], [])
    with pytest.raises(UnsupportedModelError, match=r"node 0 \(ReduceMean\).*batch"):
        from_onnx(batch_mean)
    product = _graph_model([helper.make_node("Mul", ["x", "x"], ["y"])], {}, [2], [2])
    with pytest.raises(UnsupportedModelError, match="product of two inputs"):
        from_onnx(product)
