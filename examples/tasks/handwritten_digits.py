# TASK: Recognize handwritten digits (0-9) from 8x8 grayscale images.
# Use sklearn.datasets.load_digits; each row holds 64 pixel intensities and the `target` digit.
# Metric: accuracy.
