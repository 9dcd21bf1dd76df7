"""The stand-ins the CI tests rest on: expressions, file commands and the Dockerfile reader.

Their behaviour is the runner's and Docker's documented behaviour; a stand-in that drifted
from it would make the action and image tests pass or fail for the wrong reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ci.composite import parse_file_commands
from tests.ci.dockerfile import BuiltStage, Instruction, build, env_pairs, parse
from tests.ci.expressions import ExpressionError, Status, condition, evaluate, interpolate

CONTEXTS = {
    "inputs": {"upload": "true", "profile": "", "base-url": "https://x.test/v1"},
    "steps": {"run": {"outputs": {"exit-code": "1"}}},
}


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("inputs.upload == 'true'", True),
        ("inputs.upload == 'TRUE'", True),  # strings compare case-insensitively
        ("steps.run.outputs.exit-code == 1", True),  # mixed types compare as numbers
        ("inputs.profile || 'reference'", "reference"),  # || returns an operand
        ("inputs.upload && 'yes'", "yes"),
        ("inputs.profile && 'yes'", ""),
        ("inputs.base-url", "https://x.test/v1"),
        ("steps.missing.outputs.x", None),  # a missing property is null, not an error
        ("!inputs.profile", True),
        ("format('[\"{0}\"]', 'a')", '["a"]'),
        ('fromJSON(\'["a","b"]\')', ["a", "b"]),
        ("contains(fromJSON('[\"a\"]'), 'A')", True),
        ("inputs['upload']", "true"),
        ("'it''s'", "it's"),
    ],
)
def test_expressions_evaluate_as_on_the_runner(expression: str, value: object) -> None:
    assert evaluate(expression, CONTEXTS) == value


def test_unsupported_syntax_is_an_error_not_a_guess() -> None:
    with pytest.raises(ExpressionError):
        evaluate("hashFiles('x')", CONTEXTS)
    with pytest.raises(ExpressionError):
        evaluate("secrets.KEY", CONTEXTS)  # a context the caller did not give
    with pytest.raises(ExpressionError):
        evaluate("inputs.upload ==", CONTEXTS)


def test_conditions_add_success_unless_a_status_function_is_named() -> None:
    failed = Status(failed=True)
    assert condition(None, CONTEXTS, Status()) and not condition(None, CONTEXTS, failed)
    assert not condition("inputs.upload == 'true'", CONTEXTS, failed)
    assert condition("always() && inputs.upload == 'true'", CONTEXTS, failed)
    assert condition("${{ failure() }}", CONTEXTS, failed)
    assert not condition("always() && inputs.profile != ''", CONTEXTS, Status())


def test_interpolation_renders_null_and_booleans_as_the_runner_does() -> None:
    text = "a=${{ steps.x.outputs.y }} b=${{ inputs.upload == 'true' }} c=${{ 3 }}"
    assert interpolate(text, CONTEXTS) == "a= b=true c=3"


def test_file_commands_read_lines_and_heredocs() -> None:
    text = "a=1\nb=x=y\nc<<EOF\nline 1\nline 2\nEOF\nd=\n"
    assert parse_file_commands(text) == {"a": "1", "b": "x=y", "c": "line 1\nline 2", "d": ""}
    with pytest.raises(ValueError):
        parse_file_commands("c<<EOF\nno end\n")


def test_dockerfile_continuations_comments_and_stages() -> None:
    stages = parse(
        "ARG V=1\nFROM python:3.11-slim AS build\nRUN a \\\n  # dropped\n    && b\n"
        "FROM build\nENV A=1 \\\n    B='two words'\nCMD [\"run\"]\n"
    )
    assert [(s.image, s.name) for s in stages] == [("python:3.11-slim", "build"), ("build", None)]
    assert stages[0].instructions == [Instruction("RUN", "a && b", 3)]
    env = stages[1].last("ENV")
    assert env is not None and env_pairs(env) == {"A": "1", "B": "two words"}
    cmd = stages[1].last("CMD")
    assert cmd is not None and cmd.exec_form() == ["run"]
    assert env_pairs(Instruction("ENV", "LEGACY some value", 1)) == {"LEGACY": "some value"}


def test_absolute_paths_move_under_the_stage_root_and_urls_do_not(tmp_path: Path) -> None:
    stage = BuiltStage(root=tmp_path, bin=tmp_path / "bin", workdir="/src")
    command = "pip install /wheels/*.whl https://x.test/a && rm -rf /wheels && cd ../x"
    assert stage.rewrite(command) == (
        f"pip install {tmp_path}/wheels/*.whl https://x.test/a && rm -rf {tmp_path}/wheels"
        " && cd ../x"
    )
    assert stage.path("spec") == tmp_path / "src/spec"
    assert stage.path("/work") == tmp_path / "work"


def _no_python(path: Path) -> Path:
    # The recipes below need no Python: an empty bin stands for the base image's.
    (path / "bin").mkdir(parents=True)
    return path / "bin"


def test_a_recipe_copies_between_stages_and_records_user_administration(tmp_path: Path) -> None:
    context = tmp_path / "context"
    context.mkdir()
    (context / "a.txt").write_text("x", encoding="utf-8")
    stages = parse(
        "FROM python:3.11-slim AS build\nWORKDIR /src\nCOPY a.txt ./\n"
        "RUN test -f /src/a.txt && mkdir /out && cp a.txt /out/\n"
        "FROM python:3.11-slim\nCOPY --from=build /out /copied\n"
        "RUN useradd --uid 7 u && chown u /copied\nUSER 7\n"
    )
    built = build(stages, context, tmp_path / "built", _no_python, "/usr/bin:/bin")
    final = built[1]
    assert final.path("/copied/a.txt").read_text(encoding="utf-8") == "x"
    assert final.recorded == [
        ["useradd", "--uid", "7", "u"],
        ["chown", "u", str(final.path("/copied"))],
    ]
    assert final.user == "7"


@pytest.mark.parametrize(
    ("dockerfile", "error", "message"),
    [
        ("FROM x:1.0\nRUN false\n", RuntimeError, "line 2: RUN exited 1"),
        ("FROM x:1.0\nCOPY missing.txt ./\n", FileNotFoundError, "missing.txt"),
    ],
)
def test_a_broken_recipe_fails_the_build(
    dockerfile: str, error: type[Exception], message: str, tmp_path: Path
) -> None:
    with pytest.raises(error, match=message):
        build(parse(dockerfile), tmp_path, tmp_path / "built", _no_python, "/usr/bin:/bin")
