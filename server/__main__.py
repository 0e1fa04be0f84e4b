"""`python -m server [--tcp HOST:PORT]`: the text2ml language server."""

from __future__ import annotations

import argparse

from text2ml.server.app import serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m server", description=__doc__)
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve(parser.parse_args().tcp)


if __name__ == "__main__":
    main()
