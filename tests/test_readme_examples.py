"""Every code block of README.md and benchmarks/README.md runs as written.

The blocks of one document run in order in one empty folder (a shell block may
use the files a Python block before it wrote), each Python block in a fresh
interpreter. A block preceded by ``<!-- not run by tests/test_readme_examples.py:
REASON -->`` is not run; ``text`` blocks are not code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
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
        command = ([sys.executable, "-c", code] if language == "python"
                   else ["bash", "-e", "-c", SHELL_PRELUDE + code])
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                                timeout=600)
        if result.returncode != 0:
            pytest.fail(f"{document}: {language} block failed:\n{code}\n{result.stderr}")
        # speed.py reports a row that raised as skipped, with the exception's name.
        crashed = re.findall(r"skipped: \w*(?:Error|Exception)\b.*", result.stdout)
        assert not crashed, f"{document}: {language} block:\n{code}\n{crashed}"
        ran += 1
    assert ran, f"{document}: no block ran"
