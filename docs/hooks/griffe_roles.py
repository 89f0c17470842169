"""Griffe extension for the API reference: Sphinx cross-reference roles as Markdown code.

The docstrings use Sphinx roles (``:class:`~tropnet.network.Network```,
``:func:`tropnet.parse```); mkdocstrings renders Markdown, where they would show
up verbatim. ``~a.b.C`` becomes ``C``, a plain target stays whole, both as code.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj|const):`(~?)([^`]+)`")


def _code(match: re.Match) -> str:
    tilde, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


class SphinxRoles(griffe.Extension):
    def on_object(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(_code, obj.docstring.value)
