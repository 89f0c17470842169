"""docs/workflows.md runs as written in an empty folder: its first Python block as
``train.py``, each shell line in order, then its last Python block."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[1] / "docs" / "workflows.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)


def test_the_page_has_its_steps():
    lines = [ln for b in _blocks("sh") for ln in b.splitlines()]
    for step in ("python train.py", "tropnet import", "tropnet regions", "tropnet plot",
                 "tropnet crosscheck", "tropnet track"):
        assert any(ln.startswith(step) for ln in lines), step
    assert len(_blocks("python")) == 2


@pytest.mark.slow
def test_the_workflow_runs_in_an_empty_folder(tmp_path):
    pytest.importorskip("torch")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "MPLBACKEND": "Agg"}
    train, check = _blocks("python")
    (tmp_path / "train.py").write_text(train, encoding="utf-8")
    (tmp_path / "check.py").write_text(check, encoding="utf-8")
    outputs = {}
    for line in [ln for b in _blocks("sh") for ln in b.splitlines() if ln.strip()]:
        proc = subprocess.run(line, shell=True, cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, f"{line}\n{proc.stderr[-2000:]}"
        outputs[line] = proc.stdout
    for name in ("net.json", "regions.png", "counts.csv", "counts.png", "ckpt_300.pt"):
        assert (tmp_path / name).stat().st_size > 0, name
    # the float (certified) count equals the exact count of the same stored weights
    count = json.loads(outputs["tropnet regions net.json --domain box:-2,3 --json"])["count"]
    exact = subprocess.run("tropnet regions net.json --domain box:-2,3 --exact --json",
                           shell=True, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert json.loads(exact.stdout)["count"] == count
    assert len((tmp_path / "counts.csv").read_text().splitlines()) == 5  # header + 4 checkpoints
    proc = subprocess.run([sys.executable, "check.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
