"""tropnet: exact algebraic and polyhedral analysis of piecewise-linear neural networks."""

import importlib

from .arithmetic import EXACT, FLOAT, Arithmetic, ExactArithmetic, FloatArithmetic
from .errors import (
    DomainError,
    ExpressionError,
    InputFileError,
    NearDegeneracyWarning,
    NetworkError,
    SolverError,
    TooLargeError,
    TropnetError,
    UnsupportedModelError,
)
from .io import load_network, network_from_dict, save_network
from .limits import TimeLimitReached, deadline
from .network import Layer, Network
from .tropical import (
    TropicalPolynomial,
    TropicalRational,
    monomial_complexity,
    parse,
    parse_polynomial,
)

__version__ = "0.1.0"

# Names re-exported lazily from the modules that define them (imported on first use).
_LAZY = {
    "Domain": "tropnet.domain",
    "box": "tropnet.domain",
    "rn": "tropnet.domain",
    "polytope": "tropnet.domain",
    "parse_domain": "tropnet.domain",
    "Region": "tropnet.engines.result",
    "RegionSet": "tropnet.engines.result",
    "regions": "tropnet.dispatch",
    "read_regions": "tropnet.engines.stream",
    "stream_activation_regions": "tropnet.engines.stream",
    "stream_linear_regions": "tropnet.engines.stream",
    "compile_network": "tropnet.engines.monomials",
    "METHODS": "tropnet.dispatch",
    "activation_regions": "tropnet.dispatch",
    "linear_regions": "tropnet.dispatch",
    "count_regions": "tropnet.dispatch",
    "bounds": "tropnet.bounds",
    "constructions": "tropnet.constructions",
    "milp": "tropnet.milp",
    "hoffman": "tropnet.hoffman",
    "hoffman_constant": "tropnet.hoffman",
    "effective_radius": "tropnet.hoffman",
    "sample_regions": "tropnet.sampling",
    "crosscheck": "tropnet.comparison",
    "plot_regions": "tropnet.plot",
    "restrict_to_plane": "tropnet.slicing",
    "from_torch": "tropnet.importers",
    "from_onnx": "tropnet.importers",
    "regions_along": "tropnet.engines.path",
    "decision_boundary": "tropnet.engines.boundary",
    "polyhedral_complex": "tropnet.engines.complex",
    "PolyhedralComplex": "tropnet.engines.complex",
    "track": "tropnet.tracking",
}


#: the lazily imported subpackages: attributes (``tropnet.milp``), not star-imported names
_SUBPACKAGES = ("bounds", "constructions", "milp", "hoffman")


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tropnet' has no attribute {name!r}")
    mod = importlib.import_module(module)
    value = mod if module.endswith("." + name) else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

__all__ = [
    "EXACT",
    "FLOAT",
    "Arithmetic",
    "DomainError",
    "ExactArithmetic",
    "ExpressionError",
    "FloatArithmetic",
    "InputFileError",
    "Layer",
    "NearDegeneracyWarning",
    "Network",
    "NetworkError",
    "SolverError",
    "TimeLimitReached",
    "TooLargeError",
    "TropicalPolynomial",
    "TropicalRational",
    "TropnetError",
    "UnsupportedModelError",
    "compile_network",
    "deadline",
    "load_network",
    "monomial_complexity",
    "network_from_dict",
    "parse",
    "parse_polynomial",
    "save_network",
    *(name for name in _LAZY if name not in _SUBPACKAGES),
]
