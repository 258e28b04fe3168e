"""``mockserver contract``: settle the plan, run, report, and exit 0, 1 or 2.

Everything that can stop the run before it starts (options, credentials, an unreachable
target, credentials the target refuses) is checked first and ends with exit 2 and one
line saying which. Every line printed or written goes through the masker.
"""

from __future__ import annotations

import argparse
import sys

import yaml

from ..core.spec import Spec
from .assumptions import AssumptionIndex
from .credentials import CredentialsError, Token, TokenSource, fetch_token
from .options import ContractOptions, OptionsError, options_from
from .policy import BULK_DELETE, BULK_UPDATE, LIST, SINGLE_DELETE, WritePolicy
from .report import EXIT_NOT_RUN, build, header, results
from .runner import Plan, RunError, run
from .secrets import Masker
from .target import TargetError, probe

PROG = "mockserver contract"
# The credentials check lists; the write policy names the writes.
REQUIRED_OPERATIONS = (LIST, BULK_UPDATE, BULK_DELETE, SINGLE_DELETE)


def main(args: argparse.Namespace) -> int:
    masker = Masker()
    try:
        options = options_from(args)
        for secret in options.secrets:
            masker.add(secret)
        plan = make_plan(options, masker)
    except (OptionsError, UnusableContract, CredentialsError, TargetError) as exc:
        return _fail(masker, str(exc))
    print(masker(header(plan)) + "\n", flush=True)
    try:
        outcome = run(plan)
    except (OptionsError, RunError, TargetError) as exc:
        return _fail(masker, str(exc))
    index = AssumptionIndex(plan.spec)
    report = build(outcome.findings, index)
    print(masker(results(report, outcome, index, options.strict)), flush=True)
    if options.junit_xml is not None:
        from . import junit

        junit.write(options.junit_xml, plan, report, outcome, options.strict, masker)
        print(f"JUnit report: {options.junit_xml}")
    return report.status(outcome, options.strict)


class UnusableContract(Exception):
    """The contract file cannot be read, or lacks what the run relies on."""


def make_plan(options: ContractOptions, masker: Masker) -> Plan:
    options.validate()
    spec = load_contract(options)
    base_url = str(options.base_url).rstrip("/")
    tokens = obtain_tokens(options, masker)
    target = probe(base_url, options.request_timeout)
    target.check_credentials(spec.operations[LIST].path,
                             {"Authorization": f"Bearer {tokens.value}"})
    policy = WritePolicy.for_target(spec, target.kind, options.allow_writes, base_url)
    return Plan(options, spec, target, tokens.token, policy, tokens)


def load_contract(options: ContractOptions) -> Spec:
    try:
        spec = Spec.load(options.spec)
    except (OSError, yaml.YAMLError) as exc:
        raise UnusableContract(f"cannot load the contract: {exc}") from None
    missing = [op for op in REQUIRED_OPERATIONS if op not in spec.operations]
    if missing:
        raise UnusableContract(f"cannot load the contract: it has no operation "
                               f"{', '.join(missing)}, which the run relies on")
    return spec


def obtain_tokens(options: ContractOptions, masker: Masker) -> TokenSource:
    """The given token, or one by client credentials that is fetched again before it
    expires; every token fetched is masked in what the run prints."""
    if options.token:
        return TokenSource(Token(options.token, "given with --token or "
                                 "MOCKSERVER_CONTRACT_TOKEN"))

    def fetch() -> Token:
        token = fetch_token(str(options.token_url), str(options.client_id),
                            str(options.client_secret), options.request_timeout,
                            options.token_request)
        masker.add(token.value)
        return token

    return TokenSource(fetch(), fetch)


def _fail(masker: Masker, message: str) -> int:
    print(masker(f"{PROG}: {message}"), file=sys.stderr, flush=True)
    return EXIT_NOT_RUN
