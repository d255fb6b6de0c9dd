"""Every code block of README.md and benchmarks/README.md runs as written, and
prints what its comments say it prints.

The blocks of one document run in order in one empty folder (a shell block may
use the files a Python block before it wrote), each Python block in a fresh
interpreter. A block preceded by ``<!-- not run by tests/test_readme_examples.py:
REASON -->`` is not run; ``text`` blocks are not code.

A comment ``# -> OUTPUT`` on a top-level ``print(...)`` of a Python block, or
on the line right below it, shows what it prints; comment lines below that
which start with ``#`` and two spaces continue OUTPUT (one printed line,
wrapped), and a note may follow OUTPUT on its first line after two spaces and
a ``#``. Runs of whitespace count as one space. OUTPUT must be printed exactly, unless it ends with
``(numbers ± T)``: then each number may differ by up to T from the one shown,
and the rest must be equal. The tolerance is for what training gives, which
changes with the threads and the CPU's vector kernels. Other comments are
prose, not checked."""

from __future__ import annotations

import ast
import io
import os
import re
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Where each document's blocks run: README.md's in an empty folder (they write
# their own data), benchmarks/README.md's at the checkout's root, as it says.
DOCUMENTS = {"README.md": None, "benchmarks/README.md": ROOT}
SKIP = "<!-- not run by tests/test_readme_examples.py: "
BLOCK = re.compile(r"(?P<skip><!-- not run by [^\n]*-->\n)?```(?P<language>\w*)\n(?P<code>.*?)```",
                   re.S)
# `python` and `mmfast` in the shell blocks are this interpreter and its mmfast.
SHELL_PRELUDE = f'python() {{ "{sys.executable}" "$@"; }}\nmmfast() {{ python -m mmfast "$@"; }}\n'


SHOWN = re.compile(r"#\s*->\s*(?P<output>.*)")
TOLERANCE = re.compile(r"\s*\(numbers ± (?P<tolerance>\d+(?:\.\d+)?)\)$")
NUMBER = r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?"
MARK = "\x1e"  # separates the outputs of the checked prints


@dataclass(frozen=True)
class Shown:
    """What a comment says a print prints."""

    first: int  # the print statement's lines, 1-based
    last: int
    output: str
    tolerance: float | None  # None: exactly


def shown_outputs(code: str) -> list[Shown]:
    """The checked prints of a Python block, in order."""
    comments = {token.start[0]: token.string for token in
                tokenize.generate_tokens(io.StringIO(code).readline)
                if token.type == tokenize.COMMENT}
    lines = code.splitlines()
    found = []
    for statement in ast.parse(code).body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == "print"):
            continue
        last = statement.end_lineno or statement.lineno
        line = last
        match = SHOWN.match(comments.get(line, ""))
        if match is None and last < len(lines) and lines[last].lstrip().startswith("#"):
            line = last + 1
            match = SHOWN.match(comments.get(line, ""))
        if match is None:
            continue
        output = match["output"].split("  # ")[0]
        following = line + 1
        while following <= len(lines) and re.match(r"\s*#  ", lines[following - 1]):
            output += " " + lines[following - 1].strip()[1:].strip()
            following += 1
        tolerance = TOLERANCE.search(output)
        if tolerance is not None:
            output = output[:tolerance.start()]
        found.append(Shown(statement.lineno, last, " ".join(output.split()),
                           None if tolerance is None else float(tolerance["tolerance"])))
    return found


def with_marks(code: str, shown: list[Shown]) -> str:
    """``code`` writing MARK lines around each checked print."""
    lines = code.splitlines()
    for k, item in reversed(list(enumerate(shown))):
        mark = f"__import__('sys').stdout.write({MARK!r} + '{k}\\n')"
        lines[item.last:item.last] = [mark]
        lines[item.first - 1:item.first - 1] = [mark]
    return "\n".join(lines) + "\n"


