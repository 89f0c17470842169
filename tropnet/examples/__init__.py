"""Built-in example networks, reachable from any directory."""

from __future__ import annotations

from importlib import resources

from ..io import load_network
from ..network import Network

__all__ = ["demo", "demo_path"]


def demo_path() -> str:
    """Path of the built-in example network of ``tropnet demo`` (a file in the package)."""
    return str(resources.files("tropnet") / "examples" / "demo.json")


def demo() -> Network:
    """The built-in example network of ``tropnet demo`` (exact rational weights).

    >>> demo().architecture()
    '2-[4,3]-1'
    """
    return load_network(demo_path())
