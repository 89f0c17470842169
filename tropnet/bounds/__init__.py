"""Analytical bounds on the number of regions (exact integers) and the CNN count.

See :mod:`tropnet.bounds.analytic` (ReLU and maxout networks: Zaslavsky,
Montúfar et al. 2014, Montúfar 2017, Serra et al. 2018, Nakahara et al.,
MAPS) and :mod:`tropnet.bounds.cnn` (Xiong et al. 2024, one convolutional
layer). The networks attaining the lower bounds are in
:mod:`tropnet.constructions`.
"""

from .analytic import (
    architecture_bounds,
    maps_eta,
    matrix_rank,
    maxout_one_layer_max,
    montufar2014_lower,
    montufar2017_upper,
    nakahara2024_ternary_lower,
    nakahara_montufar_count,
    network_bounds,
    serra2018_corollary3,
    serra2018_prop13,
    serra2018_theorem7,
    serra2018_theorem8_lower,
    serra2018_theorem9_lower,
    serra2018_theorem10_maxout_upper,
    serra2018_upper,
    zaslavsky,
    zaslavsky_rank,
)
from .cnn import (
    conv_rank_bound,
    hall_feasible,
    is_line_layout,
    receptive_fields,
    xiong2024_one_layer,
)

__all__ = [
    "architecture_bounds",
    "conv_rank_bound",
    "hall_feasible",
    "is_line_layout",
    "maps_eta",
    "matrix_rank",
    "maxout_one_layer_max",
    "montufar2014_lower",
    "montufar2017_upper",
    "nakahara2024_ternary_lower",
    "nakahara_montufar_count",
    "network_bounds",
    "receptive_fields",
    "serra2018_corollary3",
    "serra2018_prop13",
    "serra2018_theorem7",
    "serra2018_theorem8_lower",
    "serra2018_theorem9_lower",
    "serra2018_theorem10_maxout_upper",
    "serra2018_upper",
    "xiong2024_one_layer",
    "zaslavsky",
    "zaslavsky_rank",
]
