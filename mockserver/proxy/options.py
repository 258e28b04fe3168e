"""The options of ``mockserver proxy``: argparse only, so that building the command line
of any ``mockserver`` command does not import the proxy (a third of a second)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..core.spec import default_spec_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    env = os.environ.get
    parser.add_argument("--upstream", default=env("MOCKSERVER_PROXY_UPSTREAM"),
                        help="URL of the deployment to forward to (MOCKSERVER_PROXY_UPSTREAM)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8081, help="port to listen on (0: any)")
    parser.add_argument("--read-only", action="store_true",
                        help="refuse every write (PATCH, DELETE, POST, PUT) with 403")
    parser.add_argument("--allow-delete-all", action="store_true",
                        help="forward a bulk DELETE that lists no ids (it deletes everything)")
    parser.add_argument("--undescribed", choices=("forward", "refuse"), default="forward",
                        help="requests openapi.yaml does not describe: forwarded and "
                        "reported (default), or refused with 403")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds the upstream has to answer (then 504)")
    parser.add_argument("--max-body", type=int, default=1 << 20,
                        help="largest request body accepted, in bytes (then 413)")
    parser.add_argument("--max-response", type=int, default=32 << 20,
                        help="largest upstream answer passed on, in bytes (then 502)")
    parser.add_argument("--threads", type=int, default=8, help="requests served at once")
    parser.add_argument("--junit-xml", type=Path, help="write a JUnit XML report on exit")
    parser.add_argument("--ledger", type=Path,
                        help="write the assumption ledger (JSON) on exit")
    parser.add_argument("--record", type=Path, metavar="DIR",
                        help="write the call trackings seen (and their users, leads, "
                        "properties), personal data replaced, as fixtures into DIR on exit")
    parser.add_argument("--record-limit", type=int, default=10000,
                        help="most call trackings --record keeps")
    parser.add_argument("--strict", action="store_true",
                        help="a refuted assumption fails too (JUnit and exit status)")
    parser.add_argument("--spec", type=Path, default=default_spec_path(),
                        help="the OpenAPI document to check the traffic against")
