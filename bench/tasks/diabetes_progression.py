"""Diabetes study."""

# TASK: Regression. Predict disease progression one year after baseline from the ten
# baseline variables of sklearn.datasets.load_diabetes (column `target`). Report RMSE.
