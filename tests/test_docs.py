"""The documentation has no gaps: no placeholder section in any page."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"to be completed|\bTODO\b|\bTBD\b|\bFIXME\b|lorem ipsum", re.I)


def test_no_placeholder_in_the_docs():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    found = [f"{p.relative_to(ROOT)}:{k}: {line.strip()}" for p in pages
             for k, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
             if PLACEHOLDER.search(line)]
    assert not found, "placeholders:\n" + "\n".join(found)
