"""The README's examples of evaluation, data set loaders, the command line,
explanations and tuning run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
FIRST, END = "### Evaluation and metrics", "## Performance"  # the sections checked here


def examples() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    sections = text[text.index(FIRST):text.index(END)]
    return re.findall(r"```(python|bash)\n(.*?)```", sections, re.S)


def test_the_examples_run_in_order(tmp_path):
    blocks = examples()
    assert [language for language, _ in blocks] == ["python"] * 3 + ["bash"] + ["python"] * 2
    # `python` and `mmfast` in the shell examples are this interpreter and its mmfast.
    shell_prelude = (f'python() {{ "{sys.executable}" "$@"; }}\n'
                     'mmfast() { python -m mmfast "$@"; }\n')
    for language, code in blocks:
        command = ([sys.executable, "-c", code] if language == "python"
                   else ["bash", "-e", "-c", shell_prelude + code])
        result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                                timeout=300)
        if result.returncode != 0:
            pytest.fail(f"README {language} example failed:\n{code}\n{result.stderr}")
    assert (tmp_path / "codes.npy").exists() and (tmp_path / "model.mmf").exists()
