"""Importing real torch models (torch.fx): custom forwards, BatchNorm folding, pooling, clamps,
residual connections, and the same patterns through ONNX.

Every pattern is checked against the torch forward pass: the imported network is evaluated
exactly (Fractions) at float32 inputs and compared with the model run in float64 on the same
inputs. Both compute the same real function of the float32 weights, so they differ by the
float64 round-off of the torch forward only (a few ulps of values of size ~10 here: 1e-12 is
an honest bound). A folded BatchNorm scale is the float64 nearest to gamma / sqrt(var + eps),
also within that bound.
"""

from __future__ import annotations

import contextlib
import copy
import io
import warnings
from fractions import Fraction

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from tropnet import Network, UnsupportedModelError, linear_regions, parse, regions  # noqa: E402
from tropnet.importers import flatten_sample, from_onnx, from_torch  # noqa: E402
from tropnet.importers.builder import bn_scale  # noqa: E402

nn = torch.nn
F = torch.nn.functional

TOL = 1e-12


def _bn(m, seed=0):
    """A BatchNorm with non-trivial running statistics and affine parameters."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        m.running_mean.copy_(torch.rand(m.num_features, generator=g) * 2 - 1)
        m.running_var.copy_(torch.rand(m.num_features, generator=g) * 1.5 + 0.5)
        m.weight.copy_(torch.rand(m.num_features, generator=g) * 4 - 2)
        m.bias.copy_(torch.rand(m.num_features, generator=g) * 2 - 1)
    return m


def _exact_outputs(net, xs):
    return np.array([[float(v) for v in net.forward([Fraction(float(t)) for t in
                                                      flatten_sample(x)], exact=True)]
                     for x in xs])


def _torch64(model, xs):
    m64 = copy.deepcopy(model).double().eval()
    with torch.no_grad():
        out = m64(torch.as_tensor(xs, dtype=torch.float64)).numpy()
    return np.stack([flatten_sample(y) for y in out])  # the output layout is the input's


def _agree_exactly(net, model, shape, n=6, seed=0):
    xs = np.random.default_rng(seed).normal(size=(n, *shape)).astype(np.float32)
    got, ref = _exact_outputs(net, xs), _torch64(model, xs)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=0, atol=TOL)


class _Custom(nn.Module):
    """A forward that is no Sequential: functional ReLU, leaky ReLU, a buffer and a scalar
    added, a tensor method."""

    def __init__(self) -> None:
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(3, 4), nn.Linear(4, 4), nn.Linear(4, 2)
        self.register_buffer("offset", torch.linspace(-1, 1, 4))

    def forward(self, x):
        h = torch.relu(self.l1(x))
        h = F.leaky_relu(self.l2(h), 0.25) + self.offset + 0.5
        return self.l3(h.relu())


class _ConvBN(nn.Module):
    """Conv -> BatchNorm2d -> F.relu -> view(x.size(0), -1) -> Linear."""

    def __init__(self) -> None:
        super().__init__()
        self.conv, self.bn, self.out = nn.Conv2d(2, 3, 3), _bn(nn.BatchNorm2d(3)), \
            nn.Linear(27, 2)

    def forward(self, x):
        h = F.relu(self.bn(self.conv(x)))
        return self.out(h.view(h.size(0), -1))


class _SkipSum(nn.Module):
    """out(x + l2(relu(l1 x)))."""

    def __init__(self) -> None:
        super().__init__()
        self.l1, self.l2 = nn.Linear(2, 2), nn.Linear(2, 2, bias=False)
        self.out = nn.Linear(2, 1, bias=False)

    def forward(self, x):
        return self.out(x + self.l2(torch.relu(self.l1(x))))


class _Residual(nn.Module):
    """x + f(x) twice, with the carried tensor crossing a ReLU / leaky / clamp layer."""

    def __init__(self, act) -> None:
        super().__init__()
        self.l1, self.l2, self.out = nn.Linear(3, 4), nn.Linear(4, 3), nn.Linear(3, 1)
        self.act = act

    def forward(self, x):
        y = x + self.l2(self.act(self.l1(x)))
        return self.out(torch.relu(y) + y)


class _PoolResidual(nn.Module):
    """The pooled features h are both the input of a Linear and the skip of a residual."""

    def __init__(self) -> None:
        super().__init__()
        self.conv, self.pool = nn.Conv2d(1, 2, 2), nn.AvgPool2d(2)
        self.lin, self.bn, self.out = nn.Linear(8, 8), _bn(nn.BatchNorm1d(8)), nn.Linear(8, 1)

    def forward(self, x):
        h = torch.flatten(self.pool(torch.relu(self.conv(x))), 1)
        return self.out(h + torch.relu(self.bn(self.lin(h))))


class _MaxClamp(nn.Module):
    """torch.maximum of two affine branches (maxout), a one-sided clamp, scaling, F.linear
    with a parameter."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(2, 3), nn.Linear(2, 3)
        self.w = nn.Parameter(torch.randn(1, 3))

    def forward(self, x):
        h = torch.clamp(torch.maximum(self.a(x), self.b(x)), min=-0.5) * 2 - 0.25
        return F.linear(h.clamp(max=1.5), self.w)


