"""The one table of Classifier's hyperparameters (mmfast._params.CLASSIFIER)
and everything that must agree with it: __init__'s signature, the docstring,
the native core's configuration and its stub, the command line, the README."""

from __future__ import annotations

import ast
import inspect
import json
import re
from pathlib import Path

import numpy as np
import pytest

import mmfast
from mmfast import _core, _jobs
from mmfast._params import BY_NAME, CLASSIFIER
from mmfast.cli import parser
from mmfast.cli._options import described, model_params, plain

ROOT = Path(__file__).resolve().parent.parent


def test_init_signature_follows_the_table():
    parameters = list(inspect.signature(mmfast.Classifier).parameters.values())
    assert [p.name for p in parameters] == [param.name for param in CLASSIFIER]
    for p in parameters:
        assert p.default == BY_NAME[p.name].default, p.name
        assert p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD


def test_docstring_documents_every_parameter_from_the_table():
    doc = inspect.getdoc(mmfast.Classifier)
    section = doc.split("\nParameters\n----------\n")[1].split("\n\nAttributes\n")[0]
    assert section == "\n".join(param.numpydoc() for param in CLASSIFIER)
    for param in CLASSIFIER:
        assert f"\n{param.name} : {param.type}, default={param.default!r}\n" in f"\n{section}\n"


def test_core_config_fields_and_defaults_agree_with_the_table():
    config = _core.ClassifierConfig()
    fields = {name for name in dir(config) if not name.startswith("_")}
    assert fields == {param.core for param in CLASSIFIER if param.core}
    for param in CLASSIFIER:
        if param.core is None or param.name == "n_jobs":  # the core resolves 0 to a count
            continue
        assert getattr(config, param.core) == pytest.approx(param.to_core(param.default)), (
            param.name)


def test_core_stub_lists_the_config_fields():
    stub = ast.parse((ROOT / "python/mmfast/_core.pyi").read_text())
    config = next(node for node in stub.body
                  if isinstance(node, ast.ClassDef) and node.name == "ClassifierConfig")
    stubbed = {node.target.id for node in config.body if isinstance(node, ast.AnnAssign)}
    assert stubbed == {param.core for param in CLASSIFIER if param.core}


def test_command_line_options_are_the_table():
    train = parser()._subparsers._group_actions[0].choices["train"]
    options = {action.dest: action for action in train._actions}
    defaults = model_params(parser().parse_args(["train", "in.txt", "-o", "m.mmf"]))
    for param in CLASSIFIER:
        if param.option:
            assert defaults[param.name] == param.default
            assert options[param.name].help == described(plain(param.doc), param.default)
        elif param.name != "verbose":  # every command's --verbose / --quiet
            assert param.name not in options and param.name not in defaults


def test_readme_table_lists_every_parameter():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| ", readme.split("| parameter | default |")[1].split(
        "\n\n")[0], re.M)
    assert sorted(rows) == sorted(param.name for param in CLASSIFIER)


@pytest.mark.parametrize("param", [p for p in CLASSIFIER if p.name != "quantizer"],
                         ids=lambda p: p.name)
def test_every_parameter_is_checked_before_training(param):
    clf = mmfast.Classifier(**{param.name: "bad" if param.choices is None else "nonsense"})
    with pytest.raises((TypeError, ValueError), match=param.name):
        clf.fit(["a b", "c d"], [0, 1])


def test_files_and_pickles_written_before_the_renaming_still_load():
    clf = mmfast.Classifier(dim=4, buckets=100, n_jobs=1, random_state=3, verbose=0)
    clf.fit(["a b", "c d"] * 5, [0, 1] * 5)
    old_names = {"n_jobs": "threads", "random_state": "seed"}
    metadata = json.loads(clf._metadata())
    metadata["params"] = {old_names.get(k, k): v for k, v in metadata["params"].items()}
    data = clf._native.to_bytes(json.dumps(metadata).encode())
    loaded = mmfast.Classifier._from_native(*_jobs.run(_core.Classifier.from_bytes(data)))
    assert (loaded.n_jobs, loaded.random_state) == (1, 3)
    for estimator in (clf, mmfast.KMeans(n_clusters=2, n_jobs=1, random_state=3).fit(
            np.eye(4, dtype=np.float32))):
        state = {old_names.get(k, k): v for k, v in estimator.__getstate__().items()}
        restored = type(estimator).__new__(type(estimator))
        restored.__setstate__(state)
        assert (restored.n_jobs, restored.random_state) == (1, 3)
        assert not hasattr(restored, "threads") and not hasattr(restored, "seed")
