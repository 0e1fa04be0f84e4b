"""The scripted OpenAI-compatible server as a process, for tests outside pytest (the
real-VS-Code test in client-vscode/test/e2e/): prints its base URL on the first line of
stdout, answers like a careful model, and stops when its stdin closes (so it never outlives
the test that started it)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripted_openai import ScriptedOpenAI, competent  # noqa: E402


def main() -> None:
    server = ScriptedOpenAI(fallback=competent).start()
    print(server.base_url, flush=True)
    try:
        sys.stdin.read()
    finally:
        server.close()


if __name__ == "__main__":
    main()
