"""Reading tropical expressions such as ``max(0, x, 2*x - 2) - max(0, 2*x - 2)``.

The grammar is ordinary arithmetic: numbers, variables, ``+ - * /``, powers
(``^`` or ``**``) of constants, parentheses, and calls of ``max(...)`` and
``min(...)``. Each ``max`` term is kept as written: positive multiples of
``max`` are numerator factors (tropical powers), negative multiples
denominator factors, and ``min(a, b) = -max(-a, -b)``. Nothing is simplified
algebraically, so ``max(0, x) - max(0, x)`` is the rational map ``F ⊘ F``
with the monomials of ``F`` on both sides, as the user wrote it.

The text is never evaluated: it is read by :func:`ast.parse` and walked by a
checker that accepts only the nodes above (any other node is an
:class:`~tropnet.errors.ExpressionError` naming it), with limits on the
length, the nesting depth, the size of exponents and of the numbers.
Decimal literals are read exactly (``0.1`` is ``1/10``), so parsed
expressions are exact by default. A number directly followed by a variable
or a parenthesis is a product (``2x`` is ``2*x``).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..arithmetic import Arithmetic, resolve
from ..errors import ExpressionError, NetworkError
from .polynomial import TropicalPolynomial
from .rational import TropicalRational

__all__ = ["MAX_DEPTH", "MAX_EXPONENT", "MAX_LENGTH", "parse", "parse_polynomial"]

MAX_LENGTH = 1_000_000  # characters of expression text
MAX_DEPTH = 100  # nesting of parentheses, calls and operators (chains of + and - are flat)
MAX_EXPONENT = 1024  # largest |k| in a power c^k, and |e| in a literal such as 1e-300
MAX_BITS = 65536  # largest bit length of a numerator or denominator

# max/Max: +1; min/Min: -1 (min(a, ...) = -max(-a, ...))
_FUNCTIONS = {"max": 1, "Max": 1, "min": -1, "Min": -1}
# names that look like constants but are not rationals: refused rather than read as variables
_NOT_VARIABLES = {"nan", "inf", "infinity", "oo", "pi"}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_DECIMAL = re.compile(r"(\d[\d_]*)?(\.[\d_]*)?([eE][+-]?\d+)?\Z")
_ALLOWED = ("numbers, variables, + - * / ^, parentheses and calls of max(...) and min(...)")


def parse(text: str, variables: Sequence[str] | None = None,
          exact: bool | Arithmetic | None = None) -> TropicalRational:
    """Parse a tropical rational expression ``f - g`` as written.

    ``variables`` fixes the variable order and may name variables the text
    does not use (default: the names found, sorted naturally, so ``x2``
    comes before ``x10``). An expression without negative ``max`` terms gets
    the constant 0 as denominator.

    Parameters
    ----------
    text : str
        The expression.
    variables : sequence of str or None, default None
        The variables, in order (above).
    exact : bool, Arithmetic or None, default None
        The arithmetic; ``None`` is exact iff every number is written as an integer or
        rational.

    Examples
    --------
    >>> r = parse("max(0, x, 2*x - 2) - max(0, 2*x - 2)")
    >>> str(r.numerator), str(r.denominator)
    ('max(0, x, 2*x - 2)', 'max(0, 2*x - 2)')
    >>> parse("max(x, y)").nvars
    2
    >>> str(parse("2*max(0, x) - max(0, x)"))      # kept as written: F^2 ⊘ F
    'max(0, 2*x) - max(0, x)'
    """
    arith = resolve(exact, _ExactText())
    source, tree = _tree(text)
    value = _Reader(text, source).read(tree.body)
    names = _variables(tree, variables, text)
    n = len(names)
    index = {name: k for k, name in enumerate(names)}
    build = _Builder(index, n, arith, text)
    num = build.monomial(value)
    den = build.one()
    for k, node in value.terms:
        poly = build.poly(node)
        if k > 0:
            num = num & poly.tpow(k)
        else:
            den = den & poly.tpow(-k)
    return TropicalRational(num.with_names(names), den.with_names(names))


def parse_polynomial(text: str, variables: Sequence[str] | None = None,
                     exact: bool | Arithmetic | None = None) -> TropicalPolynomial:
    """Parse a tropical polynomial (an expression with no negative ``max`` terms).

    Parameters
    ----------
    text : str
        The expression.
    variables : sequence of str or None, default None
        The variables, in order (see `parse`).
    exact : bool, Arithmetic or None, default None
        The arithmetic (see `parse`).
    """
    r = parse(text, variables, exact)
    g = r.denominator
    if len(g) != 1 or any(v != 0 for v in g.exponents[0]) or g.coefficients[0] != 0:
        raise ExpressionError(f"{_short(text)} has a denominator; use parse() for rational maps")
    return r.numerator


# -- values: an affine form plus rational multiples of max nodes -----------------------------
@dataclass(frozen=True, eq=False)
class _Max:
    """``max(args...)`` as written (identity matters: two equal texts are two factors)."""

    args: tuple[_Value, ...]


@dataclass(frozen=True, eq=False)
class _Value:
    """``sum_v linear[v] * v + const + sum_j k_j * max_j``, kept term by term."""

    linear: tuple[tuple[str, Fraction], ...] = ()
    const: Fraction = Fraction(0)
    terms: tuple[tuple[Fraction, _Max], ...] = ()

    @property
    def is_constant(self) -> bool:
        return not self.terms and all(c == 0 for _, c in self.linear)

    def plus(self, other: _Value) -> _Value:
        coef = dict(self.linear)
        for name, c in other.linear:
            coef[name] = coef.get(name, Fraction(0)) + c
        return _Value(tuple(coef.items()), self.const + other.const, self.terms + other.terms)

    def times(self, k: Fraction) -> _Value:
        return _Value(tuple((v, c * k) for v, c in self.linear), self.const * k,
                      tuple((t * k, m) for t, m in self.terms if t * k != 0))


class _Reader:
    """Turns an accepted syntax tree into a :class:`_Value`, refusing every other node."""

    def __init__(self, text: str, source: str) -> None:
        self.text, self.source = text, source

    def fail(self, why: str) -> ExpressionError:
        return ExpressionError(f"cannot parse {_short(self.text)}: {why}")

    def read(self, node: ast.AST) -> _Value:
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            return self._chain(node)
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            value = self.read(node.operand)
            return value if isinstance(node.op, ast.UAdd) else value.times(Fraction(-1))
        if isinstance(node, ast.Constant):
            return _Value(const=self._number(node))
        if isinstance(node, ast.Name):
            return _Value(linear=((node.id, Fraction(1)),))
        if isinstance(node, ast.Call):
            return self._call(node)
        raise self.fail(f"{_describe(node)} is not allowed (only {_ALLOWED})")

    def _chain(self, node: ast.BinOp) -> _Value:
        """A chain ``a + b - c + ...`` read without recursing down its left spine."""
        parts: list[tuple[int, ast.AST]] = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            parts.append((1 if isinstance(node.op, ast.Add) else -1, node.right))
            node = node.left  # type: ignore[assignment]
        total = self.read(node)
        for sign, right in reversed(parts):
            value = self.read(right)
            total = total.plus(value if sign > 0 else value.times(Fraction(-1)))
        return total

    def _binop(self, node: ast.BinOp) -> _Value:
        op = node.op
        if not isinstance(op, (ast.Mult, ast.Div, ast.Pow)):
            raise self.fail(f"the operator {type(op).__name__} is not allowed (only {_ALLOWED})")
        left, right = self.read(node.left), self.read(node.right)
        term = _segment(node)
        if isinstance(op, ast.Mult):
            if left.is_constant:
                return right.times(left.const)
            if right.is_constant:
                return left.times(right.const)
            raise self._nonlinear(term, left, right)
        if isinstance(op, ast.Div):
            if not right.is_constant:
                raise self._nonlinear(term, left, right)
            if right.const == 0:
                raise self.fail(f"division by zero in {term}")
            return left.times(1 / right.const)
        if not (left.is_constant and right.is_constant):
            raise self._nonlinear(term, left, right)
        k = right.const
        if k.denominator != 1:
            raise self.fail(f"the exponent in {term} is not an integer")
        if abs(k) > MAX_EXPONENT:
            raise self.fail(f"the exponent in {term} exceeds the limit of {MAX_EXPONENT}")
        if left.const == 0 and k < 0:
            raise self.fail(f"division by zero in {term}")
        return _Value(const=self._checked(left.const ** int(k), term))

    def _nonlinear(self, term: str, *values: _Value) -> ExpressionError:
        if any(v.terms for v in values):
            return self.fail(f"{term} mixes max/min with products or powers")
        return self.fail(f"term {term} is not affine")

    def _call(self, node: ast.Call) -> _Value:
        func = node.func
        if not isinstance(func, ast.Name):
            raise self.fail(f"only calls of max(...) and min(...) are allowed, not a call of "
                            f"{_describe(func)}")
        if func.id not in _FUNCTIONS:
            raise self.fail(f"unknown function {func.id}(...); only max(...) and min(...) of "
                            f"affine terms are allowed")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(f"{func.id}(...) takes plain arguments only")
        if not node.args:
            raise self.fail(f"{func.id}() needs at least one argument")
        sign = Fraction(_FUNCTIONS[func.id])
        args = []
        for arg in node.args:
            value = self.read(arg).times(sign)
            bad = next((k for k, _ in value.terms if k < 0), None)
            if bad is not None:
                raise self.fail(f"{_segment(arg)} inside {func.id}(...) is a "
                                f"negative multiple of max/min, not a tropical polynomial")
            args.append(value)
        return _Value(terms=((sign, _Max(tuple(args))),))

    def _number(self, node: ast.Constant) -> Fraction:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{_describe(node)} is not allowed (only {_ALLOWED})")
        literal = (ast.get_source_segment(self.source, node) or "").replace("_", "")
        match = _DECIMAL.match(literal)
        if not match or not (match.group(1) or match.group(2) not in (None, ".")):
            raise self.fail(f"{literal} is not a decimal number")
        if match.group(3) and abs(int(match.group(3)[1:])) > MAX_EXPONENT:
            raise self.fail(f"the exponent of {literal} exceeds the limit of {MAX_EXPONENT}")
        try:
            value = Fraction(literal)
        except ValueError:  # more digits than Python converts
            raise self.fail(f"{literal[:20]}... is a number beyond the limit of {MAX_BITS} "
                            f"bits") from None
        return self._checked(value, literal)

    def _checked(self, value: Fraction, where: str) -> Fraction:
        if max(value.numerator.bit_length(), value.denominator.bit_length()) > MAX_BITS:
            raise self.fail(f"{where} is a number beyond the limit of {MAX_BITS} bits")
        return value


# -- from values to tropical polynomials ----------------------------------------------------
class _Builder:
    """Builds the tropical polynomials of :class:`_Value` and :class:`_Max` nodes."""

    def __init__(self, index: dict[str, int], n: int, arith: Arithmetic, text: str) -> None:
        self.index, self.n, self.arith, self.text = index, n, arith, text
        self.done: dict[int, TropicalPolynomial] = {}

    def one(self) -> TropicalPolynomial:
        """The tropical unit: the constant 0."""
        return TropicalPolynomial.constant(0, self.n, self.arith)

    def monomial(self, value: _Value) -> TropicalPolynomial:
        """The single monomial of the affine part of ``value``."""
        row = [Fraction(0)] * self.n
        for name, c in value.linear:
            row[self.index[name]] += c
        try:
            return TropicalPolynomial.from_monomials([row], [value.const], self.arith)
        except NetworkError as exc:  # a float overflow in float mode
            raise ExpressionError(f"cannot parse {_short(self.text)}: {exc} in this "
                                  f"arithmetic") from None

    def poly(self, node: _Max) -> TropicalPolynomial:
        """``max(args)``: the union of each argument's monomial times its max factors."""
        key = id(node)
        if key not in self.done:
            out = None
            for arg in node.args:
                term = self.monomial(arg)
                for k, inner in arg.terms:
                    term = term & self.poly(inner).tpow(k)
                out = term if out is None else out | term
            self.done[key] = out  # type: ignore[assignment]
        return self.done[key]


