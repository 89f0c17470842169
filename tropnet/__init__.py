"""tropnet: exact algebraic and polyhedral analysis of piecewise-linear neural networks."""

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
from .network import Layer, Network
from .tropical import (
    TropicalPolynomial,
    TropicalRational,
    compile_network,
    monomial_complexity,
    parse,
    parse_polynomial,
)

__version__ = "0.1.0"

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
    "TooLargeError",
    "TropicalPolynomial",
    "TropicalRational",
    "TropnetError",
    "UnsupportedModelError",
    "compile_network",
    "load_network",
    "monomial_complexity",
    "network_from_dict",
    "parse",
    "parse_polynomial",
    "save_network",
]
