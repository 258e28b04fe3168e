"""Phases in processes of their own: joined in order, and a phase that fails stops the run.

The run is made against a real mock; what a phase does is replaced here (the fork carries
the replacement into its process), so each test is quick and says exactly what happened.
"""

from __future__ import annotations

import os

import pytest
from conftest import RunningServer

from mockserver.contract import runner
from mockserver.contract.classify import Finding, Kind
from mockserver.contract.command import make_plan
from mockserver.contract.options import ContractOptions
from mockserver.contract.secrets import Masker


def plan_for(server: RunningServer) -> runner.Plan:
    options = ContractOptions(base_url=server.url, token="admin-token", seed=3,
                              checks="not_a_server_error", jobs="4")
    return make_plan(options, Masker())


def finding(phase: str) -> Finding:
    return Finding(Kind.OTHER, None, f"GET /{phase}", f"found in {phase}", phase=phase)


def test_outcomes_are_joined_in_the_phases_order_from_their_own_processes(
        live_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()

    def phase_alone(plan: runner.Plan, filter_probe: bool = True) -> runner.Outcome:
        [phase] = plan.options.phase_list
        assert os.getpid() != parent and not filter_probe and plan.jobs == 1
        assert plan.target.session == f"{plan_session}-{phase}"
        return runner.Outcome(findings=[finding(phase)], requests={phase: len(phase)},
                              errors=[f"{phase} note"])

    monkeypatch.setattr(runner, "together", phase_alone)
    plan = plan_for(live_server)
    plan_session = plan.target.session
    outcome = runner.run(plan)
    phases = ["examples", "coverage", "fuzzing", "stateful"]
    assert [f.phase for f in outcome.findings] == phases
    assert list(outcome.requests) == phases  # the filter probe is not selected here
    assert outcome.requests == {p: len(p) for p in phases}
    assert outcome.errors == [f"{p} note" for p in phases]
    assert outcome.seconds > 0


def test_a_phase_that_cannot_run_stops_the_run_naming_it(
        live_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(plan: runner.Plan, filter_probe: bool = True) -> runner.Outcome:
        if plan.options.phase_list == ["fuzzing"]:
            raise ValueError("no schema")
        return runner.Outcome()

    monkeypatch.setattr(runner, "together", failing)
    with pytest.raises(runner.RunError) as caught:
        runner.run(plan_for(live_server))
    assert str(caught.value) == "the fuzzing phase could not run: ValueError: no schema"


def test_a_phase_whose_process_dies_stops_the_run(
        live_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    def dying(plan: runner.Plan, filter_probe: bool = True) -> runner.Outcome:
        if plan.options.phase_list == ["stateful"]:
            os._exit(9)
        return runner.Outcome()

    monkeypatch.setattr(runner, "together", dying)
    with pytest.raises(runner.RunError) as caught:
        runner.run(plan_for(live_server))
    assert str(caught.value) == ("the stateful phase's process ended without a result "
                                 "(exit code 9)")
