"""Errors and warnings raised by tropnet.

Every failure caused by bad input raises a subclass of :class:`TropnetError`;
the command-line interface turns it into one message on stderr and exit code 2.
"""

from __future__ import annotations

__all__ = [
    "DomainError",
    "ExpressionError",
    "InputFileError",
    "NearDegeneracyWarning",
    "NetworkError",
    "SolverError",
    "TooLargeError",
    "TropnetError",
    "UnsupportedModelError",
]


class TropnetError(Exception):
    """Base class of every error tropnet raises on bad input or impossible requests."""


class InputFileError(TropnetError):
    """A file is missing, unreadable, not valid JSON/NPZ, or lacks required keys."""


class NetworkError(TropnetError):
    """A network description is invalid (shapes, NaN/inf, activation parameters)."""


class DomainError(TropnetError):
    """A domain is empty, has the wrong dimension, or cannot be parsed."""


class ExpressionError(TropnetError):
    """A tropical expression cannot be parsed or is not a max of affine terms."""


class SolverError(TropnetError):
    """A requested solver is not installed or failed."""


class UnsupportedModelError(TropnetError):
    """A torch/ONNX model uses an operator tropnet cannot represent."""


class TooLargeError(TropnetError):
    """The requested exact method would exceed the time or memory budget."""


class NearDegeneracyWarning(UserWarning):
    """A float-mode decision was within the derived tolerance of the opposite answer."""