class _Reduce(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x):
        return torch.max(self.lin(x), 1)[0]


def _patterns():
    torch.manual_seed(3)
    return {
        "custom": (_Custom(), (3,), None),
        "conv-bn-view": (_ConvBN(), (2, 5, 5), None),
        "conv1d-bn-maxpool": (nn.Sequential(nn.Conv1d(2, 3, 2), _bn(nn.BatchNorm1d(3)),
                                            nn.ReLU(), nn.MaxPool1d(2), nn.Flatten(),
                                            nn.Linear(9, 1)), (2, 7), None),
        "avgpool": (nn.Sequential(nn.Conv2d(1, 2, 2), nn.ReLU(), nn.AvgPool2d(2),
                                  nn.Flatten(), nn.Linear(8, 1)), (1, 5, 5), None),
        "adaptive-avgpool": (nn.Sequential(nn.Conv2d(1, 2, 2), nn.ReLU(),
                                           nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                           nn.Linear(2, 1)), (1, 5, 5), None),
        "bn-without-affine-before": (nn.Sequential(_bn(nn.BatchNorm1d(3)), nn.Linear(3, 3),
                                                   nn.ReLU(), _bn(nn.BatchNorm1d(3), 1),
                                                   nn.Linear(3, 1)), (3,), None),
        "residual-relu": (_Residual(nn.ReLU()), (3,), None),
        "residual-leaky": (_Residual(nn.LeakyReLU(0.25)), (3,), None),
        "residual-hardtanh": (_Residual(nn.Hardtanh()), (3,), None),
        "clamps": (nn.Sequential(nn.Linear(2, 3), nn.Hardtanh(-0.5, 2), nn.Linear(3, 3),
                                 nn.ReLU6(), nn.Linear(3, 3), nn.Hardsigmoid(),
                                 nn.Linear(3, 1)), (2,), None),
        "maximum-clamp": (_MaxClamp(), (2,), None),
        "pool-residual": (_PoolResidual(), (1, 5, 5), "25-[32,8,24]-1"),
    "single-layer": (nn.Conv1d(1, 2, 2), (1, 3), None),
    "dropout-identity": (nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5), nn.ReLU(),
                                           nn.Identity(), nn.Linear(3, 1)), (2,), "2-[3]-1"),
    }


@pytest.mark.parametrize("name", list(_patterns()))
def test_pattern_equals_the_torch_forward(name):
    model, shape, arch = _patterns()[name]
    model.eval()
    inferred = name in ("custom", "residual-relu", "clamps", "maximum-clamp")
    net = from_torch(model, None if inferred else shape)  # inferred from the first Linear
    assert net.input_dim == int(np.prod(shape)) and not net.exact_input
    if arch is not None:  # Dropout and Identity leave no trace
        assert net.architecture() == arch
    _agree_exactly(net, model, shape)


