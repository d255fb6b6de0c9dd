"""Builds ``debtags``, a real multi-label multi-modal set, from the local Debian
package index.

    python benchmarks/make_debtags.py /work/data/real/debtags

One example per package that carries debtags (the ``Tag:`` field):

- text: the package's short description (``Description:``), cleaned as
  fastText's example scripts do (``mmfast.datasets.clean_text``);
- labels: its tags (``role::program``, ``use::editing``, ...), keeping those
  on at least ``--min-count`` packages and dropping placeholders (``*::TODO``,
  ``special::*``); a package left without a tag is left out;
- features: what it depends on, a different view of the same package: the
  package names in ``Depends``, ``Pre-Depends`` and ``Recommends`` (versions,
  architecture qualifiers dropped; every alternative of ``a | b`` counts) as a
  binary bag, TF-IDF weighted, projected to ``--dim`` values by a truncated SVD
  and L2-normalised. The vocabulary, weights and SVD are fitted on the training
  split alone (names on fewer than 2 training packages are dropped); a package
  that depends on nothing kept has a zero row.

The split is 80/20 with seed 0. The directory gets fastText-format
``train.txt`` / ``test.txt`` (``__label__`` prefixes, every label of an
example on its line), line-aligned ``train_features.npy`` /
``test_features.npy`` (float32) and ``meta.json``, as in the shared real sets.

The index is ``apt-cache dumpavail`` unless ``--packages`` names a Packages
file (plain, or ``.lz4`` read through ``lz4cat``). Needs scikit-learn (the
benchmark extra); the library does not.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
from collections import Counter
from dataclasses import dataclass

import numpy as np

from mmfast.datasets import clean_text

LABEL_PREFIX = "__label__"
RELATIONS = ("Depends", "Pre-Depends", "Recommends")
# A relation's package name: what precedes a version "(...)", an architecture
# qualifier ":any" or a restriction "[...]" / "<...>".
_PACKAGE_NAME = re.compile(r"^\s*([a-z0-9][a-z0-9+.\-]*)")


@dataclass(frozen=True)
class Package:
    name: str
    description: str
    tags: list[str]
    depends_on: list[str]


def read_index(packages: str | None) -> str:
    """The index's text: ``apt-cache dumpavail``, or a Packages file."""
    if packages is None:
        command = ["apt-cache", "dumpavail"]
    elif packages.endswith(".lz4"):
        command = ["lz4cat", packages]
    else:
        with open(packages, encoding="utf-8") as file:
            return file.read()
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def parse_stanzas(index: str) -> list[dict[str, str]]:
    """Every stanza's fields (continuation lines joined by spaces)."""
    stanzas = []
    for block in index.split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t"):
                if key is not None:
                    fields[key] += " " + line.strip()
            elif ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        if fields:
            stanzas.append(fields)
    return stanzas


def relation_names(value: str) -> list[str]:
    """Package names of a relation field such as ``a (>= 1), b | c:any``."""
    names = []
    for alternative in re.split(r"[,|]", value):
        match = _PACKAGE_NAME.match(alternative)
        if match:
            names.append(match.group(1))
    return names


def packages_with_tags(stanzas: list[dict[str, str]]) -> list[Package]:
    """One Package per name that has tags and a description (first stanza wins)."""
    packages: dict[str, Package] = {}
    for fields in stanzas:
        name, tags = fields.get("Package"), fields.get("Tag")
        if not name or not tags or not fields.get("Description") or name in packages:
            continue
        depends_on = sorted({n for rel in RELATIONS for n in relation_names(fields.get(rel, ""))})
        packages[name] = Package(name, fields["Description"],
                                 [t.strip() for t in tags.split(",") if t.strip()], depends_on)
    return [packages[name] for name in sorted(packages)]


def is_placeholder(tag: str) -> bool:
    return tag.endswith("::TODO") or tag.startswith("special::")


def kept_tags(packages: list[Package], min_count: int) -> set[str]:
    counts = Counter(tag for package in packages for tag in package.tags)
    return {tag for tag, n in counts.items() if n >= min_count and not is_placeholder(tag)}


def dependency_features(train: list[Package], test: list[Package], dim: int,
                        seed: int) -> tuple[np.ndarray, np.ndarray]:
    """TF-IDF of the binary bag of depended-on names, truncated SVD to ``dim``,
    L2-normalised rows; fitted on ``train``."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=lambda names: names, binary=True, min_df=2)
    train_bags = vectorizer.fit_transform([p.depends_on for p in train])
    test_bags = vectorizer.transform([p.depends_on for p in test])
    svd = TruncatedSVD(n_components=dim, random_state=seed).fit(train_bags)

    def project(bags: object) -> np.ndarray:
        rows = svd.transform(bags)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return (rows / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    return project(train_bags), project(test_bags)


def write_split(directory: str, name: str, packages: list[Package], tags: set[str],
                features: np.ndarray) -> None:
    with open(os.path.join(directory, f"{name}.txt"), "w", encoding="utf-8") as file:
        for package in packages:
            labels = " ".join(LABEL_PREFIX + t for t in package.tags if t in tags)
            file.write(f"{labels} {clean_text(package.description)}\n")
    np.save(os.path.join(directory, f"{name}_features.npy"), features)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", help="where to write the set")
    parser.add_argument("--packages", help="a Packages file (default: apt-cache dumpavail)")
    parser.add_argument("--min-count", type=int, default=150,
                        help="keep tags on at least this many packages")
    parser.add_argument("--dim", type=int, default=256, help="feature dimensions")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    packages = packages_with_tags(parse_stanzas(read_index(args.packages)))
    tags = kept_tags(packages, args.min_count)
    packages = [p for p in packages if any(t in tags for t in p.tags)]
    order = np.random.default_rng(args.seed).permutation(len(packages))
    n_train = int(round(0.8 * len(packages)))
    train = [packages[i] for i in order[:n_train]]
    test = [packages[i] for i in order[n_train:]]
    train_features, test_features = dependency_features(train, test, args.dim, args.seed)

    os.makedirs(args.directory, exist_ok=True)
    write_split(args.directory, "train", train, tags, train_features)
    write_split(args.directory, "test", test, tags, test_features)
    labels_per_example = [sum(t in tags for t in p.tags) for p in packages]
    meta = {
        "source": "Debian package index (apt-cache dumpavail or --packages): packages with debtags",
        "text": "the short description, cleaned (mmfast.datasets.clean_text)",
        "labels": f"debtags on >= {args.min_count} packages, placeholders (*::TODO, special::*) "
                  "dropped",
        "features": f"TF-IDF of the binary bag of {'/'.join(RELATIONS)} package names "
                    f"(fitted on train, min_df 2), truncated SVD to {args.dim}, L2-normalised",
        "n_train": len(train),
        "n_test": len(test),
        "n_classes": len(tags),
        "labels_per_example": round(float(np.mean(labels_per_example)), 3),
        "n_features": args.dim,
        "seed": args.seed,
    }
    with open(os.path.join(args.directory, "meta.json"), "w", encoding="utf-8") as file:
        json.dump(meta, file, indent=1)
        file.write("\n")
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
