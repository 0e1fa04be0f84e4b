"""The zero-cost proxy scores torch networks at initialization and skips far-below ones."""

from __future__ import annotations

import numpy as np
import torch

from text2ml.optimization.proxies import find_network, naswot_score, skip_floor


class Wrapper:
    def __init__(self, width: int) -> None:
        self.net = torch.nn.Sequential(torch.nn.Linear(8, width), torch.nn.ReLU(),
                                       torch.nn.Linear(width, 2))


def test_naswot_prefers_a_wider_network() -> None:
    torch.manual_seed(0)
    X = np.random.default_rng(0).normal(size=(64, 8))
    narrow, wide = Wrapper(2), Wrapper(256)
    assert find_network(wide) is wide.net
    assert naswot_score(find_network(wide), X) > naswot_score(find_network(narrow), X)


def test_no_network_or_no_relu_means_no_proxy() -> None:
    assert find_network(object()) is None
    linear = torch.nn.Linear(8, 1)
    assert naswot_score(linear, np.zeros((4, 8))) is None


def test_skip_floor_waits_for_enough_scores() -> None:
    assert skip_floor([1.0, 2.0]) is None
    assert skip_floor([1.0, 2.0, 3.0, 4.0, 5.0]) == 2.0


def test_skip_floor_handles_singular_networks() -> None:
    assert skip_floor([float("-inf"), float("-inf"), 3.0, 4.0, 5.0]) == float("-inf")
    assert skip_floor([float("-inf"), 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]) == 2.0
