"""Palmer Archipelago penguins."""

# TASK: Classify the penguin `species` from its measurements, island and sex.
# Data: palmerpenguins.load_penguins; some measurements are missing.
# Metric: balanced accuracy.
