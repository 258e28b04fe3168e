"""Same seed and pinned clock => byte-identical responses; another seed => other data;
another now => the same data, its dates moved."""

from __future__ import annotations

import http.client
import json
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from conftest import PINNED_NOW, TOKENS, make_app, start_server

ADMIN = {"Authorization": f"Bearer {TOKENS['admin']}"}
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+04:00$")
SEEN_AND_USER = {
    "calltrackings": [1, 3, 1010, 1011],
    "operations": [
        {"op": "replace", "path": "/assignment/user", "value": 5},
        {"op": "replace", "path": "/seen", "value": True},
    ],
}
# (method, path, extra headers, JSON body): run in order, so later reads see the changes
REQUESTS: list[tuple[str, str, dict[str, str], Any]] = [
    ("GET", "/calltrackings?per_page=50&page=2", {"X-MyCRM-Expand-Data": "true"}, None),
    ("GET", "/calltrackings?sort=phone&sort_order=DESC&per_page=30",
     {"X-MyCRM-Expand-Data": "user,lead,nope"}, None),
    ("GET", "/calltrackings?filters[status]=answered&filters[foo]=1&per_page=500", {}, None),
    ("GET", "/calltrackings/1/recording", {}, None),
    ("GET", "/calltrackings/3/recording", {}, None),
    ("PATCH", "/calltrackings", {"X-MyCRM-Expand-Data": "property"}, SEEN_AND_USER),
    ("GET", "/calltrackings?sort=updated&sort_order=DESC&per_page=10", {}, None),
    ("DELETE", "/calltrackings/1010", {}, None),
    ("DELETE", "/calltrackings", {}, {"calltrackings": [1011, 99999]}),
    ("PUT", "/calltrackings", {}, None),
    ("OPTIONS", "/calltrackings", {}, None),
    ("PATCH", "/calltrackings", {}, {"operations": [{"op": "add", "path": "/x"}]}),
    ("GET", "/calltrackings?per_page=500&page=1", {}, None),
]

Exchange = tuple[int, list[tuple[str, str]], bytes]


def in_process(seed: int) -> list[Exchange]:
    client = make_app(seed=seed).test_client()
    results = []
    for method, path, headers, body in REQUESTS:
        kwargs = {} if body is None else {"json": body}
        response = client.open(path, method=method, headers={**ADMIN, **headers}, **kwargs)
        results.append((response.status_code, list(response.headers.items()), response.data))
    return results


def over_http(url: str) -> list[Exchange]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    results = []
    try:
        for method, path, headers, body in REQUESTS:
            all_headers = {**ADMIN, **headers}
            payload = None
            if body is not None:
                payload = json.dumps(body).encode()
                all_headers["Content-Type"] = "application/json"
            connection.request(method, path, body=payload, headers=all_headers)
            response = connection.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() != "date"]
            results.append((response.status, kept, data))
    finally:
        connection.close()
    return results


def test_same_seed_same_bytes_in_process() -> None:
    first, second = in_process(42), in_process(42)
    assert first == second
    statuses = [status for status, _, _ in first]
    assert statuses == [200, 200, 200, 200, 404, 200, 200, 204, 404, 405, 200, 400, 200]


def test_same_seed_same_bytes_across_processes() -> None:
    """Two processes with different hash seeds: nothing may depend on set or dict order."""
    servers = [
        start_server("--seed", "7", "--now", PINNED_NOW, env={"PYTHONHASHSEED": str(n)})
        for n in (1, 2)
    ]
    try:
        first, second = (over_http(server.url) for server in servers)
    finally:
        for server in servers:
            server.stop()
    host_of = [urlsplit(server.url).netloc.encode() for server in servers]
    # the recording URL carries the host the client used: the only expected difference
    # (the whole host:port, since a bare port number may also occur inside the data)
    assert [d.replace(host_of[0], b"HOST") for _, _, d in first] == [
        d.replace(host_of[1], b"HOST") for _, _, d in second
    ]
    assert [(s, h) for s, h, _ in first] == [(s, h) for s, h, _ in second]
    assert dict(first[9][1])["Allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH"


def test_different_seeds_give_different_data() -> None:
    listing = len(REQUESTS) - 1
    seed_42, seed_43 = in_process(42)[listing], in_process(43)[listing]
    assert seed_42[0] == seed_43[0] == 200
    records_42 = json.loads(seed_42[2])["call_trackings"]
    records_43 = json.loads(seed_43[2])["call_trackings"]
    assert [r["id"] for r in records_42] == [r["id"] for r in records_43]  # same count, ids
    assert records_42[:20] == records_43[:20]  # the fixtures, 1-20, are the same
    generated_42, generated_43 = records_42[20:], records_43[20:]
    assert generated_42 != generated_43
    different = sum(a["phone"] != b["phone"] for a, b in zip(generated_42, generated_43,
                                                              strict=True))
    assert different > len(generated_42) * 0.9


def test_another_now_over_http_moves_the_dates_and_nothing_else() -> None:
    """Two processes a week apart: the state of one is the other's, every date a week on."""
    week_later = (datetime.fromisoformat(PINNED_NOW) + timedelta(weeks=1)).isoformat()
    servers = [start_server("--now", now) for now in (PINNED_NOW, week_later)]
    try:
        states = []
        for server in servers:
            parts = urlsplit(server.url)
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            connection.request("GET", "/__mock/state")
            states.append(json.loads(connection.getresponse().read()))
            connection.close()
    finally:
        for server in servers:
            server.stop()
    earlier, later = states
    moved = 0
    for collection, records in earlier.items():
        for record, other in zip(records, later[collection], strict=True):
            for key, value in record.items():
                if isinstance(value, str) and STAMP.match(value):
                    value = (datetime.fromisoformat(value) + timedelta(weeks=1)).isoformat()
                    moved += 1
                assert other[key] == value, (collection, record["id"], key)
    assert moved == 250 * 4 + 89 * 2  # each call's four stamps and each lead's two
