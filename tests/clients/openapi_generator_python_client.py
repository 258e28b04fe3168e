"""The Python service again, written against the client openapi-generator's ``python``
generator makes (defaults untouched: package ``openapi_client``, pydantic models).

Run by ``tests/clients/test_generated_clients.py`` against a real mock, with the generated
package installed; prints what it saw as one JSON line for the test to compare.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from typing import Any

from openapi_client import ApiClient, CallTrackingsApi, Configuration
from openapi_client.exceptions import NotFoundException
from openapi_client.models import (
    AssignLeadOperation,
    AssignPropertyOperation,
    AssignUserOperation,
    BulkDeleteRequest,
    BulkOperation,
    BulkUpdateRequest,
    Error,
    MarkAsSeenOperation,
    MarkAsSeenOperationValue,
    User,
    UserRef,
)


def every_id(api: CallTrackingsApi, per_page: int) -> list[int]:
    ids: list[int] = []
    page = 1
    while True:
        answer = api.list_call_trackings(page=page, per_page=per_page, sort="id")
        ids += [ct.id for ct in answer.call_trackings]
        if len(ids) >= (answer.count or 0) or not answer.call_trackings:
            return ids
        page += 1


def main(base_url: str, session: str) -> dict[str, Any]:
    client = ApiClient(Configuration(host=base_url, access_token="admin-token"),
                       header_name="X-Mock-Session", header_value=session)
    api = CallTrackingsApi(client)
    answered = api.list_call_trackings(filters_status="answered", sort="date",
                                       sort_order="desc", per_page=5).call_trackings
    ids = every_id(api, 40)

    expanded = api.list_call_trackings(per_page=1, sort="id", x_my_crm_expand_data="user")\
        .call_trackings[0].user
    collapsed = api.list_call_trackings(per_page=1).call_trackings[0].user
    full, ref = (expanded.actual_instance if expanded else None,
                 collapsed.actual_instance if collapsed else None)
    if not isinstance(full, User) or not isinstance(ref, UserRef):
        raise SystemExit(f"relations decoded as {type(full)} and {type(ref)}")

    first, second, third, fourth = ids[:4]
    patched = api.bulk_update_call_trackings(BulkUpdateRequest(
        calltrackings=[first, second],
        operations=[
            BulkOperation(AssignUserOperation(op="replace", path="/assignment/user", value=3)),
            BulkOperation(AssignPropertyOperation(op="replace", path="/assignment/property",
                                                  value=201)),
            BulkOperation(AssignLeadOperation(op="replace", path="/assignment/lead",
                                              value=101)),
            BulkOperation(MarkAsSeenOperation(op="replace", path="/seen",
                                              value=MarkAsSeenOperationValue(False))),
        ],
    ))

    one = api.delete_call_tracking_with_http_info(third)
    several = api.bulk_delete_call_trackings_with_http_info(
        BulkDeleteRequest(calltrackings=[fourth]))

    recorded = next(ct for ct in answered if ct.download_url is not None)
    url = api.get_call_tracking_recording(recorded.id).recording.url
    with urllib.request.urlopen(url) as audio:
        recording = [recorded.id, audio.headers["Content-Type"], len(audio.read())]

    try:
        api.delete_call_tracking(999999)
        raise SystemExit("an unknown id was deleted")
    except NotFoundException as refusal:
        error = Error.from_json(refusal.body)
        if error is None or not error.errors:
            raise SystemExit(f"a 404 without errors: {refusal.body}") from None
        problem = error.errors[0]
        refused = [refusal.status, error.code, problem.var_in, problem.name, problem.reason]

    def relation_id(relation: Any) -> int | None:
        return None if relation is None else relation.actual_instance.id

    return {
        "answered": [[ct.id, ct.status.value, ct.call_start.isoformat()] for ct in answered],
        "paged": ids,
        "expanded": [full.id, full.public.first_name],
        "collapsed": ref.to_dict(),
        "patched": [[ct.id, relation_id(ct.user), relation_id(ct.var_property),
                     relation_id(ct.lead), ct.marked_as_seen]
                    for ct in patched.call_trackings],
        "deleted": [[third, one.status_code], [fourth, several.status_code]],
        "remaining": every_id(api, 500),
        "recording": recording,
        "refused": refused,
    }


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:3])))
