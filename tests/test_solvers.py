"""The solver fallback chains: certified exact LPs, the float LP chain, the MILP chain.

Stub solvers (monkeypatched) return each bad answer in turn; the tests check that the next
step is tried, that the answer is still right, and that ``FALLBACKS`` counts the step.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from types import SimpleNamespace

import cdd
import cdd.gmp
import cvxpy as cp
import numpy as np
import pytest

import tropnet
from tropnet import EXACT, FLOAT, SolverError
from tropnet.milp import solvers
from tropnet.polyhedra import FALLBACKS, Polyhedron, linprog
from tropnet.polyhedra import lp as lpmod

# issue 18 §2b: cdd's implicit-linearity detection misses an equality of the intersection of
# two activation regions, which made `regions --method enumerate --exact` give 21, not 20
ISSUE_NET = {"input_dim": 3, "layers": [
    {"weight": [[-0.2, -0.2, 0.1], [-0.1, 0.0, 0.2], [0.2, -0.1, 0.2]], "bias": [-0.2, 0.0, -0.1],
     "activation": "leaky_relu", "slope": 0.5},
    {"weight": [[-0.2, -0.1, -0.1], [-0.1, -0.1, -0.2]], "bias": [0.1, -0.2],
     "activation": "leaky_relu", "slope": 0.25},
    {"weight": [[0.2, -0.2]], "bias": [-0.1], "activation": "identity"}]}

# that intersection, as cdd rows [b, -a] of b - a.x >= 0 (each row divided by its gcd); rows
# 1 and 6 are opposite, so its dimension is 2
MISSED_EQUALITY = [
    [2, 2, 2, -1], [0, 1, 0, -2], [-1, 2, -1, 2],
    [93674872249306318, 3602879701896397, 21617278211378382, -28823037615171176],
    [-122497909864477490, -18014398509481985, 21617278211378382, -39631676720860367],
    [2, 2, 2, -1], [0, -1, 0, 2], [-1, 2, -1, 2],
    [46837436124653159, 3602879701896397, 10808639105689191, -18014398509481985],
    [-122497909864477490, -14411518807585588, 21617278211378382, -46837436124653161]]

# issue 18 §4: an LP of the LP engine on benchmark net D; every HiGHS variant ends with
# "model_status is Unknown" (scipy status 4) on it. It is unbounded.
HIGHS_UNKNOWN = SimpleNamespace(
    c=[2.309184853431453, -0.8338935201880735, 0.7835466733404432],
    A=[[-1.6664034845610203, 2.0866917600645793, -0.3413762788414238],
       [0.46358194215813636, 0.3695865993675346, 0.1760343465205112],
       [-1.6493117679701625, -0.18937199335291888, -0.7064435185524497],
       [2.713217743765033, 0.184353997719849, -0.28792183790974074],
       [-0.22967021517856517, -0.5454575574992181, -0.8615268174229871],
       [-0.31908766173530967, 0.39350676190967526, -0.1947782041351318],
       [0.7820067063204209, -0.16313775524494278, 0.01980785193989033]],
    b=[0.09690782313231, 0.5558166026119961, 0.10276152495289624, 0.46294978682418403,
       -0.292029155512624, -0.29126920932784506, 0.1074144555634279])


def _moved(before, after=None):
    """The fallback counts added since ``before``."""
    return dict((after if after is not None else FALLBACKS) - before)


# -- exact LPs --------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["enumerate", "tropical", "layerwise"])
def test_issue_net_has_20_linear_regions_by_every_exact_method(method):
    net = tropnet.network_from_dict(ISSUE_NET)
    assert tropnet.regions(net, method=method, exact=True).count == 20
    assert tropnet.regions(net, method=method, exact=False).count == 20


def test_dimension_where_cdd_misses_an_implicit_equality():
    A = [[-Fraction(v) for v in row[1:]] for row in MISSED_EQUALITY]
    b = [Fraction(row[0]) for row in MISSED_EQUALITY]
    poly = Polyhedron.from_inequalities(A, b, EXACT)
    # independent method: cdd's exact double description, rank of the generators' span
    mat = cdd.gmp.matrix_from_array(MISSED_EQUALITY, rep_type=cdd.RepType.INEQUALITY)
    gens = cdd.gmp.copy_generators(cdd.gmp.polyhedron_from_matrix(mat)).array
    pts = [g[1:] for g in gens if g[0] == 1]
    span = [[a - p for a, p in zip(q, pts[0], strict=True)] for q in pts[1:]]
    span += [g[1:] for g in gens if g[0] == 0]
    dd_dim = cdd.gmp.matrix_rank(cdd.gmp.matrix_from_array(span))[2]
    assert poly.dimension() == dd_dim == 2
    assert poly.minimize().dimension() == 2
    assert not poly.is_full_dimensional()


def test_infeasible_lp_reported_dual_inconsistent_by_cdd_is_infeasible():
    # x >= 1, x <= -1, y >= 0, maximise x + y: cdd's dual simplex says "dual inconsistent",
    # which was read as unbounded; the phase-one certificate shows there is no feasible point
    lp = cdd.gmp.linprog_from_array([[-1, 1, 0], [-1, -1, 0], [0, 0, 1], [0, 1, 1]],
                                    obj_type=cdd.LPObjType.MAX)
    cdd.gmp.linprog_solve(lp)
    assert lp.status == cdd.LPStatusType.DUAL_INCONSISTENT
    assert linprog([1, 1], [[-1, 0], [1, 0], [0, -1]], [-1, -1, 0], EXACT, maximize=True
                   ).status == "infeasible"
    # x + y <= -1, x, y >= 0, minimise z (z in no constraint: "structurally" dual inconsistent)
    assert linprog([0, 0, 1], [[1, 1, 0], [-1, 0, 0], [0, -1, 0]], [-1, 0, 0], EXACT).status \
        == "infeasible"


def _square_lp():
    """max x + 2y on x + y <= 1, x >= 0, y >= -1/2: optimum 2 at (0, 1), multipliers
    (2, 1, 0)."""
    return [1, 2], [[1, 1], [-1, 0], [0, -1]], [1, 0, Fraction(1, 2)]


def _bad_claims():
    """Wrong or useless answers a solver could give to :func:`_square_lp` (as _Raw)."""
    raw = lpmod._Raw
    F = Fraction
    return {
        "undecided": RuntimeError("cdd status UNDECIDED (max number of pivots)"),
        "wrong optimum": raw("optimal", x=[F(1), F(0)], y=[F(1), F(0), F(1)]),
        "infeasible point": raw("optimal", x=[F(0), F(2)], y=[F(2), F(1), F(0)]),
        "negative multiplier": raw("optimal", x=[F(0), F(1)], y=[F(2), F(1), F(-1)]),
        "missing dual": raw("optimal", x=[F(0), F(1)]),
        "false infeasible": raw("infeasible"),
        "false unbounded": raw("unbounded", ray=[F(1), F(1)]),
    }


@pytest.mark.parametrize("claim", list(_bad_claims()))
def test_exact_chain_rejects_each_bad_cdd_answer(monkeypatch, claim):
    bad = _bad_claims()[claim]
    real = lpmod._cdd_raw
    calls = []

    def stub(G, h, c, solver):
        calls.append(solver)
        if solver == cdd.LPSolverType.CRISS_CROSS and len(c) == 2:  # the LP, not phase one
            if isinstance(bad, Exception):
                raise bad
            return bad
        return real(G, h, c, solver)

    monkeypatch.setattr(lpmod, "_cdd_raw", stub)
    before = FALLBACKS.copy()
    c, A, b = _square_lp()
    res = linprog(c, A, b, EXACT, maximize=True)
    assert res.status == "optimal" and res.value == 2 and list(res.x) == [0, 1]
    assert list(res.duals) == [2, 1, 0]  # (1, 2) = 2 (1, 1) + 1 (-1, 0)
    assert _moved(before) == {"lp:cdd-dual-simplex": 1}
    assert cdd.LPSolverType.DUAL_SIMPLEX in calls


def _broken_cdd(G, h, c, solver):
    raise RuntimeError("cdd: max number 5000 of pivots performed")


def test_exact_chain_ends_in_the_fraction_simplex(monkeypatch, caplog):
    monkeypatch.setattr(lpmod, "_cdd_raw", _broken_cdd)
    before = FALLBACKS.copy()
    c, A, b = _square_lp()
    with caplog.at_level(logging.DEBUG, logger="tropnet.solvers"):
        res = linprog(c, A, b, EXACT, maximize=True)
    assert res.status == "optimal" and res.value == 2 and list(res.duals) == [2, 1, 0]
    assert _moved(before) == {"lp:cdd-dual-simplex": 1, "lp:fraction-simplex": 1}
    assert "fraction-simplex" in caplog.text and "max number 5000" in caplog.text
    # the other statuses through the last step alone
    assert linprog([1, 1], [[-1, 0], [1, 0]], [-1, -1], EXACT, maximize=True).status \
        == "infeasible"
    assert linprog([1, 0], [[1, 0]], [0], EXACT).status == "unbounded"


def test_exact_chain_raises_when_no_answer_is_certified(monkeypatch):
    monkeypatch.setattr(lpmod, "_cdd_raw", lambda G, h, c, solver: lpmod._Raw("infeasible"))
    monkeypatch.setattr(lpmod, "_fraction_simplex", lambda G, h, c: lpmod._Raw("infeasible"))
    c, A, b = _square_lp()
    with pytest.raises(SolverError, match="no exact LP solver gave a certified answer"):
        linprog(c, A, b, EXACT, maximize=True)


def test_fraction_simplex_agrees_with_cdd_on_random_lps(monkeypatch):
    rng = np.random.default_rng(7)
    problems = []
    for _ in range(40):
        m, n = int(rng.integers(1, 7)), int(rng.integers(1, 4))
        A = [[Fraction(int(v), 2) for v in row] for row in rng.integers(-3, 4, size=(m, n))]
        b = [Fraction(int(v), 3) for v in rng.integers(-2, 4, size=m)]
        c = [Fraction(int(v)) for v in rng.integers(-2, 3, size=n)]
        eq = rng.random() < 0.3
        kw = dict(A_eq=[A[0]], b_eq=[b[0]]) if eq else {}
        problems.append((c, A, b, kw, bool(rng.integers(2))))
    by_cdd = [linprog(c, A, b, EXACT, maximize=mx, **kw) for c, A, b, kw, mx in problems]
    monkeypatch.setattr(lpmod, "_cdd_raw", _broken_cdd)
    by_simplex = [linprog(c, A, b, EXACT, maximize=mx, **kw) for c, A, b, kw, mx in problems]
    statuses = {r.status for r in by_cdd}
    assert statuses == {"optimal", "infeasible", "unbounded"}
    for one, two in zip(by_cdd, by_simplex, strict=True):
        assert (one.status, one.value) == (two.status, two.value)


# -- float LPs --------------------------------------------------------------------------------

def _stub_highs(monkeypatch, failing: dict):
    """Make the steps of the float chain in ``failing`` return the given scipy status."""
    real = lpmod._float_step
    seen = []

    def stub(step, cf, data):
        seen.append(step)
        if step in failing:
            return SimpleNamespace(status=failing[step], message=f"stub status {failing[step]}",
                                   x=None, fun=None)
        return real(step, cf, data)

    monkeypatch.setattr(lpmod, "_float_step", stub)
    return seen


HIGHS, NO_PRESOLVE, IPM = lpmod.FLOAT_CHAIN


@pytest.mark.parametrize(("failing", "moved"), [
    ({HIGHS: 4}, {"lp:highs-no-presolve": 1}),
    ({HIGHS: 1}, {"lp:highs-no-presolve": 1}),  # iteration limit
    ({HIGHS: 4, NO_PRESOLVE: 4}, {"lp:highs-no-presolve": 1, "lp:highs-ipm": 1}),
    ({HIGHS: 4, NO_PRESOLVE: 1, IPM: 4},
     {"lp:highs-no-presolve": 1, "lp:highs-ipm": 1, "lp:cdd": 1}),
    ({HIGHS: 2, NO_PRESOLVE: 4, IPM: 2}, {"lp:highs-ipm": 1, "lp:cdd": 1}),
], ids=["unknown", "iteration-limit", "two-fail", "all-highs-fail", "ipm-claim-confirmed"])
def test_float_chain_tries_each_step(monkeypatch, failing, moved):
    seen = _stub_highs(monkeypatch, failing)
    before = FALLBACKS.copy()
    c, A, b = _square_lp()
    res = linprog(c, A, b, FLOAT, maximize=True)
    assert res.status == "optimal" and res.value == pytest.approx(2.0, abs=1e-9)
    assert res.x == pytest.approx([0.0, 1.0], abs=1e-9)
    assert res.duals == pytest.approx([2.0, 1.0, 0.0], abs=1e-9)
    assert _moved(before) == moved
    assert len(seen) == len({k for k in failing}) + (0 if "lp:cdd" in moved else 1)


def test_float_infeasible_claim_is_confirmed_without_presolve_and_not_counted(monkeypatch):
    seen = _stub_highs(monkeypatch, {})
    before = FALLBACKS.copy()
    assert linprog([1, 0], [[1, 0], [-1, 0]], [0, -1], FLOAT).status == "infeasible"
    assert seen == [HIGHS, NO_PRESOLVE] and _moved(before) == {}


def test_highs_unknown_status_falls_back_to_the_exact_lp():
    res = linprog(HIGHS_UNKNOWN.c, HIGHS_UNKNOWN.A, HIGHS_UNKNOWN.b, FLOAT)
    exact = linprog([Fraction(v) for v in HIGHS_UNKNOWN.c],
                    [[Fraction(v) for v in row] for row in HIGHS_UNKNOWN.A],
                    [Fraction(v) for v in HIGHS_UNKNOWN.b], EXACT)
    assert res.status == exact.status == "unbounded"


def test_float_chain_on_the_lp_engine_matches_the_vertex_engine(monkeypatch):
    # every first HiGHS solve fails: the LP engine's count comes out of the later steps
    _stub_highs(monkeypatch, {HIGHS: 4})
    before = FALLBACKS.copy()
    net = tropnet.network_from_dict(ISSUE_NET)
    lp_count = tropnet.regions(net, kind="activation", method="enumerate", engine="lp").count
    moved = _moved(before)
    monkeypatch.undo()
    vertex = tropnet.regions(net, kind="activation", method="enumerate", engine="vertex").count
    assert lp_count == vertex and moved["lp:highs-no-presolve"] > 10


# -- MILPs ------------------------------------------------------------------------------------

def _knapsack():
    """max 3a + 2b + 2c, 2a + 2b + 2c <= 4 (binary): optimum 5."""
    z = cp.Variable(3, boolean=True)
    return cp.Problem(cp.Maximize(np.array([3, 2, 2]) @ z), [np.array([2, 2, 2]) @ z <= 4])


def _stub_runs(monkeypatch, bad: list):
    """The first ``len(bad)`` solver runs give these statuses (or raise them), then real runs."""
    real_highs, real_generic = solvers.HiGHS.run, solvers.CvxpySolver.run
    calls, depth = [], [0]

    def make(real):
        def run(self, problem, warm_start, opts):
            if depth[0]:  # HiGHS.run calling CvxpySolver.run
                return real(self, problem, warm_start, opts)
            calls.append((self.name, opts.get("presolve")))
            if len(calls) <= len(bad):
                item = bad[len(calls) - 1]
                if isinstance(item, Exception):
                    raise item
                return item
            depth[0] += 1
            try:
                return real(self, problem, warm_start, opts)
            finally:
                depth[0] -= 1
        return run

    monkeypatch.setattr(solvers.HiGHS, "run", make(real_highs))
    monkeypatch.setattr(solvers.CvxpySolver, "run", make(real_generic))
    return calls


@pytest.mark.parametrize("bad", [
    "UNKNOWN", cp.INFEASIBLE_INACCURATE, cp.UNBOUNDED_INACCURATE, cp.USER_LIMIT,
    SolverError("MILP solver HIGHS failed: Solver 'HIGHS' failed."),
], ids=str)
def test_milp_chain_turns_off_presolve_after_a_bad_status(monkeypatch, bad):
    calls = _stub_runs(monkeypatch, [bad])
    before = FALLBACKS.copy()
    res = solvers.solve(_knapsack())
    assert res.status == "optimal" and res.value == pytest.approx(5.0) and res.solver == "HIGHS"
    assert calls == [("HIGHS", None), ("HIGHS", "off")]
    assert _moved(before) == {"milp:HIGHS-no-presolve": 1}


@pytest.mark.skipif("SCIPY" not in solvers.installed_mip_solvers(), reason="needs SCIPY")
def test_milp_chain_moves_to_another_solver(monkeypatch):
    calls = _stub_runs(monkeypatch, ["UNKNOWN", cp.INFEASIBLE_INACCURATE])
    before = FALLBACKS.copy()
    res = solvers.solve(_knapsack(), time_limit=30)
    assert res.status == "optimal" and res.value == pytest.approx(5.0) and res.solver == "SCIPY"
    assert [name for name, _ in calls] == ["HIGHS", "HIGHS", "SCIPY"]
    assert _moved(before) == {"milp:HIGHS-no-presolve": 1, "milp:SCIPY": 1}


def test_milp_chain_raises_when_every_solver_fails(monkeypatch):
    _stub_runs(monkeypatch, ["UNKNOWN"] * 10)
    with pytest.raises(SolverError, match=r"every MILP solver failed.*HIGHS: status 'UNKNOWN'"):
        solvers.solve(_knapsack())


def test_milp_limits_are_not_failures(monkeypatch):
    # a time limit or an objective target makes a stop at a limit a legitimate answer
    calls = _stub_runs(monkeypatch, [cp.USER_LIMIT])
    res = solvers.solve(_knapsack(), time_limit=10)
    assert res.status in ("feasible", "no_solution") and len(calls) == 1
    with pytest.raises(SolverError, match="rejected the options"):
        solvers.solve(_knapsack(), options={"no_such_option_xyz": 1})


def test_float_lps_sharing_rows_keep_the_model_and_agree_with_fresh_ones():
    """HiGHS keeps the loaded model when the next LP's first rows are the same (warm start
    from its basis), replacing the rows after them: each answer equals a fresh solve's."""
    rng = np.random.default_rng(4)
    A = rng.normal(size=(12, 3))
    b = np.abs(rng.normal(size=12)) + 0.5  # a bounded polytope around 0 (with the box)
    box = np.vstack([np.eye(3), -np.eye(3)])
    rows, rhs = np.vstack([box, A]), np.r_[np.full(6, 2.0), b]
    kept = []
    shared = lpmod._shared_rows

    def spy(*args):
        out = shared(*args)
        kept.append(out)
        return out

    lpmod._LOCAL.loaded = None
    try:
        lpmod._shared_rows = spy
        answers = []
        for k in range(6, 19):  # one row more each time, then a different last row
            for c in (rng.normal(size=3), rng.normal(size=3)):
                cap = np.vstack([rows[:k], c[None, :]]), np.r_[rhs[:k], 1.0]
                answers.append((c, cap, linprog(c, *cap, FLOAT, maximize=True).value))
    finally:
        lpmod._shared_rows = shared
    assert kept[0] is None and all(k is not None for k in kept[1:])
    for c, cap, value in answers:
        lpmod._LOCAL.loaded = None  # a fresh model
        assert linprog(c, *cap, FLOAT, maximize=True).value == pytest.approx(value, abs=1e-9)
