"""``mockserver proxy``: serve until SIGTERM or Ctrl-C, then print the summary, write the
JUnit file and the assumption ledger, and exit 0 (or 1 when the traffic showed a contract
failure, or with ``--strict`` a refuted assumption).

Every secret the proxy sees (each ``Authorization`` credential) is remembered by one
masker, which every report, page and file goes through.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from ..contract.secrets import Masker
from ..core.spec import Spec
from ..validation.compiled import CompiledValidator
from ..web.server import Limits, Server
from ..web.wsgi import WsgiHandler
from .app import ProxyApp, Safety
from .examine import Inspector
from .observations import Ledger, Observations
from .record import Recorder
from .report import junit_xml, summary
from .upstream import Upstream

PROG = "mockserver proxy"
EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2
MASKED = 1000  # the most recent credentials kept to mask reports with (each is also
# masked in what is stored of its own request, when it is stored)


def main(args: argparse.Namespace) -> int:
    problem = _unusable(args)
    if problem:
        print(f"{PROG}: {problem}", file=sys.stderr, flush=True)
        return EXIT_UNUSABLE
    try:
        spec = Spec.load(args.spec)
    except (OSError, yaml.YAMLError) as exc:
        print(f"{PROG}: cannot load the contract: {exc}", file=sys.stderr, flush=True)
        return EXIT_UNUSABLE
    upstream_url = str(args.upstream).rstrip("/")
    masker = Masker(limit=MASKED)
    seen = Observations(spec, upstream_url, masker)
    recorder = Recorder(spec, args.record_limit) if args.record is not None else None
    app = ProxyApp(
        Upstream(upstream_url, args.timeout, args.max_response),
        Inspector(spec, CompiledValidator(spec)), seen,
        Safety(args.read_only, args.allow_delete_all, args.undescribed == "refuse"),
        masker, masker.add, recorder,
    )
    server = Server(WsgiHandler(app), args.host, args.port,
                    Limits(threads=args.threads, delayed=0, max_body=args.max_body))
    server.install_signal_handlers()
    print(f"mockserver proxy listening on http://{server.host}:{server.port} -> {upstream_url}"
          f"\n  report: http://{server.host}:{server.port}/__proxy/report (.html to read)",
          flush=True)
    server.serve()
    print(masker(summary(seen)), flush=True)
    if args.junit_xml is not None:
        _write(args.junit_xml, masker(junit_xml(seen, args.strict)) + "\n")
        print(f"JUnit report: {args.junit_xml}", flush=True)
    if args.ledger is not None:
        ledger = {"contract": spec.document.get("info", {}).get("version"),
                  "upstream": upstream_url, "exchanges": seen.exchanges,
                  "elements": seen.ledger()}
        _write(args.ledger, masker(json.dumps(ledger, indent=2)) + "\n")
        print(f"Assumption ledger: {args.ledger}", flush=True)
    if recorder is not None:
        print(_record(recorder, args.record, spec), flush=True)
    report = seen.report()
    refuted = any(row["status"] == Ledger.REFUTED for row in seen.ledger())
    return EXIT_FINDINGS if report.contract or (args.strict and refuted) else EXIT_OK


def _record(recorder: Recorder, directory: Path, spec: Spec) -> str:
    """Write the recorded fixtures, then load them as ``serve`` would: a problem is named."""
    from ..core.clock import Clock
    from ..data.fixtures import FixtureError, load_fixtures

    try:
        recorder.write(directory)
    except OSError as exc:
        return f"Recording not written: {directory}: {exc.strerror or exc}"
    kept = f"Recorded {len(recorder.calls)} call tracking(s) into {directory}"
    if recorder.skipped:
        kept += f" ({recorder.skipped} more beyond --record-limit were not kept)"
    try:
        load_fixtures(directory, spec, Clock(None).started)
    except FixtureError as exc:
        return f"{kept}; they do not load as fixtures: {exc}"
    return kept + "; they load as fixtures (mockserver serve --fixtures " + f"{directory})."


def _unusable(args: argparse.Namespace) -> str:
    if not args.upstream:
        return "--upstream (or MOCKSERVER_PROXY_UPSTREAM) is required"
    url = urlsplit(str(args.upstream))
    if url.scheme not in ("http", "https") or not url.netloc:
        return f"--upstream must be an http(s) URL, not {args.upstream!r}"
    if url.query or url.fragment:
        return "--upstream takes no query or fragment"
    for name in ("timeout", "max_body", "max_response", "threads", "record_limit"):
        if getattr(args, name) <= 0:
            return f"--{name.replace('_', '-')} must be positive"
    if not 0 <= args.port <= 65535:
        return "--port must be 0 to 65535"
    return ""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
