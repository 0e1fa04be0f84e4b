"""Tumour biopsies."""

# TASK: Classify tumours as malignant or benign from the 30 measurements of
# sklearn.datasets.load_breast_cancer (column `target`). Measure accuracy.
