"""Region engines: the algorithms that find activation and linear regions.

* :mod:`.enumerate` -- activation regions by depth-first splitting (vertex, LP and
  planar engines, :mod:`.cones` for the double description, :mod:`.planar` for 2 inputs,
  :mod:`.zaslavsky` to count an arrangement's cells without listing them);
* :mod:`.tropical` -- cells of the common refinement of tropical maps;
* :mod:`.layerwise` -- cells of a network pulled back layer by layer;
* :mod:`.glue` -- cells with equal affine maps glued into linear regions;
* :mod:`.graph` -- the adjacency graph of regions;
* :mod:`.result` -- the result values :class:`Region` and :class:`RegionSet`;
* :mod:`.symmetry` -- permutation-invariant networks.

Which engine runs for a request is decided in one place, :mod:`tropnet.dispatch`.
"""

from .enumerate import ENGINES
from .glue import Cell, check_connectivity, glue
from .result import Region, RegionSet

__all__ = ["ENGINES", "Cell", "Region", "RegionSet", "check_connectivity", "glue"]
