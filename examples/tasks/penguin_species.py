"""Field study of the Palmer Archipelago penguins."""

# TASK: Classify the penguin `species` from the measurements in penguins.csv (this folder).
# Some measurements are missing and island and sex are text columns.
# Metric: balanced accuracy.


def summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{name}: {n}" for name, n in sorted(counts.items()))
