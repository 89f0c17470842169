"""Convolutional layers (lowering, file format) and Xiong et al.'s one-layer CNN count."""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pytest

from tropnet import (
    InputFileError,
    Network,
    NetworkError,
    activation_regions,
    load_network,
    save_network,
)
from tropnet.bounds import (
    conv_rank_bound,
    hall_feasible,
    is_line_layout,
    matrix_rank,
    receptive_fields,
    xiong2024_one_layer,
    zaslavsky,
    zaslavsky_rank,
)
from tropnet.conv import conv_layer, conv_spec


def _random_kernel(rng, shape) -> list:
    """Nonzero integers of both signs, large enough to avoid coincidences."""
    return (rng.integers(1, 1000, size=shape) * rng.choice([-1, 1], size=shape)).tolist()


def _conv_net(rng, inp, filt, stride, d) -> Network:
    layer = conv_layer(inp, filt, stride, d, _random_kernel(rng, (d, *filt, inp[2])),
                       _random_kernel(rng, (d,)))
    return Network.from_lists(layer.in_dim, [layer, ([[1] * layer.out_dim], [0], "identity")])


def _direct_conv(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: tuple) -> np.ndarray:
    """A valid convolution written out with loops (x: H x W x C, kernel: D x fh x fw x C)."""
    h, w, _ = x.shape
    d, fh, fw, _ = kernel.shape
    oh, ow = (h - fh) // stride[0] + 1, (w - fw) // stride[1] + 1
    out = np.zeros((oh, ow, d), dtype=object)
    for i, j, o in itertools.product(range(oh), range(ow), range(d)):
        patch = x[i * stride[0]:i * stride[0] + fh, j * stride[1]:j * stride[1] + fw, :]
        out[i, j, o] = (patch * kernel[o]).sum() + bias[o]
    return out


# ---------------------------------------------------------------------------
# lowering and the file format
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("inp, filt, stride, d", [((4, 5, 2), (2, 3), (1, 2), 3),
                                                  ((1, 6, 1), (1, 2), 2, 2),
                                                  ((3, 3, 3), (3, 3), 1, 1)])
def test_lowering_matches_a_direct_convolution(rng, inp, filt, stride, d) -> None:
    kernel = rng.integers(-5, 6, size=(d, *filt, inp[2]))
    bias = rng.integers(-5, 6, size=d)
    layer = conv_layer(inp, filt, stride, d, kernel.tolist(), bias.tolist(), "identity")
    st = (stride, stride) if isinstance(stride, int) else stride
    x = rng.integers(-9, 10, size=inp).astype(object)
    expected = _direct_conv(x, kernel.astype(object), bias.astype(object), st)
    got = layer.weight.dot(x.reshape(-1)) + layer.bias
    assert list(got) == list(expected.reshape(-1))
    assert layer.meta["output"] == list(expected.shape)


def test_lowering_matches_torch(rng) -> None:
    torch = pytest.importorskip("torch")
    inp, filt, stride, d = (5, 4, 2), (2, 3), (2, 1), 3
    kernel = rng.normal(size=(d, *filt, inp[2]))
    bias = rng.normal(size=d)
    layer = conv_layer(inp, filt, stride, d, kernel.tolist(), bias.tolist(), "relu")
    net = Network.from_lists(layer.in_dim, [layer])
    x = rng.normal(size=inp)
    conv = torch.nn.functional.conv2d(
        torch.tensor(x.transpose(2, 0, 1)[None]),          # N x C x H x W
        torch.tensor(kernel.transpose(0, 3, 1, 2)),        # D x C x fh x fw
        torch.tensor(bias), stride=stride)
    expected = torch.relu(conv)[0].numpy().transpose(1, 2, 0).reshape(-1)  # H x W x D
    assert np.allclose(net.forward_batch(x.reshape(1, -1))[0], expected)


def test_json_conv_layer_loads_as_dense(tmp_path) -> None:
    kernel = [[[[3], [-1]]], [[[2], ["1/2"]]]]      # 2 channels, 1 x 2 filter, 1 input channel
    spec = {"input_dim": 4, "layers": [
        {"type": "conv", "input": [1, 4, 1], "filter": [1, 2], "stride": 1, "channels": 2,
         "kernel": kernel, "bias": [1, "-1/3"], "activation": "relu"},
        {"weight": [[1] * 6], "bias": [0], "activation": "identity"}]}
    path = tmp_path / "cnn.json"
    path.write_text(json.dumps(spec))
    net = load_network(path)
    layer = net.layers[0]
    assert layer.weight.shape == (6, 4) and layer.meta["type"] == "conv"
    assert layer.weight[3].tolist() == [0, 2, Fraction(1, 2), 0]  # position 1, channel 1
    assert layer.bias.tolist() == [1, Fraction(-1, 3)] * 3
    assert net.exact_input
    # every engine applies: the count is Xiong's formula (generic enough here)
    assert activation_regions(net, exact=True).count == xiong2024_one_layer([1, 4, 1], [1, 2],
                                                                            1, 2)
    # saving writes the dense form with the conv spec in meta; it loads back identically
    save_network(net, tmp_path / "dense.json")
    again = load_network(tmp_path / "dense.json")
    assert again.layers[0].weight.tolist() == layer.weight.tolist()
    assert again.layers[0].meta == layer.meta


