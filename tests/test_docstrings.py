"""The API reference has no gaps: every rendered public function documents every parameter.

The objects checked are the ones docs/api/*.md renders (every module named by a
``::: tropnet....`` line), and those of every other public module with an ``__all__``:
the names in ``__all__`` and the public methods of the public classes among them. Their
docstrings are parsed by griffe in numpy style, as mkdocstrings renders them
(``docstring_style: numpy`` in mkdocs.yml), and each must

- document every parameter of the signature in a Parameters section (``self``/``cls``
  excepted; ``*args``/``**kwargs`` may be documented under any ``*name``/``**name``);
- keep every type entry a type expression (``name : type``, the prose on the indented
  lines below), not a sentence;
- document the signature's defaults (griffe reads ``default X``, and the first of
  ``{"a", "b"}`` choices, as the default);
- open with a summary line saying what is computed;
- parse without loss (no doctest swallowed by a section, no unknown parameter).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest

griffe = pytest.importorskip("griffe")

ROOT = Path(__file__).resolve().parents[1]

#: modules whose docstrings another change is editing right now: checked once it lands
OWNED_ELSEWHERE: dict[str, str] = {}

#: objects exempt from the Parameters check, with the reason
EXEMPT: dict[str, str] = {}

#: a type entry: at most this long, and no sentence in it
MAX_TYPE = 40
SENTENCE = re.compile(r"[.;!?](\s|$)|:\s|\b(the|is|are|if|when|of the|a|an)\b", re.I)

#: the sections whose entries are ``name : type``
TYPED = {"parameters", "other parameters", "returns", "yields", "receives", "attributes"}


def _rendered_modules() -> list[tuple[str, bool]]:
    """``(module, members shown)`` for every ``::: module`` directive of the API pages."""
    out = []
    for page in sorted((ROOT / "docs" / "api").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for match in re.finditer(r"^::: (tropnet\S*)((?:\n {4}.*)*)", text, re.M):
            out.append((match.group(1), "members: false" not in match.group(2)))
    return out


def _package():
    extensions = griffe.load_extensions(f"{ROOT / 'docs/hooks/griffe_roles.py'}:SphinxRoles")
    return griffe.load("tropnet", search_paths=[str(ROOT)], docstring_parser="numpy",
                       extensions=extensions, resolve_aliases=True,
                       resolve_external=False)


def _objects() -> Iterator[tuple[str, object]]:
    """``(path, griffe object)`` of every rendered public object, each once."""
    package = _package()
    seen: set[str] = set()

    def emit(obj) -> Iterator[tuple[str, object]]:
        if obj.path in seen or obj.module.path in OWNED_ELSEWHERE:
            return
        if obj.is_attribute and "property" not in obj.labels:
            return  # constants and fields: documented by their module or class
        seen.add(obj.path)
        if not _inherits_docstring(obj):
            yield obj.path, obj
        if obj.is_class:
            for name, member in obj.members.items():
                if not name.startswith("_") and not member.is_alias:
                    yield from emit(member)

    def submodules(module) -> Iterator:
        for sub in module.modules.values():
            if not sub.is_alias and not sub.name.startswith("_") and sub.name != "cli":
                yield sub
                yield from submodules(sub)

    rendered = _rendered_modules()
    names = dict(rendered)
    # then every other public module with an ``__all__``: not on a page, still public API
    names.update({m.path: True for m in submodules(package) if m.exports is not None
                  and m.path not in names})
    for name, members in names.items():
        if name in OWNED_ELSEWHERE:
            continue
        module = package if name == "tropnet" else package[name.removeprefix("tropnet.")]
        yield from emit(module)
        if members:
            for export in module.exports or ():
                member = module[str(export)]
                yield from emit(member.final_target if member.is_alias else member)


@functools.cache
def _all() -> dict[str, object]:
    return dict(_objects())


def _sections(obj) -> list:
    return obj.docstring.parse("numpy") if obj.docstring else []


def _documented(obj) -> set[str]:
    """The documented parameters; a class's fields may be documented as attributes."""
    kinds = ("parameters", "other parameters") + (("attributes",) if obj.is_class else ())
    names = {name for section in _sections(obj) if section.kind.value in kinds
             for p in section.value for name in p.name.split(", ")}
    if obj.is_class:
        names |= {name for name, member in obj.members.items()
                  if member.is_attribute and member.docstring}
    return names


def _inherits_docstring(obj) -> bool:
    """A method without docstring overriding a documented one of a base class."""
    if obj.docstring or not obj.parent.is_class:
        return False
    return any(obj.name in base.members and base.members[obj.name].docstring
               for base in obj.parent.mro())


def _signature(obj) -> list:
    """The parameters to document: a function's, or a class's ``__init__``'s."""
    if obj.is_class:
        init = obj.members.get("__init__")
        if init is None or init.is_alias:
            return []
        function = init
    elif obj.is_function:
        function = obj
    else:
        return []
    return [p for p in function.parameters if p.name not in ("self", "cls")]