def test_batchnorm_folds_into_the_linear_layer_exactly():
    """Linear -> BN -> ReLU -> Linear with var + eps a rational square: the folded layer is
    exactly the one folded by hand, and both networks have the same regions (7 lines' worth:
    the three hyperplanes x = 1, y = 0, x + y = 1/2 cut the box [-2, 2]^2 into 7 pieces)."""
    lin, bn, out = nn.Linear(2, 3), nn.BatchNorm1d(3, eps=0.0), nn.Linear(3, 1, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
        lin.bias.copy_(torch.tensor([0.0, 0.0, -1.0]))
        bn.running_mean.copy_(torch.tensor([1.0, -1.0, 0.0]))
        bn.running_var.copy_(torch.tensor([4.0, 1.0, 0.25]))
        bn.weight.copy_(torch.tensor([1.0, -1.0, 0.5]))
        bn.bias.copy_(torch.tensor([0.0, 1.0, 0.5]))
        out.weight.copy_(torch.tensor([[1.0, 1.0, -1.0]]))
    model = nn.Sequential(lin, bn, nn.ReLU(), out).eval()
    net = from_torch(model)
    # scale = gamma / sqrt(var) = (1/2, -1, 1); shift = beta - scale * mean = (-1/2, 0, 1/2)
    by_hand = Network.from_lists(2, [
        ([[Fraction(1, 2), 0], [0, -1], [1, 1]], [Fraction(-1, 2), 0, Fraction(-1, 2)], "relu"),
        ([[1, 1, -1]], [0], "identity")])
    for a, b in zip(net.layers, by_hand.layers, strict=True):
        assert (a.weight == b.weight).all() and (a.bias == b.bias).all()
    for kind in ("linear", "activation"):
        counts = [regions(n, "box:-2,2", kind, exact=True).count for n in (net, by_hand)]
        assert counts == [7, 7]
    _agree_exactly(net, model, (2,))


def test_bn_scale_is_the_nearest_float_when_irrational():
    assert bn_scale(Fraction(1), Fraction(2), Fraction(0)) == Fraction(2 ** -0.5)
    assert bn_scale(Fraction(-3), Fraction(1, 4), Fraction(0)) == -6

    def above(g, q, mid):  # is g / sqrt(q) > mid? (decided exactly on squares)
        if g > 0:
            return mid <= 0 or g * g / q > mid * mid
        return mid < 0 and g * g / q < mid * mid

    rng = np.random.default_rng(1)
    for _ in range(200):
        g, v = Fraction(float(rng.normal())), Fraction(float(np.float32(rng.uniform(0, 3))))
        s = bn_scale(g, v, Fraction(1e-5))
        assert Fraction(float(s)) == s  # a float64
        q = v + Fraction(1e-5)
        for direction in (-np.inf, np.inf):  # the true value lies on s's side of both
            mid = (s + Fraction(np.nextafter(float(s), direction))) / 2  # midpoints
            assert above(g, q, mid) == (s > mid)


def test_residual_linear_regions_are_those_of_the_function():
    """x + l2(relu(l1 x)), read out by a sum: f = x1 + x2 + relu(x1 - x2) - relu(x1 + x2 - 1).
    Its 2 lines meet once: 4 linear regions, as for the expression. The carried x adds the
    hyperplanes x1 = 0 and x2 = 0 to the activation regions: 10 (3 lines through the origin
    make 6, x1 + x2 = 1 crosses them at 3 points and adds 4)."""
    model = _SkipSum()
    with torch.no_grad():
        model.l1.weight.copy_(torch.tensor([[1.0, -1.0], [1.0, 1.0]]))
        model.l1.bias.copy_(torch.tensor([0.0, -1.0]))
        model.l2.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, -1.0]]))
        model.out.weight.copy_(torch.tensor([[1.0, 1.0]]))
    net = from_torch(model.eval())
    expr = "x + y + max(0, x - y) - max(0, x + y - 1)"
    assert linear_regions(net, "box:-2,2", exact=True).count == 4
    assert linear_regions(parse(expr), "box:-2,2").count == 4
    assert regions(net, "box:-2,2", "activation", exact=True).count == 10
    for x in ([0.25, -1.5], [1.5, 0.75], [-2, 2]):
        fx = [Fraction(v) for v in x]
        want = fx[0] + fx[1] + max(0, fx[0] - fx[1]) - max(0, fx[0] + fx[1] - 1)
        assert net.forward(fx, exact=True)[0] == want


