"""Handwritten digits, 8x8 pixels."""

# TASK: Classify images of handwritten digits (0-9) from their 64 pixel intensities.
# Data: sklearn.datasets.load_digits, column `target`. Measure accuracy.
