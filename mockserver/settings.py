"""Every option of the mock, its default, and how it is read from the environment.

One ``Settings`` object owns all defaults. The command line and ``MOCKSERVER_*``
environment variables both feed it (``from_env``), and ``create_app`` reads nothing else.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "MOCKSERVER_"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def default_fixtures_dir() -> Path:
    """``mockserver/fixtures``: a symlink to ``fixtures/`` in a checkout, a copy in a wheel."""
    return Path(__file__).with_name("fixtures")


def _opt(help_text: str, choices: tuple[str, ...] | None = None, **kwargs: Any) -> Any:
    return field(metadata={"help": help_text, "choices": choices}, **kwargs)


VALIDATORS = ("fast", "openapi-core")


@dataclass
class Settings:
    host: str = _opt("interface to listen on", default="127.0.0.1")
    port: int = _opt("TCP port (0 picks a free one)", default=8080)
    seed: int = _opt("seed of the generated data", default=42)
    count: int = _opt("how many call trackings to hold (fixtures included)", default=250)
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
        "pin the clock stamped on changes (ISO 8601), for byte-identical runs", default=None
    )
    threads: int = _opt("worker threads of the WSGI server", default=8)
    max_body: int = _opt("largest accepted request body in bytes (413 beyond)", default=1 << 20)
    log_level: str = _opt("DEBUG, INFO, WARNING or ERROR", default="INFO")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            choices = f.metadata.get("choices")
            if choices and getattr(self, f.name) not in choices:
                raise ValueError(
                    f"{f.name} must be one of {', '.join(choices)}, not {getattr(self, f.name)!r}"
                )

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


def parse_value(name: str, type_name: Any, raw: str) -> Any:
    """Turn an environment string into the field's type, or say which variable is wrong."""
    kind = str(type_name)
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
        return raw or None if "None" in kind else raw
    except ValueError as exc:
        raise ValueError(f"{ENV_PREFIX}{name.upper()}={raw!r}: {exc}") from None
