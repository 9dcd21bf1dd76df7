"""A Dockerfile read as Docker reads it, and its build recipe run without a Docker engine.

``parse`` gives the instructions per stage. ``build`` runs the recipe on this machine: each stage
gets a directory standing for its filesystem (absolute paths in ``WORKDIR``, ``COPY`` and ``RUN``
are taken relative to it) and a fresh virtualenv standing for the base image's Python (first on
``PATH``, so ``python`` and the scripts pip installs are that Python's). ``RUN`` commands go
through ``/bin/sh -c`` as in Docker. User administration (``useradd``, ``chown``, ...) would change
this machine, so those commands are recorded instead of run; the test checks the recording.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

RECORDED = ("useradd", "groupadd", "adduser", "addgroup", "chown", "chgrp")
"""Commands that administer users of the machine: recorded, not run."""

_ABSOLUTE = re.compile(r"(?<![\w.$/~:-])/(?=[\w.*-])")


@dataclass(frozen=True)
class Instruction:
    """One instruction: its keyword (upper case), its argument text and first line number."""

    keyword: str
    args: str
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON (exec) form's list, or None for the shell form."""
        text = self.args.strip()
        if not text.startswith("["):
            return None
        value = json.loads(text)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"line {self.line}: {self.keyword} is not a JSON list of strings")
        return value


@dataclass
class Stage:
    """One ``FROM`` and what follows it."""

    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        """This stage's instructions with ``keyword``."""
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        """The instruction that takes effect (the last one) with ``keyword``."""
        found = self.all(keyword)
        return found[-1] if found else None


def parse(text: str) -> list[Stage]:
    """The stages of a Dockerfile (continuations joined, comment lines dropped, as Docker does)."""
    stages: list[Stage] = []
    logical: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip().startswith("#") or (not raw.strip() and logical):
            continue  # Docker drops comment and empty lines, also inside a continuation
        if not logical:
            start = number
        if raw.rstrip().endswith("\\"):
            logical.append(raw.rstrip()[:-1])
            continue
        logical.append(raw)
        line = " ".join(part.strip() for part in logical).strip()
        logical = []
        if not line:
            continue
        keyword, _, args = line.partition(" ")
        instruction = Instruction(keyword.upper(), args.strip(), start)
        if instruction.keyword == "FROM":
            words = args.split()
            words = [w for w in words if not w.startswith("--platform")]
            name = words[2] if len(words) == 3 and words[1].lower() == "as" else None
            stages.append(Stage(words[0], name))
        elif not stages:
            if instruction.keyword != "ARG":
                raise ValueError(f"line {start}: {instruction.keyword} before FROM")
        else:
            stages[-1].instructions.append(instruction)
    if logical:
        raise ValueError("the file ends inside a continued line")
    return stages


def env_pairs(instruction: Instruction) -> dict[str, str]:
    """``ENV a=1 b=2`` (or the legacy ``ENV a 1``) as a dict."""
    words = shlex.split(instruction.args)
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(word.split("=", 1) for word in words)


@dataclass
class BuiltStage:
    """What ``build`` left of a stage: its filesystem, its Python's ``bin``, and its state."""

    root: Path
    bin: Path
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    user: str = "root"
    recorded: list[list[str]] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)

    def path(self, inside: str) -> Path:
        """Where the image's ``inside`` path is on this machine."""
        absolute = inside if inside.startswith("/") else f"{self.workdir.rstrip('/')}/{inside}"
        return self.root / os.path.normpath(absolute).lstrip("/")

    def rewrite(self, command: str) -> str:
        """``command`` with every absolute path moved under this stage's root."""
        return _ABSOLUTE.sub(lambda _: f"{self.root}/", command)


def _copy(sources: list[Path], dest: Path, into: bool) -> None:
    for source in sources:
        if not source.exists():
            raise FileNotFoundError(f"COPY source {source} does not exist")
        if source.is_dir():
            shutil.copytree(source, dest, dirs_exist_ok=True)
        else:
            target = dest / source.name if into else dest
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _shims(directory: Path, log: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in RECORDED:
        shim = directory / name
        shim.write_text(
            f'#!/bin/sh\nprintf "%s\\0" {name} "$@" >> "{log}"\nprintf "\\n" >> "{log}"\n',
            encoding="utf-8",
        )
        shim.chmod(0o755)


def build(
    stages: list[Stage],
    context: Path,
    workdir: Path,
    new_python: Callable[[Path], Path],
    base_path: str,
    timeout: float = 900,
) -> list[BuiltStage]:
    """Run every stage's recipe; ``new_python(dir)`` makes a fresh Python, returning its bin."""
    built: list[BuiltStage] = []
    by_name: dict[str, BuiltStage] = {}
    for index, stage in enumerate(stages):
        here = workdir / f"stage{index}"
        state = BuiltStage(root=here / "fs", bin=new_python(here / "python"))
        state.root.mkdir(parents=True)
        shims = here / "shims"
        _shims(shims, here / "recorded")
        for instruction in stage.instructions:
            _apply(instruction, state, context, by_name, shims, base_path, timeout)
        recorded = here / "recorded"
        if recorded.exists():
            for entry in recorded.read_text(encoding="utf-8").split("\n"):
                if entry:
                    state.recorded.append(entry.rstrip("\0").split("\0"))
        built.append(state)
        by_name[stage.name or str(index)] = state
    return built


def _apply(
    instruction: Instruction,
    state: BuiltStage,
    context: Path,
    stages: dict[str, BuiltStage],
    shims: Path,
    base_path: str,
    timeout: float,
) -> None:
    keyword, args = instruction.keyword, instruction.args
    if keyword == "WORKDIR":
        state.workdir = os.path.normpath(
            args if args.startswith("/") else f"{state.workdir}/{args}"
        )
        state.path(state.workdir).mkdir(parents=True, exist_ok=True)
    elif keyword == "ENV":
        state.env.update(env_pairs(instruction))
    elif keyword == "USER":
        state.user = args
    elif keyword == "COPY":
        words = shlex.split(args)
        source_stage = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), None)
        words = [w for w in words if not w.startswith("--")]
        *sources, dest = words
        origin = stages[source_stage] if source_stage else None
        paths = [origin.path(s) if origin else context / s for s in sources]
        _copy(paths, state.path(dest), into=dest.endswith("/") or len(sources) > 1)
    elif keyword == "RUN":
        env = {
            "PATH": os.pathsep.join([str(state.bin), str(shims), base_path]),
            "HOME": str(state.path("/root")),
            **state.env,
        }
        done = subprocess.run(
            ["/bin/sh", "-c", state.rewrite(args)],
            cwd=state.path(state.workdir),
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        state.logs.append(done.stdout + done.stderr)
        if done.returncode != 0:
            raise RuntimeError(
                f"line {instruction.line}: RUN exited {done.returncode}: {done.stderr[-2000:]}"
            )
    # FROM is the stage itself; EXPOSE, ENTRYPOINT, CMD, LABEL, HEALTHCHECK, ARG shape how the
    # image runs, not its files: the test reads them from the parsed stage.
