"""Zero-cost proxy for torch model candidates: NASWOT (Mellor et al., 2021) at initialization.

A network whose ReLUs split a batch of inputs into many distinct activation patterns tends to
train well; the score is log|det K| with K[i, j] the number of units where inputs i and j agree.
It costs one forward pass, so configurations it ranks far below the best seen are skipped.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

BATCH = 64
MIN_SEEN = 5  # proxy scores needed before any configuration is skipped
SKIP_QUANTILE = 0.25  # skip below this quantile of the scores seen so far


def find_network(model: Any) -> Any | None:
    """The torch module the estimator holds at initialization, if it holds one."""
    torch = sys.modules.get("torch")  # only candidates that imported torch can hold a network
    if torch is None:
        return None
    if isinstance(model, torch.nn.Module):
        return model
    for value in vars(model).values() if hasattr(model, "__dict__") else ():
        if isinstance(value, torch.nn.Module):
            return value
    return None


def naswot_score(network: Any, features: np.ndarray) -> float | None:
    """log|det K| over a batch of rows; None when the network has no ReLU to read."""
    import torch

    codes: list[Any] = []

    def keep(_module: Any, _inputs: Any, output: Any) -> None:
        codes.append((output.detach().flatten(1) > 0).float())

    relus = [m for m in network.modules() if isinstance(m, torch.nn.ReLU)]
    if not relus:
        return None
    hooks = [m.register_forward_hook(keep) for m in relus]
    try:
        batch = torch.as_tensor(np.asarray(features[:BATCH], dtype=np.float32))
        with torch.no_grad():
            network.eval()
            network(batch)
    finally:
        for hook in hooks:
            hook.remove()
    c = torch.cat(codes, dim=1)
    kernel = c @ c.T + (1 - c) @ (1 - c).T
    sign, logdet = torch.linalg.slogdet(kernel.double())
    return float(logdet) if float(sign) > 0 else float("-inf")


def skip_floor(seen: list[float]) -> float | None:
    """The score below which a new configuration is skipped, given the scores seen so far."""
    if len(seen) < MIN_SEEN:
        return None
    # skipped configurations count too, or the floor would only ever rise
    return float(np.quantile(np.asarray(seen, dtype=float), SKIP_QUANTILE, method="lower"))
