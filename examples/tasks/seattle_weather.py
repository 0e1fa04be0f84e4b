# TASK: Classify the kind of weather of each day in Seattle (drizzle, rain, sun, snow or
# fog) from its precipitation, temperatures and wind, using the Seattle weather table that
# ships with vega_datasets. Measure how often the prediction is right.
