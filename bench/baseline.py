"""The mock as it was before the second round, built from git history, beside today's.

Target 6 compares a default contract run with the one of before, on the same machine and
in the same run, like every other figure of the bench: the tree of ``COMMIT`` is exported
(``git archive``, nothing of the checkout is touched) into ``bench/.baseline/<commit>``,
with a virtual environment of its own holding its own pinned dependencies (installed once,
from the package index; a stamp says it is ready). Its ``mockserver serve`` and
``mockserver contract`` are then run exactly as today's are.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMIT = "cfa329d"  # the last commit before the second round of performance work
HOME = Path(__file__).resolve().parent / ".baseline"


def prepare(commit: str = COMMIT) -> Path | str:
    """The directory of the old tree, its environment installed; or why there is none."""
    tree = HOME / commit
    stamp = tree / ".venv" / ".installed"
    if stamp.exists():
        return tree
    if shutil.which("git") is None:
        return "git is not installed"
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "tree.tar"
        exported = subprocess.run(["git", "archive", "--format=tar", "-o", str(archive),
                                   commit], cwd=ROOT, capture_output=True, text=True)
        if exported.returncode != 0:
            return f"git archive {commit} failed: {exported.stderr.strip()[-200:]}"
        with tarfile.open(archive) as tar:
            tar.extractall(tree, filter="data")
    steps = [[sys.executable, "-m", "venv", str(tree / ".venv")],
             [str(tree / ".venv" / "bin" / "pip"), "install", "--quiet", str(tree)]]
    for step in steps:
        done = subprocess.run(step, cwd=tree, capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            return f"{' '.join(step[:3])} failed: {done.stderr.strip()[-200:]}"
    stamp.touch()
    return tree


def mockserver(tree: Path) -> str:
    return str(tree / ".venv" / "bin" / "mockserver")