def test_maxpool_is_maxout_over_windows_like_the_hand_built_network():
    """MaxPool1d(2, stride 1) on 3 inputs, then [1, -1]: max(x1, x2) - max(x2, x3), a maxout
    layer of rank 2, the network one writes by hand; 4 regions (two planes through R^3)."""
    out = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        out.weight.copy_(torch.tensor([[1.0, -1.0]]))
    model = nn.Sequential(nn.MaxPool1d(2, stride=1), nn.Flatten(), out).eval()
    net = from_torch(model, (1, 3))
    by_hand = Network.from_lists(3, [
        {"weight": [[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1]], "bias": [0] * 4,
         "activation": "maxout", "rank": 2},
        {"weight": [[1, -1]], "bias": [0], "activation": "identity"}])
    for a, b in zip(net.layers, by_hand.layers, strict=True):
        assert (a.weight == b.weight).all() and a.activation == b.activation
    for kind in ("linear", "activation"):
        assert [regions(n, "box:-1,1", kind, exact=True).count for n in (net, by_hand)] == [4, 4]
    _agree_exactly(net, model, (1, 3))


def test_avgpool_weights_are_exact_averages():
    net = from_torch(nn.Sequential(nn.AvgPool1d(2), nn.Flatten()), (1, 4))
    assert [[str(v) for v in row] for row in net.layers[0].weight] == [
        ["1/2", "1/2", "0", "0"], ["0", "0", "1/2", "1/2"]]


# -- errors -------------------------------------------------------------------------------

class _Tanh(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x):
        return torch.tanh(self.lin(x))


class _Branchy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x):
        return self.lin(x) if x.sum() > 0 else x


class _TwoOut(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x):
        return self.lin(x), x


class _BatchSize(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x):
        return self.lin(x) + x.size(0)


@pytest.mark.parametrize("model, shape, needle", [
    (nn.Sequential(nn.Linear(2, 2), nn.Tanh()), None,
     r"layer 1 \(Tanh\).*Hardtanh \(hardtanh\(x\) = relu\(x \+ 1\) - relu\(x - 1\) - 1"),
    (_Tanh(), None, r"operation tanh \(tanh\).*use Hardtanh"),
    (nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()), None, r"layer 1 \(Sigmoid\).*Hardsigmoid"),
    (nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.GELU())), None,
     r"layer 1\.1 \(GELU\).*use ReLU"),
    (nn.Sequential(nn.Linear(2, 2), nn.Softmax(dim=1)), None, r"Softmax.*argmax"),
    (nn.Sequential(nn.Conv2d(1, 1, 2), nn.AvgPool2d(2, padding=1)), (1, 4, 4), "padding=1"),
    (nn.Sequential(nn.AdaptiveAvgPool2d(2)), (1, 5, 5), "does not divide"),
    (nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2, track_running_stats=False)), None,
     "batch statistics"),
    (_Branchy(), None, "torch.fx cannot trace _Branchy"),
    (_TwoOut(), None, "several outputs"),
    (_BatchSize(), None, "batch size"),
    (_Reduce(), None, r"operation max_1 \(max\).*not a reduction"),
])
def test_unsupported_is_named_with_its_alternative(model, shape, needle):
    with pytest.raises(UnsupportedModelError, match=needle):
        from_torch(model.eval(), shape)


def test_onnx_unsupported_names_the_alternative():
    graph = helper.make_graph(
        [helper.make_node("Sigmoid", ["x"], ["y"], name="gate")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])])
    with pytest.raises(UnsupportedModelError, match=r"node 0 \(Sigmoid 'gate'\).*Hardsigmoid"):
        from_onnx(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))


# -- ONNX -----------------------------------------------------------------------------------

