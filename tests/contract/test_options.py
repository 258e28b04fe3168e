"""Options of ``mockserver contract``: flags over MOCKSERVER_CONTRACT_* over defaults, and
the refusals that end a run before it starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.cli import build_parser
from mockserver.contract.options import ContractOptions, OptionsError, options_from
from mockserver.contract.secrets import MASK, Masker
from mockserver.core.spec import default_spec_path

URL = "http://localhost:8080"


def parse(*argv: str, **environ: str) -> ContractOptions:
    args = build_parser().parse_args(["contract", *argv])
    return options_from(args, {f"MOCKSERVER_CONTRACT_{k.upper()}": v for k, v in environ.items()})


def test_defaults() -> None:
    options = parse()
    assert (options.base_url, options.token, options.max_examples, options.seed, options.checks,
            options.phases, options.workers, options.junit_xml, options.allow_writes,
            options.strict, options.spec, options.request_timeout) == (
        None, None, 100, None, "all", "all", 1, None, False, False, default_spec_path(), 10.0)
    assert options.phase_list == ["examples", "coverage", "fuzzing", "stateful"]
    assert options.check_list is None
    assert options.jobs == "auto"


@pytest.mark.parametrize(("jobs", "cores", "phases", "count"), [
    ("auto", 2, "all", 4), ("auto", 8, "coverage,fuzzing", 2), ("auto", 1, "all", 1),
    ("3", 1, "all", 3), (" AUTO ", 4, "stateful", 1),
])
def test_jobs_auto_runs_every_phase_at_once_on_more_than_one_core(
        jobs: str, cores: int, phases: str, count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: cores)
    options = parse(jobs=jobs, phases=phases)
    options.base_url, options.token = URL, "t"
    options.validate()
    assert options.job_count == count


def test_environment_then_flags() -> None:
    options = parse("--max-examples", "7", "--strict", base_url=URL, token="t0k3n",
                    max_examples="50", seed="42", allow_writes="yes", junit_xml="out/r.xml",
                    phases="coverage, stateful", checks="not_a_server_error,filters_applied")
    assert (options.base_url, options.token, options.max_examples, options.seed) == (
        URL, "t0k3n", 7, 42)
    assert options.allow_writes is True and options.strict is True
    assert options.junit_xml == Path("out/r.xml")
    assert options.phase_list == ["coverage", "stateful"]
    assert options.check_list == ["not_a_server_error", "filters_applied"]
    assert options.secrets == ["t0k3n", None]


@pytest.mark.parametrize(("argv", "environ", "message"), [
    ((), {"max_examples": "many"},
     "MOCKSERVER_CONTRACT_MAX_EXAMPLES='many': invalid literal for int() with base 10: 'many'"),
    (("--seed", "x"), {}, "--seed='x': invalid literal for int() with base 10: 'x'"),
    ((), {"strict": "maybe"}, "MOCKSERVER_CONTRACT_STRICT='maybe': expected one of"),
])
def test_values_that_are_not_of_their_type(argv: tuple[str, ...], environ: dict[str, str],
                                           message: str) -> None:
    with pytest.raises(OptionsError) as caught:
        parse(*argv, **environ)
    assert str(caught.value).startswith(message)


GOOD = {"base_url": URL, "token": "t"}
OAUTH = {"client_id": "c", "client_secret": "s", "token_url": "https://auth.example/token"}


@pytest.mark.parametrize(("values", "message"), [
    ({}, "--base-url is required (or MOCKSERVER_CONTRACT_BASE_URL)"),
    ({"base_url": "localhost:8080", "token": "t"},
     "--base-url must be an http(s) URL, not 'localhost:8080'"),
    ({"base_url": URL}, "no credentials: give --token, or --client-id, --client-secret and "
                        "--token-url (or their MOCKSERVER_CONTRACT_* variables)"),
    ({**GOOD, "client_id": "c"},
     "give either --token or client credentials, not both (got --token and --client-id)"),
    ({"base_url": URL, "client_id": "c"},
     "client credentials need --client-secret, --token-url too"),
    ({"base_url": URL, **OAUTH, "token_url": "auth.example/token"},
     "--token-url must be an http(s) URL"),
    ({**GOOD, "max_examples": 0}, "--max-examples must be at least 1"),
    ({**GOOD, "workers": 0}, "--workers must be at least 1"),
    ({**GOOD, "jobs": "0"}, "--jobs must be 'auto' or a whole number of at least 1, not '0'"),
    ({**GOOD, "jobs": "many"},
     "--jobs must be 'auto' or a whole number of at least 1, not 'many'"),
    ({**GOOD, "request_timeout": 0}, "--request-timeout must be positive"),
    ({**GOOD, "phases": "coverage,warp"},
     "--phases: unknown warp; choose among examples, coverage, fuzzing, stateful"),
    ({**GOOD, "phases": ","}, "--phases: unknown empty list; choose among examples, coverage, "
                              "fuzzing, stateful"),
    ({**GOOD, "spec": Path("no/such.yaml")}, "--spec: no such file no/such.yaml"),
])
def test_options_that_cannot_make_a_run(values: dict[str, object], message: str) -> None:
    with pytest.raises(OptionsError) as caught:
        ContractOptions(**values).validate()  # type: ignore[arg-type]
    assert str(caught.value) == message


@pytest.mark.parametrize("values", [GOOD, {"base_url": URL, **OAUTH}])
def test_options_that_can(values: dict[str, str]) -> None:
    ContractOptions(**values).validate()  # type: ignore[arg-type]


def test_the_masker_hides_every_form_of_a_secret() -> None:
    mask = Masker(["p@ss word/1", None, ""])
    mask.add("tok")
    text = "a p@ss word/1 b p%40ss%20word%2F1 c p%40ss%20word/1 d tok e"
    assert mask(text) == f"a {MASK} b {MASK} c {MASK} d {MASK} e"
    assert Masker()("nothing to hide") == "nothing to hide"


def test_the_longest_secret_is_masked_first() -> None:
    assert Masker(["abc", "abcdef"])("xabcdefx") == f"x{MASK}x"