@pytest.mark.parametrize("change, error", [
    ({"kernel": [[[[1], [2]]]]}, NetworkError),                 # wrong number of channels
    ({"bias": [0]}, NetworkError),
    ({"filter": [2, 2]}, NetworkError),                          # taller than the input
    ({"stride": 0}, NetworkError),
    ({"input": [1, 4]}, NetworkError),
    ({"activation": "maxout"}, NetworkError),
    ({"padding": 1}, InputFileError),
    ({"kernel": None}, NetworkError),
])
def test_bad_conv_json(tmp_path, change, error) -> None:
    layer = {"type": "conv", "input": [1, 4, 1], "filter": [1, 2], "stride": 1, "channels": 2,
             "kernel": [[[[1], [-1]]], [[[2], [3]]]], "bias": [0, 1]}
    layer.update(change)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"input_dim": 4, "layers": [layer]}))
    with pytest.raises(error):
        load_network(path)
    missing = {k: v for k, v in layer.items() if k != "channels"}
    path.write_text(json.dumps({"input_dim": 4, "layers": [missing]}))
    with pytest.raises(InputFileError):
        load_network(path)


def test_conv_spec_and_fields() -> None:
    spec = conv_spec([4, 5, 2], [2, 3], [2, 1], 3)
    assert spec.output == (2, 3, 3) and spec.in_dim == 40 and spec.out_dim == 18
    assert spec.receptive_field(1, 2) == tuple(
        (r * 5 + c) * 2 + ch for r in (2, 3) for c in (2, 3, 4) for ch in (0, 1))
    assert receptive_fields([1, 5, 1], [1, 2], 2) == [(0, 1), (2, 3)]


# ---------------------------------------------------------------------------
# Xiong et al. 2024: the formula
# ---------------------------------------------------------------------------
def _xiong_bruteforce(inp, filt, stride, d) -> int:
    """The formula with Hall's condition checked over every set Q of positions."""
    spec = conv_spec(inp, filt, stride, d)
    fields = [set(spec.receptive_field(i, j)) for i, j in spec.positions()]
    total = 0
    for t in itertools.product(range(d + 1), repeat=len(fields)):
        if all(sum(t[q] for q in Q) <= len(set().union(*(fields[q] for q in Q)))
               for r in range(1, len(fields) + 1)
               for Q in itertools.combinations(range(len(fields)), r)):
            total += math.prod(math.comb(d, x) for x in t)
    return total


@pytest.mark.parametrize("case", [((1, 4, 1), (1, 2), 1, 3), ((1, 5, 1), (1, 3), 1, 2),
                                  ((1, 6, 1), (1, 3), 2, 3), ((1, 5, 2), (1, 2), 1, 3),
                                  ((3, 3, 1), (2, 2), 1, 3), ((4, 3, 1), (2, 2), 1, 2),
                                  ((2, 5, 1), (2, 2), 1, 3), ((5, 1, 1), (2, 1), 1, 3),
                                  ((4, 4, 1), (2, 2), 2, 4), ((3, 3, 2), (2, 2), 1, 4)])
def test_xiong_formula_equals_bruteforce_hall(case) -> None:
    assert xiong2024_one_layer(*case) == _xiong_bruteforce(*case)


def test_xiong_special_cases() -> None:
    # the filter covers the input: one position, d hyperplanes in general position
    for n, d in [(3, 5), (4, 2), (2, 7)]:
        assert xiong2024_one_layer([1, n, 1], [1, n], 1, d) == zaslavsky(d, n)
    # stride >= filter: positions independent, a product
    assert xiong2024_one_layer([1, 8, 1], [1, 2], 3, 3) == (1 + 3 + 3) ** 3
    assert xiong2024_one_layer([6, 6, 1], [2, 2], 2, 5) == zaslavsky(5, 4) ** 9
    # Hall's condition decided by flow, not by subsets
    assert hall_feasible([2, 1, 2], [(0, 1), (1, 2), (2, 3)]) is False
    assert hall_feasible([1, 2, 1], [(0, 1), (1, 2), (2, 3)]) is True
    # large 1-D layers take the dynamic programme
    big = xiong2024_one_layer([1, 200, 3], [1, 5], 2, 16)
    assert big <= zaslavsky_rank(98 * 16, conv_rank_bound([1, 200, 3], [1, 5], 2, 16))


