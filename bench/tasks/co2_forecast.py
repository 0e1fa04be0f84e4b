"""Mauna Loa CO2 record."""

# TASK: Forecast the next weekly `co2` concentration from the past values of the series.
# Data: statsmodels.datasets.co2.load_pandas. Measure MAE.
