# The two set-up commands of the README.
.PHONY: setup demo test e2e lint bench

setup:
	bash scripts/setup.sh

# Install, then generate a tested program from an example task with the embedded model.
demo: setup
	.venv/bin/text2ml generate examples/tasks/wine_cultivar.py --out out/wine
	cd out/wine && ../../.venv/bin/python pipeline.py

# Install, then run every test (the slow ones use the real embedded model), then the VS Code
# extension's tests (its protocol test drives the real server in .venv), its package, and
# the packaged extension in a real VS Code (code-server).
test: setup
	.venv/bin/ruff check .
	.venv/bin/python -m pytest -q
	npm ci --no-audit --no-fund
	npm test
	npm run package
	$(MAKE) e2e

# The packaged .vsix in code-server, driven through Chromium as a user would. Installing
# code-server is cached under ~/.cache/text2ml-e2e; when it cannot be installed the test
# prints why and is skipped.
e2e:
	bash scripts/e2e-setup.sh || echo "e2e-setup failed: the real-VS-Code test will be skipped"
	npm run test:e2e

# The benchmark suite (by hand, on an idle machine): its datasets and FLAML, then every task
# and contender; resumable, results in bench/results/embedded-0.5b.md.
bench: setup
	.venv/bin/python -m pip install --quiet -e '.[bench]'
	.venv/bin/python bench/run.py
