"""Where the repository's folders are, for tests in any subfolder."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "tasks"
FIXTURES = ROOT / "tests" / "fixtures"
BENCH = ROOT / "bench"
