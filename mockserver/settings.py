"""Every option of the mock, its default, and how it is read from the environment.

One ``Settings`` object owns all defaults. The command line and ``MOCKSERVER_*``
environment variables both feed it (``from_env``), and ``create_app`` reads nothing else.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ENV_PREFIX = "MOCKSERVER_"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def default_fixtures_dir() -> Path:
    """``mockserver/fixtures``: a symlink to ``fixtures/`` in a checkout, a copy in a wheel."""
    return Path(__file__).with_name("fixtures")


def _opt(
    help_text: str,
    *,
    choices: tuple[str, ...] = (),
    minimum: float | None = None,
    maximum: float | None = None,
    **kwargs: Any,
) -> Any:
    """A field with its help text, and the values it accepts (checked in ``__post_init__``)."""
    metadata = {"help": help_text, "choices": choices, "minimum": minimum, "maximum": maximum}
    return field(metadata=metadata, **kwargs)


VALIDATORS = ("fast", "openapi-core")


@dataclass
class Settings:
    host: str = _opt("interface to listen on", default="127.0.0.1")
    port: int = _opt("TCP port (0 picks a free one)", default=8080, minimum=0, maximum=65535)
    seed: int = _opt("seed of the generated data", default=42)
    count: int = _opt(
        "how many call trackings to hold (fixtures included)", default=250, minimum=0
    )
    fixtures: Path = _opt("directory of fixture YAML files", default_factory=default_fixtures_dir)
    no_response_validation: bool = _opt(
        "do not check the mock's own responses against the contract", default=False
    )
    validator: str = _opt(
        "how requests and responses are checked: 'fast' (checks compiled from the spec, "
        "openapi-core words the errors) or 'openapi-core' (the reference; slow)",
        choices=VALIDATORS,
        default="fast",
    )
    no_validation: bool = _opt(
        "FOR BENCHMARKING ONLY: check neither requests nor responses against the contract "
        "(parameters are still typed; a request that breaks the contract may get a 500)",
        default=False,
    )
    now: str | None = _opt(
        "pin the mock's now (ISO 8601): the data ends there and changes are stamped with it, "
        "for byte-identical runs (default: the wall clock; the data ends at the start)",
        default=None,
    )
    history_days: int = _opt(
        "how many days back from now the generated calls reach", default=730, minimum=1,
        maximum=3650,
    )
    threads: int = _opt(
        "worker threads of the server (what cannot be answered at once), besides one per "
        "delayed request", default=8,
        minimum=1,
    )
    connection_limit: int = _opt(
        "open connections served at once; more wait in the listen backlog",
        default=4096,
        minimum=1,
    )
    backlog: int = _opt("pending connections the OS queues before refusing", default=1024,
                        minimum=1)
    channel_timeout: int = _opt(
        "seconds an idle keep-alive connection (or one that sends nothing) is kept open",
        default=30, minimum=1,
    )
    header_timeout: float = _opt(
        "seconds a request's headers may take to arrive, from its first byte", default=10.0,
        minimum=0.1,
    )
    body_timeout: float = _opt(
        "seconds a whole request may take to arrive, body included, from its first byte",
        default=30.0, minimum=0.1,
    )
    grace: float = _opt(
        "seconds to finish in-flight requests after SIGTERM before exiting anyway",
        default=5.0,
        minimum=0,
    )
    max_body: int = _opt(
        "largest accepted request body in bytes (413 beyond)", default=1 << 20, minimum=1
    )
    log_level: str = _opt(
        "least severe log messages written",
        default="INFO",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
    )
    log_format: str = _opt(
        "request and event log lines: plain text, or one JSON object per line",
        default="text",
        choices=("text", "json"),
    )

    max_sessions: int = _opt(
        "how many named sessions (X-Mock-Session) to keep; the least recently used goes first",
        default=100,
        minimum=1,
    )
    session_idle_seconds: float = _opt(
        "drop a named session unused for this many seconds", default=3600.0, minimum=0.001
    )
    journal_size: int = _opt(
        "how many requests the journal keeps per session", default=200, minimum=1
    )
    max_delay_ms: int = _opt(
        "longest delay a fault or a 'Prefer: delay=' may ask for, in milliseconds",
        default=30_000,
        minimum=0,
    )
    max_delayed: int = _opt(
        "requests held by a delay at once (each on a thread of its own); more get 503",
        default=32, minimum=1, maximum=1000,
    )
    response_cache: int = _opt(
        "checked answers to repeated reads kept for reuse until the data, the caller or the "
        "request changes (0: none)", default=2048, minimum=0, maximum=100_000,
    )
    max_reset_count: int = _opt(
        "largest count a POST /__mock/reset may generate", default=10_000, minimum=0,
    )
    admin_token: str | None = _opt(
        "if set, /__mock/ endpoints (but health, their spec and recordings) require it",
        default=None,
    )
    signing_key: Path | None = _opt(
        "PEM RSA private key the issued tokens are signed with (default: the shipped one, "
        "public on purpose: a mock's key protects nothing)", default=None,
    )
    token_issuer: str | None = _opt(
        "the iss of issued tokens, and the one accepted (default: the upstream's issuer)",
        default=None,
    )
    state_file: Path | None = _opt(
        "keep the default session's data in this JSON file: loaded at start, saved on change",
        default=None,
    )

    state_backend: str = _opt(
        "where the sessions live: this process's memory, or a Redis that every replica "
        "pointed at it shares (one sandbox, several processes)",
        choices=("memory", "redis"), default="memory",
    )
    redis_url: str = _opt(
        "the Redis of --state-backend redis (a database number picks one sandbox of several)",
        default="redis://localhost:6379/0",
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.metadata["choices"]:
                setattr(self, f.name, _choose(f.name, value, f.metadata["choices"]))
            minimum, maximum = f.metadata["minimum"], f.metadata["maximum"]
            if minimum is not None and value < minimum:
                raise ValueError(f"{_names(f.name)}: {value!r} is below the minimum {minimum:g}")
            if maximum is not None and value > maximum:
                raise ValueError(f"{_names(f.name)}: {value!r} is above the maximum {maximum:g}")
        if self.now is not None and _iso_problem(self.now):
            raise ValueError(f"{_names('now')}: {self.now!r} {_iso_problem(self.now)}")
        if self.state_backend == "redis" and self.state_file is not None:
            raise ValueError(f"{_names('state_file')}: only for the memory backend; with "
                             f"{_names('state_backend')} redis, Redis keeps the state "
                             "(configure its persistence, see the README)")
        if self.admin_token is not None and not self.admin_token.strip():
            raise ValueError(f"{_names('admin_token')}: must not be blank")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``MOCKSERVER_*`` variables, then explicit overrides."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = parse_value(f.name, f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _iso_problem(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return "is not an ISO 8601 date and time, e.g. 2025-01-15T09:30:00+04:00"
    return None


def _names(name: str) -> str:
    return f"--{name.replace('_', '-')} / {ENV_PREFIX}{name.upper()}"


def _choose(name: str, value: str, choices: tuple[str, ...]) -> str:
    """The choice ``value`` names, in its canonical spelling (case does not matter)."""
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise ValueError(f"{_names(name)}: {value!r} is not one of {', '.join(choices)}")


def base_type(type_name: Any) -> str:
    """``"Path | None"`` -> ``"Path"``: the type a present value is converted to."""
    return str(type_name).removesuffix(" | None")


def parse_value(name: str, type_name: Any, raw: str) -> Any:
    """Turn an environment string into the field's type, or say which variable is wrong."""
    kind = str(type_name)
    if kind.endswith(" | None") and raw == "":
        return None
    kind = base_type(kind)
    try:
        if kind == "bool":
            word = raw.strip().lower()
            if word not in TRUE_WORDS | FALSE_WORDS:
                raise ValueError(f"expected one of {sorted(TRUE_WORDS | FALSE_WORDS)}")
            return word in TRUE_WORDS
        if kind == "int":
            return int(raw)
        if kind == "Path":
            return Path(raw)
        if kind == "float":
            return float(raw)
        return raw
    except ValueError as exc:
        raise ValueError(f"{ENV_PREFIX}{name.upper()}={raw!r}: {exc}") from None
