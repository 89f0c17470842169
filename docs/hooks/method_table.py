"""mkdocs hook: ``<!-- tropnet-methods -->`` becomes the table of region methods.

The table is read from :data:`tropnet.dispatch.METHODS`, the same table the
dispatcher, the CLI's ``--method`` choices and the cross-check report use, so
the docs cannot drift from the code.
"""

from __future__ import annotations

_MARK = "<!-- tropnet-methods -->"


def method_table() -> str:
    """The markdown table of :data:`tropnet.dispatch.METHODS`."""
    from tropnet.dispatch import METHODS

    rows = ["| method | regions | inputs | domain | cost | what it does |",
            "|---|---|---|---|---|---|"]
    for m in METHODS.values():
        domain = "bounded (R^n: the effective-radius box)" if m.bounded else "any"
        engines = f" Engines: {', '.join(m.engines)}." if m.engines else ""
        rows.append(f"| `{m.name}` | {', '.join(m.kinds)} | {', '.join(m.targets)}s | "
                    f"{domain} | {m.cost} | {m.summary}.{engines} |")
    return "\n".join(rows) + "\n"


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ARG001
    return markdown.replace(_MARK, method_table()) if _MARK in markdown else markdown
