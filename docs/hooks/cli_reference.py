"""mkdocs hook: fill the CLI reference with the ``--help`` text of every ``tropnet`` command.

In a page, ``<!-- tropnet-help NAME -->`` becomes the help of command NAME (or a
note that the command is not in this build), and ``<!-- tropnet-help-others -->``
the help of every command no marker named, so new commands appear on their own.
"""

from __future__ import annotations

import os
import re

_MARK = re.compile(r"<!-- tropnet-help ([a-z-]+) -->")
_OTHERS = "<!-- tropnet-help-others -->"


def _commands() -> dict[str, str]:
    os.environ["COLUMNS"] = "96"  # argparse wraps help text to the terminal width
    from tropnet.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return {name: p.format_help() for name, p in sub.choices.items()}


def _block(text: str) -> str:
    return "```text\n" + text.rstrip() + "\n```\n"


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ARG001
    if "tropnet-help" not in markdown:
        return markdown
    helps = _commands()
    named = set(_MARK.findall(markdown))

    def one(match: re.Match) -> str:
        name = match.group(1)
        if name in helps:
            return _block(helps[name])
        return ("!!! note \"Not in this build\"\n    `tropnet " + name + "` is planned and not "
                "available in this version of tropnet.\n")

    markdown = _MARK.sub(one, markdown)
    others = [n for n in helps if n not in named]
    rest = "".join(f"### `tropnet {n}`\n\n{_block(helps[n])}\n" for n in others) or \
        "(none: every command has its own section above)\n"
    return markdown.replace(_OTHERS, rest)
