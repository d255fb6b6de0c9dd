"""The public API's docstrings are numpydoc, and their examples run."""

from __future__ import annotations

import doctest
import importlib
import inspect
import re

import pytest

import mmfast
from mmfast import classifier, dataset_file, datasets, manifest, metrics, quantization

# mmfast.autotune is the function; its module is imported by name.
MODULES = [classifier, quantization, datasets, metrics, dataset_file, manifest,
           importlib.import_module("mmfast.autotune")]
CLASSES = [mmfast.Classifier, mmfast.KMeans, mmfast.ProductQuantizer, mmfast.RSPQ,
           mmfast.Dataset, dataset_file.DatasetWriter, mmfast.Manifest]


@pytest.mark.parametrize("module", MODULES, ids=lambda module: module.__name__)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_public_classes_and_methods_have_numpydoc_sections(cls):
    doc = inspect.getdoc(cls)
    for section in ("Parameters", "Attributes", "Examples"):
        assert f"\n{section}\n{'-' * len(section)}\n" in doc, f"{cls.__name__}: no {section}"
    documented = doc.split("\nAttributes\n")[0]
    for name in inspect.signature(cls).parameters:
        assert re.search(rf"\n(\w+, )*{name}(, \w+)* : ", documented), (
            f"{cls.__name__}: parameter {name} undocumented")
    for name, method in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_"):
            continue
        method_doc = inspect.getdoc(method) or ""
        assert "\nReturns\n-------\n" in method_doc or "\nParameters\n" in method_doc, (
            f"{cls.__name__}.{name}: no numpydoc Parameters or Returns")
        for parameter in list(inspect.signature(method).parameters)[1:]:
            assert re.search(rf"(\w+, )*\**{parameter}(, \w+)* : ", method_doc), (
                f"{cls.__name__}.{name}: {parameter}")


FUNCTIONS = [mmfast.load, mmfast.autotune, *(getattr(metrics, name) for name in metrics.__all__)]


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda function: function.__name__)
def test_public_functions_have_numpydoc_sections(function):
    doc = inspect.getdoc(function) or ""
    assert "\nParameters\n----------\n" in doc and "\nReturns\n-------\n" in doc
    for parameter in inspect.signature(function).parameters:
        assert f"\n{parameter} : " in doc, f"{function.__name__}: {parameter} undocumented"


GENERATORS = [getattr(datasets, name) for name in datasets.__all__
              if name.startswith(("make_", "write_", "load_", "clean_"))]


@pytest.mark.parametrize("function", GENERATORS, ids=lambda function: function.__name__)
def test_data_set_functions_have_typed_parameters(function):
    doc = inspect.getdoc(function) or ""
    assert "\nParameters\n----------\n" in doc
    entries = re.findall(r"^\*{0,2}([\w, ]+) : (.+)$", doc, re.M)
    documented = {name.strip() for names, _ in entries for name in names.split(",")}
    assert set(inspect.signature(function).parameters) <= documented
