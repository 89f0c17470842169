"""Network model: validation, evaluation and affine maps."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from tropnet import Network, NetworkError, load_network, network_from_dict, save_network
from tropnet.errors import InputFileError

from .helpers import random_net

ABS = {"input_dim": 1, "layers": [
    {"weight": [[1], [-1]], "bias": [0, 0], "activation": "relu"},
    {"weight": [[1, 1]], "bias": [0], "activation": "identity"}]}


def test_forward_abs_exact_and_float():
    net = network_from_dict(ABS)
    assert net.exact_input
    assert net.forward([Fraction(-7, 3)])[0] == Fraction(7, 3)
    assert net.forward([2.5], exact=False)[0] == 2.5
    assert net.architecture() == "1-[2]-1"


def test_leaky_and_maxout_by_hand():
    leaky = Network.from_lists(1, [([[1]], [0], "leaky_relu", {"slope": "1/2"}),
                                   ([[1]], [0], "identity")])
    assert leaky.forward([-4])[0] == -2 and leaky.forward([4])[0] == 4
    maxout = Network.from_lists(1, [([[1], [-1]], [0, 0], "maxout", {"rank": 2}),
                                    ([[1]], [0], "identity")])
    assert maxout.forward([-3])[0] == 3
    assert maxout.patterns([-3]) == ((1,), ())


def test_affine_map_matches_finite_differences(rng):
    for act in ("relu", "leaky_relu", "maxout", "identity"):
        net = random_net(rng, [3, 4, 3, 2], act)
        x = [Fraction(int(v), 7) for v in rng.integers(-20, 20, size=3)]
        jac, off, _ = net.affine_map(x)
        y = net.forward(x)
        assert all(y == jac.dot(np.array(x, dtype=object)) + off)
        # the map holds in a small neighbourhood (generic point)
        step = Fraction(1, 10**6)
        for k in range(3):
            xp = list(x)
            xp[k] += step
            assert all(net.forward(xp) - y == jac[:, k] * step)


@pytest.mark.parametrize("spec, message", [
    ({"input_dim": 2, "layers": [{"weight": [[1, 2]], "bias": [0, 1]}]}, "bias has 2"),
    ({"input_dim": 3, "layers": [{"weight": [[1, 2]], "bias": [0]}]}, "input_dim is 3"),
    ({"input_dim": 2, "layers": [{"weight": [[1, float("nan")]], "bias": [0]}]}, "finite"),
    ({"input_dim": 2, "layers": [{"weight": [[1, 2]], "bias": [0], "activation": "tanh"}]},
     "unknown activation"),
    ({"input_dim": 2, "layers": [{"weight": [[1, 2]], "bias": [0],
                                  "activation": "leaky_relu", "slope": 1}]}, "slope"),
    ({"input_dim": 2, "layers": [{"weight": [[1, 2]] * 3, "bias": [0] * 3,
                                  "activation": "maxout", "rank": 2}]}, "does not divide"),
    ({"input_dim": 2, "layers": [{"weight": [], "bias": []}]}, "non-empty"),
    ({"input_dim": 0, "layers": [{"weight": [[1]], "bias": [0]}]}, "positive integer"),
])
def test_validation_errors(spec, message):
    with pytest.raises(NetworkError, match=message):
        network_from_dict(spec)


def test_missing_keys_and_bad_files(tmp_path):
    with pytest.raises(InputFileError, match="missing key 'layers'"):
        network_from_dict({"input_dim": 2})
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputFileError, match="not valid JSON"):
        load_network(bad)
    with pytest.raises(InputFileError, match="no such file"):
        load_network(tmp_path / "missing.json")


def test_json_and_npz_round_trip(tmp_path, rng):
    net = random_net(rng, [2, 3, 1], "leaky_relu")
    save_network(net, tmp_path / "n.json")
    back = load_network(tmp_path / "n.json")
    assert back.exact_input
    assert all((a.weight == b.weight).all() for a, b in zip(net.layers, back.layers, strict=True))
    fnet = random_net(rng, [2, 3, 1], rational=False)
    save_network(fnet, tmp_path / "f.json")
    fback = load_network(tmp_path / "f.json")
    assert not fback.exact_input
    assert all((a.weight == b.weight).all() for a, b in zip(fnet.layers, fback.layers,
                                                            strict=True))
    save_network(fnet, tmp_path / "f.npz")
    assert np.allclose(load_network(tmp_path / "f.npz").forward_batch([[0.3, -0.2]]),
                       fnet.forward_batch([[0.3, -0.2]]))
    data = json.loads((tmp_path / "n.json").read_text())
    assert data["layers"][0]["activation"] == "leaky_relu"


def test_pickled_layers_keep_their_exact_numbers():
    """A layer of floats travels as floats (compact), one with other rationals as
    Fractions; both come back with the same exact numbers, activation and provenance."""
    import pickle

    floats = Network.from_lists(2, [([[0.1, -2.5], [3.0, 1e-300]], [0.25, -0.3], "leaky_relu",
                                     {"slope": "1/2"})])
    thirds = Network.from_lists(1, [([["1/3"]], ["-2/7"], "relu")])
    for net, fraction in ((floats, Fraction(0.1)), (thirds, Fraction(1, 3))):
        layer = net.layers[0]
        back = pickle.loads(pickle.dumps(net)).layers[0]
        assert back.weight[0, 0] == fraction and isinstance(back.weight[0, 0], Fraction)
        assert (back.weight == layer.weight).all() and (back.bias == layer.bias).all()
        assert back.act == layer.act and back.exact_input == layer.exact_input
        assert not back.weight.flags.writeable
    assert len(pickle.dumps(floats.layers[0])) < len(pickle.dumps(
        (floats.layers[0].weight, floats.layers[0].bias)))  # floats, not Fractions
