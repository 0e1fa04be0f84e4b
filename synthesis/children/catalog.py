"""Child-process entry that lists the catalog's dataset packages.

Usage: python -m text2ml.synthesis.children.catalog OUT.json
Writes {"entries": [...], "notes": [...]} to OUT.json (the index is larger than a result
line should be) and prints one JSON line {"ok": true, "entries": N}. Listing imports the
dataset packages, so it runs here, in the sandbox, never in the editor's process.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from text2ml.synthesis.catalog.sources import all_entries


def main(out: str) -> int:
    entries, notes = all_entries()
    target = Path(out)
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps({"entries": [e.as_dict() for e in entries], "notes": notes}))
    partial.replace(target)
    print(json.dumps({"ok": True, "entries": len(entries), "notes": notes}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
