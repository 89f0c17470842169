"""The README's shell examples run as written, from an empty folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _shell_blocks() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    return [[ln for ln in block.strip().splitlines() if ln.strip()]
            for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S)]


def test_the_readme_has_its_examples():
    blocks = _shell_blocks()
    assert any(ln.startswith("tropnet demo --save") for b in blocks for ln in b)
    assert any(ln.startswith("tropnet import model.onnx") for b in blocks for ln in b)


@pytest.mark.slow
@pytest.mark.parametrize("block", [b for b in _shell_blocks() if b[0].startswith(("tropnet",
                                                                                   "python"))],
                         ids=lambda b: b[0].split()[1])
def test_readme_shell_block_runs_in_an_empty_folder(block, tmp_path):
    """Each block is self-contained: it makes every file it reads."""
    if any("torch" in ln for ln in block):
        pytest.importorskip("torch")
        pytest.importorskip("onnx")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for line in block:
        proc = subprocess.run(line, shell=True, cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, f"{line}\n{proc.stderr[-2000:]}"
