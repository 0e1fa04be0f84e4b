# The two set-up commands of the README.
.PHONY: setup demo test lint bench

setup:
	bash scripts/setup.sh

# Install, then generate a tested program from an example task with the embedded model.
demo: setup
	.venv/bin/text2ml generate examples/tasks/wine_cultivar.py --out out/wine
	cd out/wine && ../../.venv/bin/python pipeline.py

# Install, then run every test (the slow ones use the real embedded model), then the VS Code
# extension's tests (its protocol test drives the real server in .venv) and its package.
test: setup
	.venv/bin/ruff check .
	.venv/bin/python -m pytest -q
	npm ci --no-audit --no-fund
	npm test
	npm run package

# The benchmark suite (by hand, on an idle machine): its datasets and FLAML, then every task
# and contender; resumable, results in bench/results/embedded-0.5b.md.
bench: setup
	.venv/bin/python -m pip install --quiet -e '.[bench]'
	.venv/bin/python bench/run.py
