"""Wine lab."""

# TASK: Classify the wine cultivar (3 classes) from its chemical analysis.
# Data: sklearn.datasets.load_wine, predict the `target` column. Measure accuracy.
