"""What a Python service writes with the client openapi-python-client generates, defaults
untouched: typed calls, typed models, typed errors; nothing about the API by hand.

Run by ``tests/clients/test_generated_clients.py`` against a real mock, with the generated
package installed; checked with ``mypy --strict`` first. Prints what it saw as one JSON
line, which the test compares with the mock's own answers.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import httpx
from pf_expert_crm_api_v_2_call_trackings_client import AuthenticatedClient
from pf_expert_crm_api_v_2_call_trackings_client.api.call_trackings import (
    bulk_delete_call_trackings,
    bulk_update_call_trackings,
    delete_call_tracking,
    get_call_tracking_recording,
    list_call_trackings,
)
from pf_expert_crm_api_v_2_call_trackings_client.models import (
    AssignLeadOperation,
    AssignPropertyOperation,
    AssignUserOperation,
    BulkDeleteRequest,
    BulkUpdateRequest,
    BulkUpdateResult,
    CallStatus,
    CallTrackingList,
    Error,
    ListCallTrackingsSort,
    ListCallTrackingsSortOrder,
    MarkAsSeenOperation,
    RecordingResponse,
    User,
    UserRef,
)


def page_of(client: AuthenticatedClient, **query: Any) -> CallTrackingList:
    answer = list_call_trackings.sync(client=client, **query)
    if not isinstance(answer, CallTrackingList):
        raise SystemExit(f"a list was refused: {answer!r}")
    return answer


def every_id(client: AuthenticatedClient, per_page: int) -> list[int]:
    ids: list[int] = []
    page = 1
    while True:
        answer = page_of(client, page=page, per_page=per_page, sort=ListCallTrackingsSort.ID)
        ids += [ct.id for ct in answer.call_trackings]
        count = answer.count if isinstance(answer.count, int) else 0
        if len(ids) >= count or not answer.call_trackings:
            return ids
        page += 1


def main(base_url: str, session: str) -> dict[str, Any]:
    client = AuthenticatedClient(base_url=base_url, token="admin-token",
                                 headers={"X-Mock-Session": session})
    answered = page_of(client, filtersstatus=CallStatus.ANSWERED,
                       sort=ListCallTrackingsSort.DATE,
                       sort_order=ListCallTrackingsSortOrder.DESC_LOWERCASE, per_page=5)
    ids = every_id(client, 40)

    expanded = page_of(client, per_page=1, sort=ListCallTrackingsSort.ID,
                       x_my_crm_expand_data="user").call_trackings[0].user
    collapsed = page_of(client, per_page=1).call_trackings[0].user
    if not isinstance(expanded, User) or not isinstance(collapsed, UserRef):
        raise SystemExit(f"relations decoded as {type(expanded)} and {type(collapsed)}")
    first_name = expanded.public.first_name if expanded.public else None

    first, second, third, fourth = ids[:4]
    patched = bulk_update_call_trackings.sync(client=client, body=BulkUpdateRequest(
        calltrackings=[first, second],
        operations=[
            AssignUserOperation(op="replace", path="/assignment/user", value=3),
            AssignPropertyOperation(op="replace", path="/assignment/property", value=201),
            AssignLeadOperation(op="replace", path="/assignment/lead", value=101),
            MarkAsSeenOperation(op="replace", path="/seen", value=False),
        ],
    ))
    if not isinstance(patched, BulkUpdateResult):
        raise SystemExit(f"the bulk update was refused: {patched!r}")

    one = delete_call_tracking.sync_detailed(third, client=client)
    several = bulk_delete_call_trackings.sync_detailed(
        client=client, body=BulkDeleteRequest(calltrackings=[fourth]))

    recorded = next(ct for ct in answered.call_trackings if isinstance(ct.download_url, str))
    recording = get_call_tracking_recording.sync(recorded.id, client=client)
    if not isinstance(recording, RecordingResponse):
        raise SystemExit(f"the recording was refused: {recording!r}")
    audio = httpx.get(recording.recording.url)

    refused = delete_call_tracking.sync_detailed(999999, client=client)
    error = refused.parsed
    if not isinstance(error, Error) or not error.errors:
        raise SystemExit(f"deleting an unknown id gave no typed error: {error!r}")
    problem = error.errors[0]

    def ref(relation: object) -> int | None:
        return relation.id if isinstance(relation, User | UserRef) else None

    return {
        "answered": [[ct.id, ct.status.value, ct.call_start.isoformat()]
                     for ct in answered.call_trackings],
        "paged": ids,
        "expanded": [expanded.id, first_name],
        "collapsed": collapsed.to_dict(),
        "patched": [[ct.id, ref(ct.user), None if ct.property_ is None else ct.property_.id,
                     None if ct.lead is None else ct.lead.id, ct.marked_as_seen]
                    for ct in patched.call_trackings],
        "deleted": [[third, one.status_code.value], [fourth, several.status_code.value]],
        "remaining": every_id(client, 500),
        "recording": [recorded.id, audio.headers["content-type"], len(audio.content)],
        "refused": [refused.status_code.value, error.code, problem.in_.value, problem.name,
                    problem.reason],
    }


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:3])))