def _graph(nodes, inits, in_shape, out_shape, opset=17):
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", *out_shape])],
        [numpy_helper.from_array(np.asarray(v, dtype=np.float32), k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def test_onnx_batchnorm_pools_reshape_and_constants_exactly():
    """BatchNormalization, AveragePool, MaxPool, Reshape, Flatten, Add of a constant, Clip,
    ReduceMean, evaluated exactly against the same formulas in float64 (all constants are
    float32 values, epsilon included)."""
    rng = np.random.default_rng(4)
    c = 2
    p = {k: rng.uniform(lo, hi, size=c).astype(np.float32)
         for k, lo, hi in (("s", -2, 2), ("b", -1, 1), ("m", -1, 1), ("v", 0.5, 2))}
    eps = 1e-3
    shift = rng.normal(size=(c, 1, 1)).astype(np.float32)
    nodes = [
        helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["n"], epsilon=eps),
        helper.make_node("Relu", ["n"], ["r"]),
        helper.make_node("AveragePool", ["r"], ["a"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Add", ["a", "shift"], ["a2"]),
        helper.make_node("MaxPool", ["a2"], ["mp"], kernel_shape=[1, 2]),
        helper.make_node("Clip", ["mp", "lo", "hi"], ["cl"]),
        helper.make_node("ReduceMean", ["cl", "axes"], ["rm"], keepdims=1),
        helper.make_node("Reshape", ["rm", "shape"], ["rs"]),
        helper.make_node("Flatten", ["rs"], ["y"]),
    ]
    model = _graph(nodes, {**p, "shift": shift, "lo": -0.25, "hi": 1.0}, [c, 4, 6], [c * 2])
    model.graph.initializer.extend([numpy_helper.from_array(np.array([3], np.int64), "axes"),
                                    numpy_helper.from_array(np.array([1, -1], np.int64),
                                                            "shape")])
    net = from_onnx(model)
    xs = rng.normal(size=(5, c, 4, 6)).astype(np.float32)
    e = float(np.float32(eps))
    d = {k: v.astype(np.float64)[:, None, None] for k, v in p.items()}
    h = np.maximum((xs - d["m"]) / np.sqrt(d["v"] + e) * d["s"] + d["b"], 0)
    h = h.reshape(5, c, 2, 2, 3, 2).mean(axis=(3, 5)) + shift  # (5, c, 2, 3)
    h = np.maximum(h[..., :-1], h[..., 1:])  # (5, c, 2, 2)
    ref = np.clip(h, -0.25, 1.0).mean(axis=3).reshape(5, -1)
    np.testing.assert_allclose(_exact_outputs(net, xs), ref, rtol=0, atol=TOL)


def _export(model, shape, path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.zeros(1, *shape),), str(path), **kw)
    return path


@pytest.mark.parametrize("name", ["custom", "conv1d-bn-maxpool", "avgpool", "residual-relu",
                                  "residual-hardtanh", "clamps", "pool-residual"])
def test_onnx_export_of_each_pattern(name, tmp_path):
    """The exporter folds BatchNorm and rounds constants (1/6 of Hardsigmoid, epsilon) to
    float32, so the ONNX graph is a float32-rounded copy of the model: agreement within
    float32 round-off."""
    model, shape, _ = _patterns()[name]
    net = from_onnx(_export(model, shape, tmp_path / "m.onnx", dynamo=False))
    xs = np.random.default_rng(0).normal(size=(6, *shape)).astype(np.float32)
    np.testing.assert_allclose(_exact_outputs(net, xs), _torch64(model, xs), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.slow
def test_default_onnx_exporter(tmp_path):
    """torch.onnx.export's default (dynamo) exporter, which needs onnxscript: BatchNorm,
    adaptive average pooling (ReduceMean) and a residual connection."""
    pytest.importorskip("onnxscript")

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv, self.bn = nn.Conv2d(1, 2, 2), _bn(nn.BatchNorm2d(2))
            self.pool, self.lin, self.out = nn.AdaptiveAvgPool2d(1), nn.Linear(2, 2), \
                nn.Linear(2, 1)

        def forward(self, x):
            h = torch.flatten(self.pool(F.relu(self.bn(self.conv(x)))), 1)
            return self.out(h + torch.relu(self.lin(h)))

    torch.manual_seed(0)
    model = Net().eval()
    with contextlib.redirect_stdout(io.StringIO()):  # the exporter prints its steps
        path = _export(model, (1, 4, 4), tmp_path / "d.onnx")
    net = from_onnx(path)
    xs = np.random.default_rng(0).normal(size=(4, 1, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(_exact_outputs(net, xs), _torch64(model, xs), rtol=1e-5,
                               atol=1e-5)
    assert net.architecture() == from_torch(model, (1, 4, 4)).architecture()