@pytest.mark.parametrize("case", [((1, 4, 1), (1, 2), 1, 3), ((1, 5, 1), (1, 2), 1, 2),
                                  ((1, 5, 1), (1, 3), 1, 2), ((1, 6, 1), (1, 3), 2, 3),
                                  ((1, 4, 2), (1, 2), 1, 2), ((2, 3, 1), (2, 2), 1, 3)])
def test_xiong_equals_exact_counts_of_random_1d_conv_nets(rng, case) -> None:
    assert is_line_layout(*case[:3])
    net = _conv_net(rng, *case)
    assert activation_regions(net, exact=True).count == xiong2024_one_layer(*case)


@pytest.mark.parametrize("case", [((1, 5, 1), (1, 2), 1, 3), ((1, 6, 2), (1, 3), 1, 4),
                                  ((1, 7, 1), (1, 3), 2, 3)])
def test_hall_choices_are_exactly_the_independent_ones_in_1d(rng, case) -> None:
    # For 1-D layouts the weight-shared matrix has the matroid of a generic sparse one:
    # taking the first t_p channels at each position gives independent rows iff Hall holds.
    inp, filt, stride, d = case
    layer = conv_layer(inp, filt, stride, d, _random_kernel(rng, (d, *filt, inp[2])), [0] * d)
    fields = receptive_fields(inp, filt, stride)
    for t in itertools.product(range(d + 1), repeat=len(fields)):
        rows = [p * d + c for p, tp in enumerate(t) for c in range(tp)]
        independent = not rows or matrix_rank(layer.weight[rows]) == len(rows)
        assert independent == hall_feasible(t, fields), t


def test_xiong_2d_single_channel_discrepancy(rng) -> None:
    # 3x3x1 input, 2x2 filter, 2 channels: the 8 rows satisfy K2*K1 - K1*K2 = 0 (the kernels
    # as polynomials in the two shifts), so they have rank 7 for *every* kernel, while the
    # zero pattern allows rank 8: the formula gives 2^8 = 256, every network has 255.
    case = ((3, 3, 1), (2, 2), 1, 2)
    assert not is_line_layout(*case[:3])
    assert xiong2024_one_layer(*case) == 256 == conv_rank_bound(*case) * 32
    for _ in range(3):
        net = _conv_net(rng, *case)
        assert matrix_rank(net.layers[0].weight) == 7
    assert activation_regions(net, exact=True).count == 255
    # with two input channels the same layout agrees with the formula
    case2 = ((3, 3, 2), (2, 2), 1, 2)
    net = _conv_net(rng, *case2)
    assert activation_regions(net, exact=True).count == xiong2024_one_layer(*case2) == 256


def test_rank_bound_is_an_upper_bound(rng) -> None:
    for case in [((1, 8, 2), (1, 2), 1, 3), ((4, 4, 2), (2, 2), 1, 3), ((4, 4, 1), (2, 2), 1, 2)]:
        inp, filt, stride, d = case
        layer = conv_layer(inp, filt, stride, d, _random_kernel(rng, (d, *filt, inp[2])),
                           [0] * d)
        assert matrix_rank(layer.weight) <= conv_rank_bound(*case)


def test_too_large_2d_enumeration_raises() -> None:
    from tropnet import TooLargeError

    with pytest.raises(TooLargeError):
        xiong2024_one_layer([6, 6, 1], [3, 3], 1, 12, max_nodes=1000)


def test_cli_bounds_of_a_conv_network(tmp_path, capsys) -> None:
    from tropnet.cli import main

    spec = {"input_dim": 5, "layers": [
        {"type": "conv", "input": [1, 5, 1], "filter": [1, 2], "stride": 1, "channels": 2,
         "kernel": [[[[3], [-1]]], [[[2], [5]]]], "bias": [1, -2]},
        {"weight": [[1] * 8], "bias": [0], "activation": "identity"}]}
    path = tmp_path / "cnn.json"
    path.write_text(json.dumps(spec))
    capsys.readouterr()
    assert main(["bounds", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    v = {k: int(x["value"]) for k, x in data["bounds"].items()}
    assert v["xiong2024_exact"] == xiong2024_one_layer([1, 5, 1], [1, 2], 1, 2) == 200
    assert "serra2018_lower" not in v and "note" in data
    assert v["xiong2024_exact"] <= v["serra2018_upper_rank"] <= v["serra2018_upper"]
    assert "xiong2024_note" not in data  # a 1-D layout: the formula is exact