def _missing(obj) -> list[str]:
    documented = _documented(obj)
    stars = {name for name in documented if name.startswith("*")}
    out = []
    for p in _signature(obj):
        kind = p.kind.value
        if kind == "variadic positional":
            ok = p.name in documented or f"*{p.name}" in documented or any(
                s.startswith("*") and not s.startswith("**") for s in stars)
        elif kind == "variadic keyword":
            ok = p.name in documented or any(s.startswith("**") for s in stars)
        else:
            ok = p.name in documented
        if not ok:
            out.append(p.name)
    return out


def test_the_api_pages_render_the_public_objects():
    assert len(_rendered_modules()) >= 40
    assert "tropnet.domain.box" in _all()
    assert "tropnet.network.Network.forward" in _all()
    assert "tropnet.dispatch.count_regions" in _all()


def test_every_parameter_is_documented():
    missing = {path: names for path, obj in _all().items()
               if path not in EXEMPT and (names := _missing(obj))}
    assert not missing, f"{len(missing)} objects leave parameters undocumented:\n" + "\n".join(
        f"  {path}: {', '.join(names)}" for path, names in sorted(missing.items()))


def test_type_entries_are_types_not_prose():
    bad = []
    for path, obj in _all().items():
        for section in _sections(obj):
            if section.kind.value not in TYPED:
                continue
            for entry in section.value:
                kind = entry.annotation
                text = str(kind) if kind is not None else ""
                if len(text) > MAX_TYPE or SENTENCE.search(text):
                    bad.append(f"  {path}: {entry.name} : {text[:70]}")
    assert not bad, f"{len(bad)} type entries hold prose:\n" + "\n".join(bad)


def _same_default(documented: str, actual: str | None) -> bool:
    """Whether a documented default (``default X``, or the first of ``{...}`` choices, as
    griffe reads numpydoc) names the signature's default."""
    if actual is None:
        return False
    if documented.replace("'", '"') == actual.replace("'", '"'):
        return True
    try:
        return eval(documented, {"Fraction": Fraction}) == eval(actual, {"Fraction": Fraction})
    except Exception:
        return False


def test_documented_defaults_are_the_signature_defaults():
    bad = []
    for path, obj in _all().items():
        signature = {p.name: p for p in _signature(obj)}
        for section in _sections(obj):
            if section.kind.value != "parameters":
                continue
            for entry in section.value:
                p = signature.get(entry.name)
                if p is None or entry.value is None:
                    continue
                actual = None if p.default is None else str(p.default)
                if not _same_default(str(entry.value), actual):
                    bad.append(f"  {path}: {entry.name} documented {entry.value}, is {actual}")
    assert not bad, f"{len(bad)} documented defaults are wrong:\n" + "\n".join(bad)


def test_every_docstring_opens_with_a_summary():
    """A first paragraph of at least three words ending a sentence, not a section."""
    bad = []
    for path, obj in _all().items():
        text = obj.docstring.value.strip() if obj.docstring else ""
        summary = " ".join(text.split("\n\n")[0].split())
        if (len(summary.split()) < 3 or not re.search(r"[.:)`]$", summary)
                or summary.startswith((">>>", "Parameters", "Examples"))):
            bad.append(f"  {path}: {summary[:70]!r}")
    assert not bad, f"{len(bad)} docstrings lack a summary:\n" + "\n".join(bad)


def test_the_docstrings_parse_without_loss():
    """griffe reads every line: no doctest or text swallowed by a section, and every
    documented parameter exists."""
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Collect(level=logging.WARNING)
    logger = logging.getLogger("griffe")
    logger.addHandler(handler)
    try:
        for obj in _all().values():
            if obj.docstring:
                obj.docstring.parse("numpy")
    finally:
        logger.removeHandler(handler)
    bad = sorted({m for m in records if "Could not parse" in m or "does not appear" in m
                  or "Empty" in m})
    assert not bad, f"{len(bad)} docstring lines are lost or wrong:\n" + "\n".join(bad)


def test_the_checks_can_fail():
    """The checks find a missing parameter and a prose type in a made-up docstring."""
    code = '''
def f(a, b, *args, **kw):
    """Compute f.

    Parameters
    ----------
    a : the first value, used when b is None
    *args : int
        More values.
    """
'''
    module = griffe.visit("m", Path("m.py"), code, docstring_parser="numpy")
    obj = module["f"]
    assert _missing(obj) == ["b", "kw"]
    (section,) = _sections(obj)[1:]
    assert SENTENCE.search(str(section.value[0].annotation))
    # numpydoc choices: the first one is the default, so ``{"x", "y"}`` on a parameter
    # whose default is None documents a wrong default
    assert not _same_default('"x"', "None")
    assert _same_default("1/4", "Fraction(1, 4)") and _same_default("'a'", '"a"')
