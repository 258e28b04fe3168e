"""Read the Dockerfile and replay its steps on this machine, which has no Docker engine.

The container test must run what the image runs. So it takes the Dockerfile at its word:
each build stage gets a folder standing for its WORKDIR; COPY copies from the build context
as ``.dockerignore`` filters it (symlinks kept, as Docker keeps them); RUN runs the stage's
shell command there. In the final stage the RUN steps that install from other stages run
with their bind mounts pointed at those folders, into a fresh virtual environment. What
cannot run outside an image (creating its system user) is returned, not silently dropped.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath


@dataclass
class Instruction:
    keyword: str
    flags: list[str]  # the leading --name=value options (e.g. --mount, --from)
    args: str

    def flag_values(self, name: str) -> list[str]:
        prefix = f"--{name}="
        return [f[len(prefix):] for f in self.flags if f.startswith(prefix)]

    def exec_form(self) -> list[str]:
        """The JSON array of a CMD (or HEALTHCHECK ... CMD), which Docker runs as is."""
        text = self.args
        if self.keyword == "HEALTHCHECK":
            text = text.split("CMD", 1)[1]
        value = json.loads(text)
        assert isinstance(value, list), f"{self.keyword} must use the exec (JSON) form"
        return [str(v) for v in value]


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    @property
    def workdir(self) -> PurePosixPath:
        dirs = self.all("WORKDIR")
        return PurePosixPath(dirs[-1].args) if dirs else PurePosixPath("/")

    def env(self) -> dict[str, str]:
        """The variables the stage's ENV instructions set, later ones winning."""
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for token in shlex.split(instruction.args):
                name, sep, value = token.partition("=")
                assert sep, f"ENV {instruction.args!r}: use the NAME=value form"
                values[name] = value
        return values


def logical_lines(text: str) -> list[str]:
    """Instructions with their continuation lines joined and comment lines dropped."""
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not current):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return lines


def parse_dockerfile(path: Path) -> list[Stage]:
    stages: list[Stage] = []
    for line in logical_lines(path.read_text()):
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        flags: list[str] = []
        rest = rest.strip()
        while rest.startswith("--"):
            flag, _, rest = rest.partition(" ")
            flags.append(flag)
            rest = rest.strip()
        if keyword == "FROM":
            words = rest.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        else:
            assert stages, f"{keyword} before any FROM"
            stages[-1].instructions.append(Instruction(keyword, flags, rest))
    return stages


# --- .dockerignore --------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's matching: ``**`` spans directories, ``*`` and ``?`` stay inside one."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


@dataclass
class DockerIgnore:
    rules: list[tuple[bool, re.Pattern[str]]]  # (is an exception "!", pattern)

    @classmethod
    def read(cls, path: Path) -> DockerIgnore:
        rules = []
        for line in path.read_text().splitlines() if path.exists() else []:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            exception = line.startswith("!")
            cleaned = os.path.normpath(line.lstrip("!").lstrip("/"))
            rules.append((exception, _pattern_regex(cleaned)))
        return cls(rules)

    def ignores(self, relative: str) -> bool:
        """The last rule matching the path or one of its parent folders decides."""
        parts = relative.split("/")
        prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
        ignored = False
        for exception, regex in self.rules:
            if any(regex.fullmatch(p) for p in prefixes):
                ignored = not exception
        return ignored


# --- replaying ------------------------------------------------------------------------------


@dataclass
class Replay:
    """Folders standing for the build stages' WORKDIRs, and what could not be replayed."""

    context: Path
    stages: list[Stage]
    folders: dict[str, Path] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)

    def copy(self, stage: Stage, instruction: Instruction, folder: Path) -> None:
        assert not instruction.flag_values("from"), "COPY --from is not replayed"
        *sources, dest = shlex.split(instruction.args)
        ignore = DockerIgnore.read(self.context / ".dockerignore")
        target = self.inside(stage, folder, dest)
        for source in sources:
            src = self.context / source
            assert not ignore.ignores(source), f"COPY {source}: excluded by .dockerignore"
            if src.is_dir():

                def skip(directory: str, names: list[str]) -> set[str]:
                    base = Path(directory).relative_to(self.context).as_posix()
                    return {n for n in names if ignore.ignores(f"{base}/{n}")}

                shutil.copytree(src, target, symlinks=True, ignore=skip, dirs_exist_ok=True)
            else:
                into_dir = dest.endswith("/") or dest in (".", "./") or len(sources) > 1
                path = target / src.name if into_dir else target
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, path)

    @staticmethod
    def inside(stage: Stage, folder: Path, path: str) -> Path:
        """Where a path of the stage's image lies in its folder (it must be under WORKDIR)."""
        absolute = PurePosixPath(os.path.normpath(stage.workdir / path))
        relative = absolute.relative_to(stage.workdir)
        return folder / relative

    def build_stage(self, name: str, folder: Path, env: dict[str, str],
                    tool_install: re.Pattern[str]) -> list[str]:
        """COPY and RUN one build stage in ``folder``; returns the tool installs it skipped.

        A RUN matching ``tool_install`` (installing the build tool into the image) is not
        run: the caller checks the pins it names against the tools it runs with instead.
        """
        stage = self.stage(name)
        self.folders[name] = folder
        folder.mkdir(parents=True, exist_ok=True)
        tools: list[str] = []
        for instruction in stage.instructions:
            if instruction.keyword == "COPY":
                self.copy(stage, instruction, folder)
            elif instruction.keyword == "RUN" and tool_install.match(instruction.args):
                tools.append(instruction.args)
            elif instruction.keyword == "RUN":
                run(instruction.args, folder, {**env, **stage.env()})
        return tools

    def install_stage(self, stage: Stage, cwd: Path, env: dict[str, str]) -> None:
        """Run the final stage's RUN steps that read other stages through bind mounts."""
        for instruction in stage.all("RUN"):
            mounts = instruction.flag_values("mount")
            if not mounts:
                self.skipped.append(instruction.args)
                continue
            command = instruction.args
            for mount in mounts:
                options = dict(part.split("=", 1) for part in mount.split(","))
                assert options["type"] == "bind", f"mount {mount}: only bind is replayed"
                source_stage = self.stage(options["from"])
                local = self.inside(source_stage, self.folders[options["from"]],
                                    options["source"])
                command = command.replace(options["target"], str(local))
            run(command, cwd, {**env, **stage.env()})


def run(command: str, cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        ["sh", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"RUN {command}\n{result.stdout}\n{result.stderr}"
