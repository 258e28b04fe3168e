"""The first invalid request of a fresh ``mockserver serve``, and the next one.

    python bench/first_error.py [--rounds 3]

The fast validator hands invalid requests to openapi-core for their error messages; built
lazily, it made a process's first 400 wait for it. ``serve`` now builds it in the
background once it listens. Figures, not verdicts: each round starts a server, waits for
its health check and two seconds more, then times two invalid requests.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time

import requests

ADMIN = {"Authorization": "Bearer admin-token"}


def one_round() -> tuple[float, float]:
    process = subprocess.Popen([sys.executable, "-m", "mockserver", "serve", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        url = ""
        for line in process.stdout:
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                url = match.group(1)
                break
        requests.get(f"{url}/__mock/health", timeout=30).raise_for_status()
        time.sleep(2)  # what a person does between starting the mock and using it
        timings = []
        for value in ("lots", "lotz"):
            started = time.perf_counter()
            answer = requests.get(f"{url}/calltrackings", params={"per_page": value},
                                  headers=ADMIN, timeout=30)
            timings.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 400, answer.text
        return timings[0], timings[1]
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")
    for number in range(1, rounds + 1):
        first, second = one_round()
        print(f"round {number}: first invalid request {first:.0f} ms, second {second:.0f} ms")


if __name__ == "__main__":
    main()
