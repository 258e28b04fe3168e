"""Our own schemathesis check: list filters must filter (see ``filters.py`` for the rule).

It is registered only for the duration of a run (schemathesis keeps checks in a global
registry), so importing this package changes nothing for other schemathesis users.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, Response
from schemathesis.checks import CHECKS
from schemathesis.core.failures import Failure, Severity

from ..core.spec import Spec
from .filters import EnumFilter, describe, enum_filters, items_not_matching

CHECK_NAME = "filters_applied"


class FilterNotApplied(Failure):
    """A list answered a filter with items the filter excludes."""

    code = "ST901"
    checks = (CHECK_NAME,)
    kind_title = "Filter not applied"

    __slots__ = ("parameter", "value")

    def __init__(self, *, operation: str, parameter: str, value: Any, message: str,
                 case_id: str | None = None) -> None:
        super().__init__(operation=operation, title=f"{parameter}={value} not applied",
                         message=message, case_id=case_id, severity=Severity.HIGH)
        self.parameter = parameter
        self.value = value

    @property
    def _unique_key(self) -> str:
        return self.parameter


def make_check(spec: Spec) -> Any:
    rules: dict[tuple[str, str], list[EnumFilter]] = {}
    for rule in enum_filters(spec):
        op = spec.operations[rule.operation_id]
        rules.setdefault((op.method, op.path), []).append(rule)

    def filters_applied(ctx: CheckContext, response: Response, case: Case) -> bool | None:
        applicable = rules.get((case.operation.method.upper(), case.operation.path))
        if not applicable or response.status_code != 200 or not isinstance(case.query, dict):
            return None
        try:
            body = json.loads(response.content)
        except ValueError:
            return None  # not JSON: the schema checks say so
        for rule in applicable:
            wrong = items_not_matching(rule, case.query, body)
            if wrong:
                value = case.query[rule.parameter]
                raise FilterNotApplied(operation=case.operation.label, parameter=rule.parameter,
                                       value=value, message=describe(rule, value, wrong))
        return None

    return filters_applied


@contextmanager
def registered(check: Any) -> Iterator[str]:
    """Register ``check`` in schemathesis for the block, then remove it again."""
    schemathesis.check(check)
    try:
        yield check.__name__
    finally:
        CHECKS.unregister(check.__name__)
