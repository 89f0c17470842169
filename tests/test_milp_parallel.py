"""The MILP counter on a Dask cluster (issue 13 §2): node solves as tasks, with the regions
of the serial count, exactly and in float."""

from __future__ import annotations

import numpy as np
import pytest

from tropnet import load_network
from tropnet.errors import TropnetError
from tropnet.milp import activation_regions, count

from .helpers import random_net

pytest.importorskip("distributed")


def patterns(rs):
    return sorted(r.pattern for r in rs.regions)


@pytest.mark.parametrize("exact", [True, False])
def test_parallel_milp_count_equals_the_serial_count(client, exact, monkeypatch):
    monkeypatch.setattr(count, "TASKS_PER_WORKER", 2)  # small nets still make tasks
    rng = np.random.default_rng(7)
    net = random_net(rng, [2, 6, 6, 1], rational=exact)  # float weights: certified float
    serial = activation_regions(net, "box:-1,1", exact=exact)
    spread = activation_regions(net, "box:-1,1", exact=exact, scheduler=client)
    assert spread.count == serial.count > 8
    assert patterns(spread) == patterns(serial)
    assert spread.info["tasks"] > 1 and spread.info["workers"] == 2
    # every region's interior point is in its own region, as in the serial count
    for r in spread.regions:
        assert net.patterns(r.interior_point, exact=exact) == r.pattern


def test_the_global_strategy_is_not_split(client):
    net = load_network("benchmarks/nets/A.json")
    with pytest.raises(TropnetError, match="layerwise"):
        activation_regions(net, "box:-1,1", strategy="global", scheduler=client)


def test_cli_milp_on_a_local_cluster(capsys):
    import json

    from .helpers import run_cli

    code, out, err = run_cli(capsys, "regions", "benchmarks/nets/A.json", "--kind", "activation",
                             "--method", "milp", "--domain", "box:-1,1", "--workers", "2",
                             "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["count"] == 38 and data["method"] == "milp" and data["workers"] == 2
    code, _, err = run_cli(capsys, "regions", "benchmarks/nets/A.json", "--method", "layerwise",
                           "--workers", "2")
    assert code == 2 and "enumerate or milp" in err
