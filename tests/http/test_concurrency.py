"""Many clients at once against one real server process: no 5xx, no lost update, counts add up.

Each thread owns disjoint records, so every request has one right answer whatever the
interleaving (``mixed_load``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import PINNED_NOW, RunningServer, start_server
from helpers import wait_until
from mixed_load import DELETED_PER_THREAD, ROUNDS, THREADS, run_mixed_load


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = start_server("--now", PINNED_NOW, "--count", "400")
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.timeout(90)
def test_mixed_load_keeps_every_write(server: RunningServer) -> None:
    setup = run_mixed_load([server.url])
    status, health = setup.send("GET", "/__mock/health")
    assert status == 200
    assert health["counts"]["call_trackings"] == 400 - THREADS * DELETED_PER_THREAD
    setup.close()
    wait_until(lambda: server.log().count("DELETE /calltrackings") >= THREADS * ROUNDS * 2,
               what="every DELETE's log line")
    log = server.log()
    assert "Traceback" not in log and " 500 " not in log
    assert log.count("DELETE /calltrackings") == THREADS * ROUNDS * 2
