"""Every option of ``mockserver contract``, its default, and its environment variable.

As for ``serve``, one dataclass owns the options: the command-line flags are generated
from it, and each option can come from ``MOCKSERVER_CONTRACT_<NAME>`` instead, so that CI
keeps secrets (token, client secret) in its secret store rather than on command lines.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..core.spec import default_spec_path
from ..settings import FALSE_WORDS, TRUE_WORDS
from .credentials import REQUEST_STYLES

ENV_PREFIX = "MOCKSERVER_CONTRACT_"
PHASES = ("examples", "coverage", "fuzzing", "stateful")
SECRET_FIELDS = ("token", "client_secret")


class OptionsError(Exception):
    """Options that make the run impossible; the message names the option."""


def _opt(help_text: str, default: Any = None, **kwargs: Any) -> Any:
    return field(default=default, metadata={"help": help_text, **kwargs})


@dataclass
class ContractOptions:
    base_url: str | None = _opt("URL of the deployment under test, e.g. http://localhost:8080")
    token: str | None = _opt("bearer token (prefer the environment variable)", secret=True)
    client_id: str | None = _opt("OAuth 2.0 client id, to obtain a token by client credentials")
    client_secret: str | None = _opt("OAuth 2.0 client secret (prefer the environment variable)",
                                     secret=True)
    token_url: str | None = _opt("OAuth 2.0 token endpoint for the client-credentials grant")
    token_request: str = _opt("how the token is asked for: 'json' (the upstream's documented "
                              "request: Basic auth, JSON body with scope openid) or 'form' "
                              "(RFC 6749's form-encoded one, for standard OAuth servers)", "json")
    max_examples: int = _opt("examples generated per operation and phase", 100)
    seed: int | None = _opt("seed of the generated data: same seed, same requests")
    checks: str = _opt("comma-separated checks to run, or 'all'", "all")
    phases: str = _opt(f"comma-separated phases among {', '.join(PHASES)}, or 'all'", "all")
    workers: int = _opt("operations tested in parallel", 1)
    jobs: str = _opt("against the mock, phases run at once, each in a process and a session of "
                     "its own: a number, or 'auto' (every phase at once on a machine of more "
                     "than one core); 1 runs them one after another, as always against a real "
                     "deployment", "auto")
    junit_xml: Path | None = _opt("write a JUnit XML report to this file")
    allow_writes: bool = _opt("against a real deployment, also send bulk PATCH (always with "
                              "ids) and single DELETE; never a bulk DELETE", False)
    strict: bool = _opt("count unconfirmed assumptions as failures (exit 1)", False)
    spec: Path = _opt("the OpenAPI document to test against", default_spec_path())
    request_timeout: float = _opt("seconds to wait for each response", 10.0)

    @property
    def phase_list(self) -> list[str]:
        return list(PHASES) if self.phases.strip() == "all" else _split(self.phases)

    @property
    def check_list(self) -> list[str] | None:
        """The checks asked for, or None for all of them."""
        return None if self.checks.strip() == "all" else _split(self.checks)

    @property
    def job_count(self) -> int:
        """How many phases may run at once (``validate`` has checked the value)."""
        if self.jobs.strip().lower() == "auto":
            return len(self.phase_list) if (os.cpu_count() or 1) > 1 else 1
        return int(self.jobs)

    @property
    def secrets(self) -> list[str | None]:
        return [self.token, self.client_secret]

    def validate(self) -> None:
        """Refuse options that cannot make a run, naming the option and its fix."""
        url = urlsplit(self.base_url or "")
        if not self.base_url:
            raise OptionsError("--base-url is required (or MOCKSERVER_CONTRACT_BASE_URL)")
        if url.scheme not in ("http", "https") or not url.netloc:
            raise OptionsError(f"--base-url must be an http(s) URL, not {self.base_url!r}")
        self._validate_credentials()
        for name in ("max_examples", "workers"):
            if getattr(self, name) < 1:
                raise OptionsError(f"--{name.replace('_', '-')} must be at least 1")
        jobs = self.jobs.strip().lower()
        if jobs != "auto" and not (jobs.isdigit() and int(jobs) >= 1):
            raise OptionsError(f"--jobs must be 'auto' or a whole number of at least 1, not "
                               f"{self.jobs!r}")
        if self.request_timeout <= 0:
            raise OptionsError("--request-timeout must be positive")
        if self.token_request not in REQUEST_STYLES:
            raise OptionsError(f"--token-request must be one of {', '.join(REQUEST_STYLES)}, "
                               f"not {self.token_request!r}")
        unknown = [p for p in self.phase_list if p not in PHASES]
        if unknown or not self.phase_list:
            raise OptionsError(f"--phases: unknown {', '.join(unknown) or 'empty list'}; "
                               f"choose among {', '.join(PHASES)}")
        if not self.spec.is_file():
            raise OptionsError(f"--spec: no such file {self.spec}")

    def _validate_credentials(self) -> None:
        oauth = {"--client-id": self.client_id, "--client-secret": self.client_secret,
                 "--token-url": self.token_url}
        given = [name for name, value in oauth.items() if value]
        if self.token and given:
            raise OptionsError(f"give either --token or client credentials, not both "
                               f"(got --token and {', '.join(given)})")
        if given and len(given) < len(oauth):
            missing = [name for name in oauth if name not in given]
            raise OptionsError(f"client credentials need {', '.join(missing)} too")
        if not self.token and not given:
            raise OptionsError("no credentials: give --token, or --client-id, --client-secret "
                               "and --token-url (or their MOCKSERVER_CONTRACT_* variables)")
        if self.token_url and urlsplit(self.token_url).scheme not in ("http", "https"):
            raise OptionsError("--token-url must be an http(s) URL")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for f in dataclasses.fields(ContractOptions):
        flag = "--" + f.name.replace("_", "-")
        help_text = f"{f.metadata['help']} (env {ENV_PREFIX}{f.name.upper()})"
        if _kind(f.type) is bool:
            parser.add_argument(flag, action="store_true", default=None, help=help_text)
        else:
            parser.add_argument(flag, type=str, default=None, help=help_text,
                                metavar=f.name.upper())


def options_from(args: argparse.Namespace, environ: Mapping[str, str] | None = None
                 ) -> ContractOptions:
    """Defaults, then ``MOCKSERVER_CONTRACT_*`` variables, then command-line flags."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in dataclasses.fields(ContractOptions):
        raw = getattr(args, f.name, None)
        source = f"--{f.name.replace('_', '-')}"
        if raw is None:
            raw, source = environ.get(ENV_PREFIX + f.name.upper()), ENV_PREFIX + f.name.upper()
        if raw is None or raw is False:
            continue
        values[f.name] = _convert(f, raw, source)
    return ContractOptions(**values)


def _convert(f: dataclasses.Field[Any], raw: Any, source: str) -> Any:
    kind = _kind(f.type)
    if raw is True or kind is str:
        return raw
    shown = "***" if f.metadata.get("secret") else repr(raw)
    try:
        if kind is bool:
            word = raw.strip().lower()
            if word not in TRUE_WORDS | FALSE_WORDS:
                raise ValueError(f"expected one of {sorted(TRUE_WORDS | FALSE_WORDS)}")
            return word in TRUE_WORDS
        return kind(raw)
    except ValueError as exc:
        raise OptionsError(f"{source}={shown}: {exc}") from None


def _kind(annotation: Any) -> type:
    name = str(annotation).replace(" | None", "")
    return {"int": int, "float": float, "bool": bool, "Path": Path}.get(name, str)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