# -- text, tree and variables -----------------------------------------------------------------
class _ExactText:
    exact_input = True


def _tree(text: str) -> tuple[str, ast.Expression]:
    """The rewritten source (``^`` as ``**``, ``2x`` as ``2*x``) and its syntax tree, within
    the limits."""
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, got {type(text).__name__}")
    if not text.strip():
        raise ExpressionError("empty expression")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression has {len(text):,} characters, above the limit "
                              f"of {MAX_LENGTH:,}")
    source = _rewrite(text)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse {_short(text)}: {exc.msg}") from None
    except ValueError as exc:  # e.g. an integer literal with too many digits
        raise ExpressionError(f"cannot parse {_short(text)}: {exc}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"cannot parse {_short(text)}: nested too deeply") from None
    depth = _depth(tree.body)
    if depth > MAX_DEPTH:
        raise ExpressionError(f"cannot parse {_short(text)}: nested {depth} deep, above the "
                              f"limit of {MAX_DEPTH}")
    return source, tree


def _rewrite(text: str) -> str:
    """Tokens joined by spaces, ``^`` as ``**``, a ``*`` between a number and a following
    name or parenthesis; only names, numbers and operators are accepted."""
    flat = " ".join(text.splitlines())
    out: list[str] = []
    previous = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(flat).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER):
                continue
            if tok.type not in (tokenize.NAME, tokenize.NUMBER, tokenize.OP):
                what = "text in quotes" if tok.type == tokenize.STRING else repr(tok.string)
                raise ExpressionError(f"cannot parse {_short(text)}: {what} is not allowed "
                                      f"(only {_ALLOWED})")
            if previous == tokenize.NUMBER and (tok.type == tokenize.NAME or tok.string == "("):
                out.append("*")
            out.append("**" if tok.string == "^" else tok.string)
            previous = tok.type
    except (tokenize.TokenError, SyntaxError) as exc:
        reason = exc.args[0] if exc.args else "incomplete"
        raise ExpressionError(f"cannot parse {_short(text)}: {reason}") from None
    return " ".join(out)


