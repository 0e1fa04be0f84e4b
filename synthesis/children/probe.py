"""Child-process entry that loads a data source and prints its profile as one JSON line.

Usage: python -m text2ml.synthesis.children.probe DIR   (DIR holds a rendered data.py)
Prints {"ok": true, "profile", "column_names"} or {"ok": false, "error", "traceback"}.
The loading call comes from the task, so it runs here, in the sandbox, never in the editor's
process.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path

from text2ml.synthesis.children.protocol import say, take_stdout
from text2ml.synthesis.layout import DATA
from text2ml.synthesis.profiles import frame_profile


def main(folder: str) -> int:
    channel = take_stdout()
    path = Path(folder) / DATA
    try:
        spec = importlib.util.spec_from_file_location("probe_data", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        frame = module.load_frame()
    except Exception as exc:  # the task's loader failed: report it, do not crash
        say({"ok": False, "error": f"{type(exc).__name__}: {exc}",
             "traceback": traceback.format_exc(limit=5)}, channel)
        return 0
    say({"ok": True, "profile": frame_profile(frame),
         "column_names": [str(c) for c in frame.columns]}, channel)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
