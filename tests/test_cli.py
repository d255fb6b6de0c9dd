"""The mmfast command line on fastText-format files."""

from __future__ import annotations

import pytest
from conftest import separable_texts

from mmfast.cli import main


def test_train_test_predict(tmp_path, capsys):
    texts, y = separable_texts(2000)
    data = tmp_path / "train.txt"
    data.write_text("".join(f"__label__c{label} {text}\n" for label, text in zip(y, texts)))
    model = tmp_path / "model.mmf"
    main(["train", str(data), "-o", str(model), "--dim", "16", "--buckets", "10000", "--quiet"])
    assert "saved 5-class model" in capsys.readouterr().out
    main(["test", str(model), str(data)])
    precision = float(capsys.readouterr().out.split()[-1])
    assert precision >= 0.95
    main(["predict", str(model), str(data), "-k", "2"])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2000
    assert lines[0].startswith(f"__label__c{y[0]} ") and len(lines[0].split()) == 4


def test_errors_exit_with_a_message(tmp_path):
    with pytest.raises(SystemExit, match="mmfast test: error: .*cannot open model file"):
        main(["test", str(tmp_path / "missing.mmf"), str(tmp_path / "data.txt")])
