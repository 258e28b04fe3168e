"""Same seed, same requests, whatever else the process has imported.

Hypothesis draws "local constants" from the source of every non-installed module loaded
(see ``mockserver/contract/reproducible.py``). Two contract runs with the same seed against
the same mock, one from a bare process and one that has imported a module full of
literals and the rest of our package, must send exactly the same requests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import RunningServer

from mockserver.contract.reproducible import hook_in_place, local_constants_off

# Records every request the run sends (method, URL with its query, body) in order; headers
# are left out: schemathesis numbers its cases and the run names a random private session.
RECORDING_RUN = """
import hashlib, json, sys
import requests
sent = []
original = requests.Session.request
def recording(self, method, url, *args, **kwargs):
    sent.append(repr((method, url, kwargs.get("data"), kwargs.get("json"))))
    return original(self, method, url, *args, **kwargs)
requests.Session.request = recording
if sys.argv[1] == "more":
    sys.path.insert(0, sys.argv[2])
    import literals  # noqa: F401  (its constants are what a draw could pick up)
    import mockserver.web.app, mockserver.proxy.command  # noqa: F401,E401
from mockserver.cli import main
code = main(["contract", "--base-url", sys.argv[3], "--token", "admin-token", "--seed", "7",
             "--phases", "fuzzing", "--max-examples", "15", "--checks", "not_a_server_error"])
print(json.dumps({"code": code, "count": len(sent),
                  "digest": hashlib.sha256("\\n".join(sent).encode()).hexdigest()}))
"""

LITERALS = "\n".join(
    [f"WORD_{i} = 'zq{i}x'" for i in range(200)]
    + [f"NUMBER_{i} = {7919 * i + 13}" for i in range(200)]
    + ["SORT = 'ASC'", "STATUS = 'seen'", "EMPTY = ''", "HUGE = 2 ** 63"]
) + "\n"


def recorded_run(server: RunningServer, mode: str, literals: Path) -> dict[str, object]:
    finished = subprocess.run(
        [sys.executable, "-c", RECORDING_RUN, mode, str(literals), server.url],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    result: dict[str, object] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


# Every process of a run (one per phase) appends what it sends to one file: pid, the session
# it sent on (its phase's), and the request. Lines are short writes in append mode.
PARALLEL_RUN = """
import os, sys
import requests
log = open(sys.argv[1], "a")
original = requests.Session.request
def recording(self, method, url, *args, **kwargs):
    session = (kwargs.get("headers") or {}).get("X-Mock-Session") or \\
        self.headers.get("X-Mock-Session", "")
    line = repr((method, url, kwargs.get("data"), kwargs.get("json")))
    log.write(f"{os.getpid()}\\t{session.rsplit('-', 1)[-1]}\\t{line}\\n")
    log.flush()
    return original(self, method, url, *args, **kwargs)
requests.Session.request = recording
from mockserver.cli import main
sys.exit(main(["contract", "--base-url", sys.argv[2], "--token", "admin-token", "--seed", "7",
               "--max-examples", "10", "--jobs", "4"]))
"""


def parallel_run(server: RunningServer, log: Path) -> tuple[set[str], dict[str, list[str]]]:
    """The processes that sent requests, and each phase's requests in the order sent."""
    finished = subprocess.run([sys.executable, "-c", PARALLEL_RUN, str(log), server.url],
                              capture_output=True, text=True, timeout=300, check=False)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    assert "(4 at once, each in a process of its own)" in finished.stdout
    pids, sent = set(), {}
    for line in log.read_text().splitlines():
        pid, phase, request = line.split("\t", 2)
        if phase in ("examples", "coverage", "fuzzing", "stateful"):
            pids.add(pid)
            sent.setdefault(phase, []).append(request)
    return pids, sent


def test_phases_in_processes_of_their_own_send_the_same_requests_each_run(
        live_server: RunningServer, tmp_path: Path) -> None:
    """Each phase draws from the seed and the schema alone, on a session of its own: run
    twice, every phase sends exactly what it sent the first time, whatever the others did."""
    first_pids, first = parallel_run(live_server, tmp_path / "first.log")
    second_pids, second = parallel_run(live_server, tmp_path / "second.log")
    assert set(first) == {"examples", "coverage", "fuzzing", "stateful"}
    assert len(first_pids) == len(second_pids) == 4  # a process per phase
    assert all(len(requests) > 5 for requests in first.values())
    assert first == second


def test_the_hook_is_where_the_pinned_hypothesis_keeps_it() -> None:
    from hypothesis.internal.conjecture import providers

    assert hook_in_place()
    before = providers._get_local_constants
    with local_constants_off(), local_constants_off():  # nested: restored once, at the end
        assert len(providers._get_local_constants()) == 0
    assert providers._get_local_constants is before


def test_the_same_seed_sends_the_same_requests_whatever_is_imported(
        live_server: RunningServer, tmp_path: Path) -> None:
    (tmp_path / "literals.py").write_text(LITERALS)
    bare = recorded_run(live_server, "bare", tmp_path)
    more = recorded_run(live_server, "more", tmp_path)
    assert bare["code"] == 0
    assert isinstance(bare["count"], int) and bare["count"] > 15
    assert more == bare
