"""The ``mockserver`` command: ``serve`` the mock, or check a deployment with ``contract``.

Options are generated from ``Settings``: each field is a ``--flag`` whose default comes
from its ``MOCKSERVER_*`` environment variable, so the two can never drift apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .settings import ENV_PREFIX, Settings, base_type

if TYPE_CHECKING:
    from .web.server import Limits
from .web.logs import configure_logging, flush_logs

log = logging.getLogger("mockserver")


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Settings()
    for f in dataclasses.fields(Settings):
        flag = "--" + f.name.replace("_", "-")
        env = ENV_PREFIX + f.name.upper()
        default = getattr(defaults, f.name)
        shown = "" if default in (None, False) else f"; default {default}"
        choices = "|".join(f.metadata["choices"])
        help_text = f"{f.metadata['help']} ({choices + '; ' if choices else ''}env {env}{shown})"
        if str(f.type) == "bool":
            parser.add_argument(flag, action="store_true", default=None, help=help_text)
        else:
            kind = {"int": int, "Path": Path, "float": float}.get(base_type(f.type), str)
            parser.add_argument(
                flag,
                type=kind,
                default=None,
                help=help_text,
                metavar=f.name.upper(),
            )  # choices are checked by Settings, case-insensitively, naming the variable too


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides = {f.name: getattr(args, f.name, None) for f in dataclasses.fields(Settings)}
    return Settings.from_env(**overrides)


class ShowVersion(argparse.Action):
    """``--version``: the package's version and the contract's (``info.version`` of the
    packaged ``openapi.yaml``), read only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0,
                         help="print the version of mockserver and of its openapi.yaml, and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        from .core.spec import Spec

        contract = Spec.load().document["info"]["version"]
        print(f"mockserver {__version__} (openapi.yaml {contract})")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockserver", description=__doc__)
    parser.add_argument("--version", action=ShowVersion)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the mock API")
    add_settings_arguments(serve)
    from .contract.options import add_arguments as add_contract_arguments

    contract = sub.add_parser(
        "contract",
        help="check that a deployment (the mock, staging, production) keeps openapi.yaml",
        description="Run schemathesis with openapi.yaml against a live deployment. Exit "
        "status: 0 promises kept, 1 contract failure, 2 the run could not be made.",
    )
    add_contract_arguments(contract)
    from .proxy.options import add_arguments as add_proxy_arguments

    proxy = sub.add_parser(
        "proxy",
        help="check a deployment from real traffic: forward to it, validate both ways",
        description="Serve as a reverse proxy in front of --upstream: every exchange is "
        "checked against openapi.yaml and classified like 'mockserver contract' findings. "
        "Stops on SIGTERM or Ctrl-C with a summary. Exit status: 0, 1 when the traffic "
        "showed a contract failure, 2 when the proxy could not start.",
    )
    add_proxy_arguments(proxy)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "contract":
        from .contract.command import main as contract

        return contract(args)
    if args.command == "proxy":
        from .proxy.command import main as proxy

        return proxy(args)
    return 2


def serve(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_args(args)
    except ValueError as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    from .data.fixtures import FixtureError
    from .data.snapshots import StateError
    from .identity.keys import KeyProblem
    from .sandbox.redis_state import OriginMismatch, StateUnavailable
    from .web.app import create_app, serving_handler
    from .web.server import Server

    try:
        app = create_app(settings)
    except FixtureError as exc:
        log.error("invalid fixtures: %s", exc, extra={"fields": {"event": "invalid_fixtures"}})
        return 2
    except StateError as exc:
        log.error("invalid state file: %s", exc, extra={"fields": {"event": "invalid_state"}})
        return 2
    except OriginMismatch as exc:
        log.error("cannot join the sandbox: %s", exc,
                  extra={"fields": {"event": "origin_mismatch"}})
        return 2
    except StateUnavailable as exc:
        log.error("cannot start: %s", exc.message,
                  extra={"fields": {"event": "state_unavailable"}})
        return 2
    except KeyProblem as exc:
        log.error("invalid signing key: %s", exc, extra={"fields": {"event": "invalid_key"}})
        return 2
    except OSError as exc:
        log.error("cannot use the state file: %s", exc,
                  extra={"fields": {"event": "invalid_state"}})
        return 2
    state = app.extensions["mockserver"]
    # The seeded records live as long as the process: keep them out of the cycle collector,
    # whose full passes over 100,000 records would otherwise stall a request by 0.3 s.
    gc.collect()
    gc.freeze()
    try:
        server = Server(serving_handler(app), settings.host, settings.port, limits_of(settings))
    except (OSError, ValueError) as exc:  # port taken, unknown host...
        print(f"mockserver: cannot listen on {settings.host}:{settings.port}: {exc}",
              file=sys.stderr)
        return 2
    server.install_signal_handlers(on_signal=state["delays"].cancel)
    for part in state["warm_ups"]:
        part.warm_up()
    log_start(settings, server)
    flush_logs()  # the start's lines are out before anyone is told the server listens
    if settings.log_format == "text":  # in JSON mode every line the process writes is JSON
        print_banner(app, server)
    server.serve(on_stop=state["save_state"])
    flush_logs()  # the stop's last lines are out before the process says it is done
    return 0


def limits_of(settings: Settings) -> Limits:
    """What one client may take of the server, from the settings."""
    from .web.server import Limits

    return Limits(
        threads=settings.threads, delayed=settings.max_delayed,
        connection_limit=settings.connection_limit, backlog=settings.backlog,
        channel_timeout=settings.channel_timeout, header_timeout=settings.header_timeout,
        body_timeout=settings.body_timeout, max_body=settings.max_body, grace=settings.grace,
    )


def log_start(settings: Settings, server: Any) -> None:
    url = f"http://{_display_host(server.host)}:{server.port}"
    log.info(
        "mockserver %s listening on %s (seed %d, %d call trackings, %d threads)",
        __version__, url, settings.seed, settings.count, settings.threads,
        extra={"fields": {
            "event": "listening",
            "url": url,
            "host": server.host,
            "port": server.port,
            "version": __version__,
            "seed": settings.seed,
            "count": settings.count,
            "threads": settings.threads,
            "connection_limit": settings.connection_limit,
            "grace_seconds": settings.grace,
        }},
    )  # fmt: skip


def print_banner(app: object, server: object) -> None:
    state = app.extensions["mockserver"]  # type: ignore[attr-defined]
    url = f"http://{_display_host(server.host)}:{server.port}"  # type: ignore[attr-defined]
    lines = [f"Call tracking mock listening on {url}", f"  docs:      {url}/docs",
             f"  dashboard: {url}/__mock/ui", f"  health:    {url}/__mock/health",
             "  personas (Authorization: Bearer <token>):"]
    for p in state["personas"].all:
        lines.append(f"    {p.token:<16} user {p.user_id:<4} {', '.join(sorted(p.rights)) or '-'}")
    print("\n".join(lines), flush=True)


def _display_host(host: str) -> str:
    if host in ("0.0.0.0", "::"):
        return "localhost"
    return f"[{host}]" if ":" in host else host