def _depth(root: ast.AST) -> int:
    """Nesting depth of the tree, counting a chain of ``+``/``-`` as one level."""
    best = 0
    stack = [(root, 1)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        for child in ast.iter_child_nodes(node):
            flat = (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub))
                    and child is node.left)
            stack.append((child, d if flat else d + 1))
    return best


def _variables(tree: ast.Expression, variables: Sequence[str] | None, text: str
               ) -> tuple[str, ...]:
    """The variable order: ``variables`` when given (every name of the text among them),
    else the names of the text in natural order."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and id(node) not in called:
            found.add(_check_name(node.id, text))
    if variables is None:
        if not found:
            raise ExpressionError("the expression has no variables; name them with "
                                  "variables=[...] (CLI: --variables)")
        return tuple(sorted(found, key=_natural))
    names = tuple(variables)
    for name in names:
        if not isinstance(name, str):
            raise ExpressionError(f"variable names must be text, got {name!r}")
        _check_name(name, text)
    if len(set(names)) != len(names):
        raise ExpressionError("variable names must be distinct")
    extra = found - set(names)
    if extra:
        raise ExpressionError(f"unknown variable(s) {', '.join(sorted(extra))} "
                              f"(declared: {', '.join(names)})")
    if not names:
        raise ExpressionError("an expression needs at least one variable")
    return names


def _check_name(name: str, text: str) -> str:
    if name.lower() in _NOT_VARIABLES:
        raise ExpressionError(f"cannot parse {_short(text)}: {name} is not a rational number "
                              f"and cannot be a variable name")
    if name in _FUNCTIONS:
        raise ExpressionError(f"cannot parse {_short(text)}: {name} is a function, not a "
                              f"variable")
    if not _NAME.match(name):
        raise ExpressionError(f"cannot parse {_short(text)}: {name!r} is not a variable name "
                              f"(a letter, then letters, digits or _)")
    return name


def _natural(name: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _describe(node: ast.AST) -> str:
    """A readable name for a syntax node, e.g. ``attribute access (.)``."""
    names = {
        ast.Attribute: "attribute access (.)", ast.Subscript: "indexing ([...])",
        ast.Lambda: "a lambda", ast.ListComp: "a list comprehension",
        ast.SetComp: "a set comprehension", ast.DictComp: "a dict comprehension",
        ast.GeneratorExp: "a generator expression", ast.List: "a list", ast.Tuple: "a tuple",
        ast.Set: "a set", ast.Dict: "a dict", ast.Compare: "a comparison",
        ast.BoolOp: "and/or", ast.IfExp: "if/else", ast.NamedExpr: "an assignment (:=)",
        ast.Call: "a call", ast.Starred: "unpacking (*)", ast.JoinedStr: "an f-string",
        ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
    }
    if isinstance(node, ast.Constant):
        return f"the constant {node.value!r}"[:60]
    if isinstance(node, ast.UnaryOp):
        return f"the operator {type(node.op).__name__}"
    return names.get(type(node), type(node).__name__)


def _segment(node: ast.AST) -> str:
    """Readable text of a node (for messages)."""
    return _short(ast.unparse(node), quote=False)


def _short(text: str, limit: int = 80, quote: bool = True) -> str:
    body = text if len(text) <= limit else text[: limit - 3] + "..."
    return repr(body) if quote else body
