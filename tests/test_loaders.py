"""Loaders of the research data sets, on small fixture files in their layouts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mmfast.datasets import clean_text, load_flickr_tags, load_food101, load_mmimdb


def write_features(tmp_path, names, n_features=3):
    """A feature file whose row for name i is [i, i, ...], and its names file."""
    matrix = np.repeat(np.arange(len(names), dtype=np.float64)[:, None], n_features, axis=1)
    np.save(tmp_path / "features.npy", matrix)
    (tmp_path / "names.txt").write_text("".join(f"{name}\n" for name in names))
    return tmp_path / "features.npy", tmp_path / "names.txt"


def test_food101_aligns_texts_labels_and_features_by_image_name(tmp_path):
    csv_path = tmp_path / "train_titles.csv"
    csv_path.write_text(
        'apple_pie_1.jpg,"Grandma\'s Apple Pie, the best\nrecipe",apple_pie\n'
        "sushi_7.jpg,Easy   Sushi Rolls,sushi\n"
    )
    features, names = write_features(tmp_path, ["sushi_7.jpg", "other.jpg", "apple_pie_1.jpg"])
    data = load_food101(csv_path, features, names)
    assert data.texts == ["Grandma's Apple Pie, the best recipe", "Easy Sushi Rolls"]
    assert data.labels == ["apple_pie", "sushi"]
    assert data.ids == ["apple_pie_1.jpg", "sushi_7.jpg"]
    assert data.features.dtype == np.float32
    np.testing.assert_array_equal(data.features[:, 0], [2, 0])
    cleaned = load_food101(csv_path, clean=True)
    assert cleaned.texts[0] == "grandma ' s apple pie , the best recipe"
    assert cleaned.features is None


def test_food101_columns_by_name_and_errors_name_file_and_column(tmp_path):
    csv_path = tmp_path / "kaggle.csv"
    csv_path.write_text("image_path,text,food\na.jpg,some text,pizza\n")
    data = load_food101(csv_path, columns=("image_path", "text", "food"), header=True)
    assert (data.ids, data.texts, data.labels) == (["a.jpg"], ["some text"], ["pizza"])
    with pytest.raises(ValueError, match=r"kaggle\.csv: no column 'label' \(label\)"):
        load_food101(csv_path, columns=("image_path", "text", "label"), header=True)
    short = tmp_path / "short.csv"
    short.write_text("a.jpg,text,pizza\nb.jpg,no label\n")
    with pytest.raises(ValueError, match=r"short\.csv, line 2: no column 2 \(label\)"):
        load_food101(short)
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        load_food101(tmp_path / "missing.csv")
    features, names = write_features(tmp_path, ["b.jpg"])
    with pytest.raises(ValueError, match=r"names\.txt: no features for 1 ids .*'a\.jpg'"):
        load_food101(csv_path, features, names, columns=("image_path", "text", "food"),
                     header=True)
    with pytest.raises(ValueError, match="features and feature_names go together"):
        load_food101(csv_path, features, columns=("image_path", "text", "food"), header=True)


def write_mmimdb(root, movies, splits):
    (root / "dataset").mkdir(parents=True)
    for movie, record in movies.items():
        (root / "dataset" / f"{movie}.json").write_text(json.dumps(record))
    (root / "split.json").write_text(json.dumps(splits))


def test_mmimdb_reads_a_split_with_multilabel_genres(tmp_path):
    root = tmp_path / "mmimdb"
    write_mmimdb(root, {
        "0001": {"plot": ["A detective hunts.", "Second\nplot."], "genres": ["Crime", "Drama"],
                 "title": "X"},
        "0002": {"plot": ["Aliens land."], "genres": ["Sci-Fi"]},
        "0003": {"plot": ["Unused."], "genres": ["Comedy"]},
    }, {"train": ["0002", "0001"], "dev": ["0003"], "test": []})
    features, names = write_features(tmp_path, ["0001", "0002", "0003"])
    data = load_mmimdb(root, "train", features=features, feature_names=names)
    assert data.ids == ["0002", "0001"]
    assert data.texts == ["Aliens land.", "A detective hunts. Second plot."]
    assert data.labels == [["Sci-Fi"], ["Crime", "Drama"]]
    np.testing.assert_array_equal(data.features[:, 0], [1, 0])
    assert load_mmimdb(root, "dev", clean=True).texts == ["unused ."]


def test_mmimdb_errors_name_the_file_and_the_field(tmp_path):
    root = tmp_path / "mmimdb"
    write_mmimdb(root, {"0001": {"genres": ["Drama"]}}, {"train": ["0001", "0002"]})
    with pytest.raises(ValueError, match=r"split\.json: no split 'dev'"):
        load_mmimdb(root, "dev")
    with pytest.raises(ValueError, match=r"0001\.json: no field 'plot'"):
        load_mmimdb(root)
    (root / "dataset" / "0001.json").write_text('{"plot": ["p"], "genres": ["Drama"]}')
    with pytest.raises(FileNotFoundError, match=r"0002\.json"):
        load_mmimdb(root)
    with pytest.raises(FileNotFoundError, match=r"other\.json"):
        load_mmimdb(root, split_file=tmp_path / "other.json")


def test_flickr_tags_cleans_text_and_tags_as_fasttext_does(tmp_path):
    path = tmp_path / "yfcc.tsv"
    path.write_text(
        "title\tdescription\ttags\n"
        "Sunset+at+the+Beach%21\tWe+went+<b>there</b>,+then+home.\tbeach,Sunset,new+york,beach\n"
        "No+tags\there\t\n"
        'Say+"cheese"\t(quoted)\tfamily\n'
    )
    data = load_flickr_tags(path)
    assert data.texts == ["sunset at the beach ! we went there , then home .",
                          "say cheese ( quoted )"]
    assert data.labels == [["beach", "sunset", "new_york"], ["family"]]
    assert data.ids == ["2", "4"]  # line numbers; the untagged row is left out
    assert data.features is None


def test_flickr_tags_by_position_without_header_and_missing_columns(tmp_path):
    path = tmp_path / "yfcc100m_dataset"
    path.write_text("0\t123\tMy title\tmy text\ta,b\n")
    data = load_flickr_tags(path, columns=(2, 3, 4), header=False, url_encoded=False)
    assert (data.texts, data.labels) == (["my title my text"], [["a", "b"]])
    with pytest.raises(ValueError, match=r"yfcc100m_dataset, line 1: no column 10 \(tags\)"):
        load_flickr_tags(path, columns=(2, 3, 10), header=False)
    header = tmp_path / "header.tsv"
    header.write_text("title\tdescription\n")
    with pytest.raises(ValueError, match=r"header\.tsv: no column 'tags' \(tags\)"):
        load_flickr_tags(header)


def test_clean_text():
    assert clean_text("Hello, World! It's <br />fine: (really)?") == (
        "hello , world ! it ' s fine ( really ) ?"
    )
