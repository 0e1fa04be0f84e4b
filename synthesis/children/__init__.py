"""Entry points of child processes (`python -m text2ml.synthesis.children.NAME`).

Every child but `llm_server` speaks the JSON-lines protocol of `protocol` (one JSON object
per line on stdout; a one-shot child's last line is its result):

- `harness`: one candidate module against its contract on real data (cwd = the program,
  request on stdin); prints `{"ok", "failures", "profile", "score"}`.
- `probe DIR`: loads the data source rendered in DIR/data.py; prints
  `{"ok": true, "profile", "column_names"}` or `{"ok": false, "error", "traceback"}`.
- `catalog OUT.json`: lists the dataset packages' loaders into OUT.json; prints
  `{"ok": true, "entries", "notes"}`.
- `zygote`: the warm parent of sandboxed runs; prints `{"ready": true}`, then per request
  `{"id", "pid"}` when the run started and `{"id", "status", "maxrss_kb"}` when it ended.
- `llm_server`: llama.cpp's OpenAI-compatible HTTP server for the embedded model; speaks
  HTTP, and prints only human-readable lines on stderr.

The optimizer's warm trial worker, `text2ml.optimization.worker`, is a child too and speaks
the same protocol: `{"type": "ready", "rows"}`, then one `{"type": "result" | "pruned" |
"error", ...}` reply per request, with `{"type": "report"}` lines a trial may send first.
"""
