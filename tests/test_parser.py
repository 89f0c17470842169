"""The expression parser: no code execution, limits, structure kept as written, values."""

from __future__ import annotations

import ast
import os
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import run_cli
from tropnet import ExpressionError, linear_regions, monomial_complexity, parse, parse_polynomial
from tropnet.tropical.parse import MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH

EXPLOIT = ("[c for c in[(().__class__.__base__.__subclasses__)][0]() if c.__name__ == "
           "'_wrap_close'][0].__init__.__globals__['system']('touch PWNED')")

ESCAPES = [
    EXPLOIT,
    "__import__('os').system('touch PWNED')",
    "().__class__.__base__.__subclasses__()",
    "x.__class__",
    "max(x, 0).__class__",
    "(lambda: 0)()",
    "lambda: 0",
    "[c for c in x]",
    "{c for c in x}",
    "(c for c in x)",
    "x[0]",
    "max(x, 0)[0]",
    "(x)(0)",
    "open('PWNED', 'w')",
    "eval('1')",
    "exec('1')",
    "getattr(x, 'y')",
    "globals()",
    "max(x, key=abs)",
    "max(*x)",
    "x if x else 0",
    "(x := 1)",
    "f'{x}'",
    "'text'",
    "x and 0",
    "x < 0",
    "{1: x}",
    "(x, 0)",
    "x @ x",
    "x % 2",
    "x // 2",
    "x << 1",
    "~x",
    "not x",
    "1 .real",
    "__builtins__",
    "_x + 1",
    "0x10 * x",
    "2j * x",
    "max(nan, x)",
    "max(inf, x)",
    "x + pi",
    "max(x, max)",
]


