"""Quality control notebook for the wine lab."""

# TASK: Classify the wine cultivar (3 classes) from its chemical analysis.
# Data: sklearn.datasets.load_wine, predict the `target` column.
# Measure accuracy.


def report(score: float) -> None:
    print(f"cultivar accuracy: {score:.3f}")
