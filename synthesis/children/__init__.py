"""Entry points of child processes (`python -m text2ml.synthesis.children.NAME`)."""
