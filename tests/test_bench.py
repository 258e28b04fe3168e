"""The benchmark script runs end to end in its tiny mode (its figures are not checked here).

Benchmarks are not timed tests: this only proves that ``make bench`` can start the servers,
drive them, and report every row and target; the targets are read from a full run.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmark_reports_every_row_and_target(tmp_path: Path) -> None:
    output = tmp_path / "performance.md"
    output.write_text("# Performance\n\nKept.\n\n<!-- bench:start -->\nold\n<!-- bench:end -->\n")
    run = subprocess.run(
        [sys.executable, "bench/run.py", "--quick", "--generator", "python",
         "--output", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert run.returncode == 0, run.stderr
    for row in ["list, default page (100)", "list, 50 per page", "list, filters + sort",
                "list, per_page=1", "bulk PATCH, 3 ids"]:
        for mode in ("on", "off"):
            assert f"| {row} | {mode} |" in run.stdout
    assert ("| Prism 5.16 `prism mock` (default logging) | skipped (--no-peers or --quick) |"
            in run.stdout)
    assert "| this mock, validated, rights on (default request log) | skipped" in run.stdout
    assert "| 300 |" in run.stdout and "| 600 |" in run.stdout
    for number in ("1.", "2.", "3.", "4.", "5.", "6.", "7a.", "7b.", "7c.", "7d."):
        assert f"| {number} " in run.stdout
    assert "10 named sessions over 2,000 records, one connection" in run.stdout
    assert "State backends, one connection, 50 requests each" in run.stdout
    assert re.search(r"\| memory \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|", run.stdout)
    assert re.search(r"\| redis( \| [\d.]+){4} \||\| redis \| skipped: redis-server", run.stdout)
    written = output.read_text()
    assert written.startswith("# Performance\n\nKept.\n\n<!-- bench:start -->\nRun ")
    assert "old" not in written
    assert written.rstrip().endswith("<!-- bench:end -->")
    table = run.stdout.split("\n\n", 1)[1]
    assert "| target | measured | |" in table and "| target | measured | |" in written
    assert set(re.findall(r"errors (\d+)", run.stdout)) == {"0"}  # every request answered 2xx