@pytest.mark.parametrize("text", ESCAPES)
def test_eval_escapes_are_rejected_and_nothing_runs(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert "\n" not in str(info.value) and len(str(info.value)) < 400
    assert not (tmp_path / "PWNED").exists()


def test_exploit_through_every_cli_command(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for command in (["monomials"], ["regions"], ["hoffman"], ["plot", "-o", "x.png"]):
        code, out, err = run_cli(capsys, *command, "--expr", EXPLOIT)
        assert code == 2, (command, err)
        assert err.count("\n") == 1 and err.startswith("tropnet: error:")
        assert out == ""
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("text, fragment", [
    ("x^1000000000", "not affine"),
    ("2^1000000000 * x", f"limit of {MAX_EXPONENT}"),
    ("max(1e999999999*x, 0)", f"limit of {MAX_EXPONENT}"),
    ("max(1e-999999999*x, 0)", f"limit of {MAX_EXPONENT}"),
    ("1" * 5001 + " * x", "limit"),
    ("x / 0", "division by zero"),
    ("x * 0^-1", "division by zero"),
    ("2^(1/2) * x", "not an integer"),
    ("max()", "at least one argument"),
    ("max(0, x", "cannot parse"),
    ("3", "no variables"),
    ("", "empty"),
])
def test_limits_and_errors(text, fragment):
    with pytest.raises(ExpressionError, match=fragment.replace("(", r"\(")):
        parse(text)


def test_length_and_depth_limits():
    with pytest.raises(ExpressionError, match="limit"):
        parse("x + " * (MAX_LENGTH // 4) + "x")
    with pytest.raises(ExpressionError, match="deep"):
        parse("max(0, " * (MAX_DEPTH + 5) + "x" + ")" * (MAX_DEPTH + 5))
    with pytest.raises(ExpressionError):
        parse("-" * 100_000 + "x")
    # a long flat sum is not deep: 2,000 ReLUs of x
    long_sum = " + ".join(["max(0, x - 1)"] * 300)
    assert parse(long_sum)([Fraction(3)]) == 600


def test_structure_is_kept_as_written():
    r = parse("2*max(0,x) - max(0,x)")
    assert monomial_complexity(r) == (2, 2)
    assert r([Fraction(3)]) == 3 and r([Fraction(-1)]) == 0
    r = parse("max(0,x)+max(0,y)-max(0,y)")
    assert r.nvars == 2 and r.numerator.names == ("x", "y")
    F = "max(0, x - 1, 2x - 4)"
    r = parse(f"{F} - {F}")
    assert monomial_complexity(r) == (3, 3)
    assert str(r.numerator) == str(r.denominator) == "max(0, x - 1, 2*x - 4)"
    assert linear_regions(r).count == 1
    assert linear_regions(parse("max(0, x, y) - max(0, x, y)"), "box:-1,1").count == 1
    p = parse_polynomial("max(x, x+1)")
    assert len(p) == 1 and str(p) == "x + 1"
    assert linear_regions(p).count == 1


def test_variables_come_from_the_text():
    assert parse("max(0, 1)", variables=["x"]).nvars == 1
    assert parse("max(y, x)").numerator.names == ("x", "y")
    assert parse("x10 + max(x2, 0)").numerator.names == ("x2", "x10")
    r = parse("max(0, x)", variables=["y", "x"])
    assert r.numerator.names == ("y", "x") and r([Fraction(5), Fraction(2)]) == 2
    with pytest.raises(ExpressionError, match="unknown variable"):
        parse("max(0, x, z)", variables=["x"])
    with pytest.raises(ExpressionError, match="distinct"):
        parse("max(0, x)", variables=["x", "x"])


def test_numbers_are_read_exactly():
    r = parse("max(0.1*x, 1e-3) + 2x + 2(x - 1) - 1_000 + 2^-3")
    x = Fraction(7)
    assert r([x]) == max(Fraction(1, 10) * x, Fraction(1, 1000)) + 4 * x - 2 - 1000 + \
        Fraction(1, 8)
    assert parse("0.10000000000000001 * x").numerator.exponents[0, 0] == \
        Fraction("0.10000000000000001")
    assert parse("max(0, x)", exact=False).arith.exact is False
    with pytest.raises(ExpressionError, match="arithmetic"):
        parse("1e400 * x", exact=False)


# -- random syntax trees: accepted or refused, never anything else ----------------------------
def _leaf():
    return st.one_of(
        st.sampled_from(["x", "y", "x1", "__import__", "_x", "nan", "max", "os", "self"]).map(
            lambda n: ast.Name(id=n, ctx=ast.Load())),
        st.one_of(st.integers(-5, 5), st.fractions(-3, 3, max_denominator=4).map(float),
                  st.sampled_from(["s", b"b", None, True, 2j, ...])).map(
            lambda v: ast.Constant(value=v)))


def _grow(children):
    ops = st.sampled_from([ast.Add(), ast.Sub(), ast.Mult(), ast.Div(), ast.Pow(), ast.Mod(),
                           ast.BitXor(), ast.MatMult(), ast.FloorDiv(), ast.LShift()])
    names = st.sampled_from(["max", "min", "Max", "abs", "eval", "getattr", "__import__"])
    return st.one_of(
        st.builds(ast.BinOp, left=children, op=ops, right=children),
        st.builds(ast.UnaryOp, op=st.sampled_from([ast.USub(), ast.UAdd(), ast.Not(),
                                                   ast.Invert()]), operand=children),
        st.builds(lambda f, a: ast.Call(func=ast.Name(id=f, ctx=ast.Load()), args=a,
                                        keywords=[]), names, st.lists(children, max_size=3)),
        st.builds(lambda v, a: ast.Attribute(value=v, attr=a, ctx=ast.Load()), children,
                  st.sampled_from(["__class__", "real", "system"])),
        st.builds(lambda v, i: ast.Subscript(value=v, slice=i, ctx=ast.Load()), children,
                  children),
        st.builds(lambda b: ast.Lambda(args=ast.arguments(posonlyargs=[], args=[],
                                                          kwonlyargs=[], kw_defaults=[],
                                                          defaults=[]), body=b), children),
        st.builds(lambda e: ast.ListComp(elt=e, generators=[ast.comprehension(
            target=ast.Name(id="c", ctx=ast.Store()), iter=ast.Name(id="x", ctx=ast.Load()),
            ifs=[], is_async=0)]), children),
        st.builds(lambda f, a: ast.Call(func=f, args=a, keywords=[]), children,
                  st.lists(children, max_size=2)),
    )


trees = st.recursive(_leaf(), _grow, max_leaves=12)


@given(trees)
def test_random_syntax_trees_parse_or_fail_cleanly(tree):
    text = ast.unparse(ast.fix_missing_locations(ast.Expression(body=tree)))
    try:
        r = parse(text)
    except ExpressionError:
        return
    assert r.nvars >= 1


# -- random valid expressions: the parsed map has the value of the text ------------------------
@st.composite
def expressions(draw, depth=3):
    """``(text, value)`` pairs with ``value(x, y)`` the exact value of the text."""
    kind = draw(st.sampled_from(["var", "num", "sum", "scale", "max", "min"] if depth else
                                ["var", "num"]))
    if kind == "var":
        name = draw(st.sampled_from(["x", "y"]))
        return name, (lambda p, name=name: p[name])
    if kind == "num":
        v = draw(st.fractions(-3, 3, max_denominator=4))
        return f"({v})", (lambda p, v=v: v)
    if kind == "sum":
        (a, fa), (b, fb) = draw(expressions(depth - 1)), draw(expressions(depth - 1))
        sign = draw(st.sampled_from(["+", "-"]))
        return f"({a} {sign} {b})", (lambda p: fa(p) + fb(p) if sign == "+" else fa(p) - fb(p))
    if kind == "scale":
        k = draw(st.fractions(-3, 3, max_denominator=3))
        a, fa = draw(expressions(depth - 1))
        return f"({k})*{a}", (lambda p: k * fa(p))
    args = draw(st.lists(_monotone(depth - 1), min_size=1, max_size=3))
    func = max if kind == "max" else min
    text = f"{kind}(" + ", ".join(t for t, _ in args) + ")"
    return text, (lambda p: func(f(p) for _, f in args))


@st.composite
def _monotone(draw, depth):
    """Arguments allowed inside max/min: affine forms plus non-negative multiples of max
    (inside max) -- here affine forms and nested max/min of the right sign."""
    if depth <= 0 or draw(st.booleans()):
        a, b = draw(st.fractions(-2, 2, max_denominator=2)), draw(st.fractions(-2, 2,
                                                                              max_denominator=2))
        c = draw(st.fractions(-2, 2, max_denominator=4))
        return f"({a})*x + ({b})*y + ({c})", (lambda p: a * p["x"] + b * p["y"] + c)
    return draw(expressions(depth - 1))


@given(expressions(), st.fractions(-5, 5, max_denominator=3), st.fractions(-5, 5,
                                                                          max_denominator=3))
def test_parsed_value_equals_the_text(pair, x, y):
    text, value = pair
    try:
        r = parse(text, variables=["x", "y"])
    except ExpressionError as exc:  # a negative multiple of max inside max/min
        assert "negative multiple" in str(exc)
        return
    assert r([x, y]) == value({"x": x, "y": y})
