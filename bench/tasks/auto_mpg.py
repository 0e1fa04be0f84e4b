"""Car fuel economy."""

# TASK: Regression: predict the fuel consumption in miles per gallon (column `target`) of a
# car from its engine and body figures. Data: mlxtend.data.autompg_data. Report MAE.