def printed_outputs(stdout: str, count: int) -> list[str]:
    """What each checked print wrote, whitespace runs as one space."""
    parts = stdout.split(MARK)
    return [" ".join(parts[2 * k + 1].split("\n", 1)[1].split()) for k in range(count)]


def matches(printed: str, shown: Shown) -> bool:
    if shown.tolerance is None:
        return printed == shown.output
    got, want = re.split(f"({NUMBER})", printed), re.split(f"({NUMBER})", shown.output)
    if len(got) != len(want):
        return False
    # Between numbers, spacing may differ: numpy pads an array's numbers to
    # one width ("[0.859 0.847 0.84 ]" shows as "[0.85 0.84 0.84]").
    return all("".join(a.split()) == "".join(b.split()) if i % 2 == 0
               else abs(float(a) - float(b)) <= shown.tolerance + 1e-12
               for i, (a, b) in enumerate(zip(got, want)))


def blocks(document: str) -> list[tuple[str, str, str | None]]:
    """(language, code, reason it is not run or None) of each fenced block."""
    text = (ROOT / document).read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(text):
        skip = match["skip"]
        reason = skip[len(SKIP):-len(" -->\n")].strip() if skip else None
        found.append((match["language"], match["code"], reason))
    return found


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_block_is_code_that_runs_or_says_why_not(document):
    for language, code, reason in blocks(document):
        assert language in ("python", "bash", "text"), f"{document}: unlabelled block:\n{code}"
        if reason is not None:
            assert reason and language == "bash", f"{document}: skipped without a reason:\n{code}"


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_blocks_run_in_order(document, tmp_path):
    if document.startswith("benchmarks") and os.environ.get("MMFAST_SANITIZER"):
        pytest.skip("scripts/sanitize.sh: the benchmark's peers are not sanitizer builds; "
                    "the plain test run covers it")
    cwd = DOCUMENTS[document] or tmp_path
    ran = 0
    for language, code, reason in blocks(document):
        if reason is not None or language == "text":
            continue
        shown = shown_outputs(code) if language == "python" else []
        command = ([sys.executable, "-c", with_marks(code, shown)] if language == "python"
                   else ["bash", "-e", "-c", SHELL_PRELUDE + code])
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                                timeout=600)
        if result.returncode != 0:
            pytest.fail(f"{document}: {language} block failed:\n{code}\n{result.stderr}")
        # speed.py reports a row that raised as skipped, with the exception's name.
        crashed = re.findall(r"skipped: \w*(?:Error|Exception)\b.*", result.stdout)
        assert not crashed, f"{document}: {language} block:\n{code}\n{crashed}"
        for item, printed in zip(shown, printed_outputs(result.stdout, len(shown))):
            statement = "\n".join(code.splitlines()[item.first - 1:item.last])
            assert matches(printed, item), (
                f"{document}: {statement}\nprinted: {printed}\nthe comment shows: {item.output}"
                + ("" if item.tolerance is None else f" (numbers ± {item.tolerance})"))
        ran += 1
    assert ran, f"{document}: no block ran"


def test_shown_outputs_are_read_from_the_comments_and_checked():
    code = ("x = 1\nprint(x)  # -> 1  # a note\nprint(2.5, 'a b')\n"
            "# -> 2.4\n#    a b (numbers ± 0.2)\nprint(3)  # prose\n")
    shown = shown_outputs(code)
    assert [(item.output, item.tolerance) for item in shown] == [("1", None), ("2.4 a b", 0.2)]
    assert matches("1", shown[0]) and not matches("1.0", shown[0])
    assert matches("2.5 a b", shown[1]) and not matches("2.7 a b", shown[1])
    assert not matches("2.5 a c", shown[1])
    padded = Shown(1, 1, "[0.85 0.84 0.84]", 0.04)
    assert matches("[0.859 0.847 0.84 ]", padded) and not matches("[0.859 0.847 0.84 1]", padded)
    stdout = subprocess.run([sys.executable, "-c", with_marks(code, shown)], capture_output=True,
                            text=True, check=True).stdout
    assert printed_outputs(stdout, 2) == ["1", "2.5 a b"]
