"""`text2ml llm status | serve | stop`: see and control the LLM backend."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from text2ml.synthesis.llm.model_files import DEFAULT_MODEL, KNOWN_MODELS


def add_llm_commands(subparsers: argparse._SubParsersAction) -> None:
    llm = subparsers.add_parser("llm", help="the LLM backend: status, serve, stop")
    sub = llm.add_subparsers(dest="llm_command", required=True)
    status = sub.add_parser("status", help="which backend is active, model file, server, speed")
    status.add_argument("--json", action="store_true", help="one JSON object on stdout")
    status.set_defaults(func=cmd_llm_status)
    serve = sub.add_parser("serve", help="run the embedded model server in the foreground")
    serve.add_argument("--model", default=None,
                       help=f"{' or '.join(KNOWN_MODELS)} or a .gguf path "
                            f"(default: the configured one, else {DEFAULT_MODEL})")
    serve.add_argument("--port", type=int, help="port on 127.0.0.1 (default: a free one)")
    serve.add_argument("--n-ctx", type=int, default=8192, help="context size in tokens")
    serve.set_defaults(func=cmd_llm_serve)
    stop = sub.add_parser("stop", help="stop the embedded model server")
    stop.set_defaults(func=cmd_llm_stop)


def active_backend() -> dict[str, Any]:
    """The backend the settings select: an explicit endpoint, else the embedded model."""
    try:
        from text2ml.synthesis.llm.settings import resolve_llm_settings
    except ImportError:  # a build without the settings module: its documented variables
        return _backend_from_env()
    settings = resolve_llm_settings({})
    if settings.uses_embedded:
        return {"backend": "embedded",
                "model": getattr(settings, "embedded_model", None) or DEFAULT_MODEL}
    return {"backend": "endpoint", "url": settings.base_url or "https://api.openai.com/v1",
            "model": settings.model}


def _backend_from_env() -> dict[str, Any]:
    base_url = os.environ.get("TEXT2ML_BASE_URL")
    if not base_url and not os.environ.get("TEXT2ML_API_KEY"):
        return {"backend": "embedded", "model": os.environ.get("TEXT2ML_MODEL") or DEFAULT_MODEL}
    return {"backend": "endpoint", "url": base_url or "https://api.openai.com/v1",
            "model": os.environ.get("TEXT2ML_MODEL")}


def cmd_llm_status(args: argparse.Namespace) -> int:
    from text2ml.synthesis.llm.embedded import server_status

    active = active_backend()
    embedded = server_status(active["model"] if active["backend"] == "embedded"
                             else DEFAULT_MODEL)
    if args.json:
        print(json.dumps({"active": active, "embedded": embedded}))
        return 0
    if active["backend"] == "embedded":
        print(f"backend: embedded model {active['model']} (no endpoint configured)")
    else:
        print(f"backend: endpoint {active['url']} model {active['model'] or '(default)'}")
    exists = "present" if embedded["model_file_exists"] else "not joined yet"
    print(f"embedded model file: {embedded['model_path']} ({exists})")
    if embedded["running"]:
        print(f"embedded server: running, pid {embedded['pid']}, {embedded['url']}")
    else:
        print("embedded server: not running (starts on first use)")
    speed = embedded["tokens_per_s"]
    if speed:
        print(f"speed: prompt {speed['prompt']} tokens/s, generation {speed['generation']} "
              "tokens/s")
    print(f"server log: {embedded['log']}")
    return 0


def cmd_llm_serve(args: argparse.Namespace) -> int:
    from text2ml.synthesis.llm.embedded import EmbeddedServer, serve_foreground

    active = active_backend()
    model = args.model or (active["model"] if active["backend"] == "embedded" else DEFAULT_MODEL)

    def announce(server: EmbeddedServer) -> None:
        print(f"text2ml: the embedded model {server.model_alias} is ready at "
              f"{server.base_url} (OpenAI-compatible; any API key). Ctrl-C stops it.",
              file=sys.stderr, flush=True)

    # ModelFileError and EmbeddedServerError are UserErrors: cli.main prints them, exit 2
    code = serve_foreground(model, port=args.port, n_ctx=args.n_ctx, on_ready=announce)
    print("text2ml: the embedded model server stopped.", file=sys.stderr)
    return 0 if code in (0, -2) else 1


def cmd_llm_stop(args: argparse.Namespace) -> int:
    from text2ml.synthesis.llm.embedded import stop_server

    stopped = stop_server()
    print("text2ml: the embedded model server stopped." if stopped
          else "text2ml: no embedded model server was running.")
    return 0
