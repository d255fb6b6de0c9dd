// Bindings of fastText-format files (cpp/fasttext_format.h, text_file.h):
// the reader, the writer, and texts as the views C++ reads.
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bindings.h"
#include "common.h"
#include "dataset.h"
#include "fasttext_format.h"
#include "serialization.h"
#include "text_file.h"

namespace mmfast::bindings {

namespace {

// The lines of every example: `label_names` are the classes as str, row i's
// labels label_names[id[offset[i]:offset[i + 1]]].
std::string fasttext_lines(const std::vector<std::string_view>& texts,
                           const std::vector<std::string>& label_names, const int64_t* offset,
                           const int32_t* id, int64_t n_ids, LineBreaks breaks) {
  const int64_t n = static_cast<int64_t>(texts.size());
  std::string out;
  std::vector<std::string_view> labels;
  StopCheck stop_check(kStopCheckBytes);
  for (int64_t i = 0; i < n; ++i) {
    check(offset[i] >= 0 && offset[i] <= offset[i + 1] && offset[i + 1] <= n_ids,
          "y: bad label offsets");
    labels.clear();
    for (int64_t k = offset[i]; k < offset[i + 1]; ++k) {
      check(id[k] >= 0 && static_cast<size_t>(id[k]) < label_names.size(), "y: bad label id");
      labels.push_back(label_names[id[k]]);
    }
    append_fasttext_line(out, labels, texts[i], i, breaks);
    stop_check.done(static_cast<int64_t>(texts[i].size()) + 1);
  }
  return out;
}

}  // namespace

TextViews text_views(py::handle texts, bool allow_empty) {
  TextViews out;
  if (py::isinstance<LabeledTexts>(texts)) {
    out.views = texts.cast<const LabeledTexts&>().texts;
    out.owner = py::reinterpret_borrow<py::object>(texts);
    return out;
  }
  PyObject* seq = PySequence_Fast(texts.ptr(), "texts must be a sequence of str or a file path");
  if (seq == nullptr) throw py::error_already_set();
  out.owner = py::reinterpret_steal<py::object>(seq);
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  PyObject** items = PySequence_Fast_ITEMS(seq);
  out.views.reserve(n);
  for (Py_ssize_t i = 0; i < n; ++i) {
    if (!PyUnicode_Check(items[i])) {
      throw py::type_error("texts[" + std::to_string(i) + "] must be str, got " +
                           std::string(Py_TYPE(items[i])->tp_name));
    }
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(items[i], &size);
    if (data == nullptr) {
      PyErr_Clear();
      throw py::value_error("texts[" + std::to_string(i) +
                            "] cannot be encoded as UTF-8 (it holds a lone surrogate)");
    }
    std::string_view text(data, static_cast<size_t>(size));
    if (!allow_empty) {
      // A token is a run of non-whitespace (see for_each_token): look for its first byte only.
      const bool has_token = text.find_first_not_of(" \t\n\v\f\r") != std::string_view::npos;
      check(has_token, "texts[" + std::to_string(i) +
                           "] is empty: every training text needs at least one word");
    }
    out.views.push_back(text);
  }
  return out;
}

void bind_text_files(py::module_& m, py::module_& testing) {
  m.attr("LABEL_PREFIX") = std::string(kLabelPrefix);

  py::class_<LabeledTexts, std::shared_ptr<LabeledTexts>>(
      m, "LabeledTexts", "Texts and labels read from a fastText-format file.")
      .def("__len__", [](const LabeledTexts& t) { return t.texts.size(); })
      .def_property_readonly("label_names", [](const LabeledTexts& t) { return t.label_names; })
      .def_property_readonly("label_offsets",
                             [](const LabeledTexts& t) { return to_numpy(t.labels.offsets); })
      .def_property_readonly("label_ids",
                             [](const LabeledTexts& t) { return to_numpy(t.labels.values); })
      .def_readonly("skipped_lines", &LabeledTexts::skipped_lines)
      .def_property_readonly(
          "lines", [](const LabeledTexts& t) { return to_numpy(t.lines); },
          "The line (from 0) of each example.")
      .def_readonly("n_lines", &LabeledTexts::n_lines)
      .def(
          "has_words",
          [](const LabeledTexts& t) {
            py::array_t<bool> out(static_cast<py::ssize_t>(t.texts.size()));
            bool* data = out.mutable_data();
            for (size_t i = 0; i < t.texts.size(); ++i) data[i] = !t.texts[i].empty();
            return out;
          },
          "Whether each example has a word (besides its labels).")
      .def(
          "text",
          [](const LabeledTexts& t, int64_t i) {
            check(i >= 0 && i < static_cast<int64_t>(t.texts.size()),
                  "example " + std::to_string(i) + " outside [0, " +
                      std::to_string(t.texts.size()) + ")");
            return t.texts[i];
          },
          py::arg("i"), "Example i's text: its words, without the labels.")
      .def(
          "select",
          [](const std::shared_ptr<LabeledTexts>& self, const CArray<int64_t>& rows) {
            check(rows.ndim() == 1, "rows must be 1-D");
            return select_examples(self, rows.data(), rows.size());
          },
          py::arg("rows"), "The examples `rows`, in that order.");

  m.def(
      "read_fasttext_file",
      [](const std::string& path, bool keep_unlabeled) {
        auto texts = std::make_shared<std::shared_ptr<LabeledTexts>>();
        // Read, then split: each byte counted twice. A pipe's size is unknown (0).
        std::error_code error;
        const auto size = std::filesystem::is_regular_file(path, error)
                              ? std::filesystem::file_size(path, error)
                              : std::uintmax_t{0};
        const double bytes = error ? 0.0 : static_cast<double>(size);
        return start_job(
            kLongCallWork, [=] { *texts = read_fasttext_file(path, keep_unlabeled); }, py::none(),
            [texts] { return py::cast(*texts); }, items_total(2 * bytes));
      },
      py::arg("path"), py::arg("keep_unlabeled"),
      "Starts reading a fastText-format file; the job's result is its LabeledTexts, and it "
      "reports items_done and items_total (bytes read, then split: twice the file's size).");

  m.def(
      "read_fasttext_bytes",
      [](const py::bytes& data, const std::string& name, bool keep_unlabeled) {
        auto contents = std::make_shared<std::string>(data);
        auto texts = std::make_shared<std::shared_ptr<LabeledTexts>>();
        return start_job(
            static_cast<double>(contents->size()),
            [=] { *texts = read_fasttext_contents(std::move(*contents), name, keep_unlabeled); },
            py::none(), [texts] { return py::cast(*texts); },
            items_total(static_cast<double>(contents->size())));
      },
      py::arg("data"), py::arg("name"), py::arg("keep_unlabeled"),
      "read_fasttext_file for a file's contents read elsewhere (standard input).");

  m.def(
      "write_fasttext_file",
      [](const std::string& path, py::handle texts, const std::vector<std::string>& label_names,
         const CArray<int64_t>& label_offsets, const CArray<int32_t>& label_ids, bool append,
         bool line_breaks_as_spaces) {
        TextViews views = text_views(texts, /*allow_empty=*/true);
        auto lines = std::make_shared<const std::vector<std::string_view>>(std::move(views.views));
        auto names = std::make_shared<const std::vector<std::string>>(label_names);
        double bytes = 0;
        for (std::string_view text : *lines) bytes += static_cast<double>(text.size());
        const LineBreaks breaks =
            line_breaks_as_spaces ? LineBreaks::kAsSpaces : LineBreaks::kRefuse;
        const int64_t* offsets = label_offsets.data();
        const int32_t* ids = label_ids.data();
        const int64_t n_ids = label_ids.size();
        check(label_offsets.ndim() == 1 &&
                  label_offsets.size() == static_cast<py::ssize_t>(lines->size()) + 1 &&
                  label_ids.ndim() == 1,
              "y: one row of labels per text");
        return start_job(
            bytes,
            [=] {
              const std::string out = fasttext_lines(*lines, *names, offsets, ids, n_ids, breaks);
              if (!append) {
                write_file_atomically(path, [&](std::ostream& file) { file << out; });
                return;
              }
              check_path(path);
              std::ofstream file(path, std::ios::binary | std::ios::app);
              file << out;
              file.close();
              if (!file) throw FileError(errno, path, "cannot write '" + path + "'");
            },
            py::make_tuple(views.owner, label_offsets, label_ids));
      },
      py::arg("path"), py::arg("texts"), py::arg("label_names"), py::arg("label_offsets"),
      py::arg("label_ids"), py::arg("append"), py::arg("line_breaks_as_spaces"),
      "Writes (or appends) one fastText line per text; refuses, naming the row, what would "
      "not read back as the same example.");

  testing.def(
      "fasttext_texts",
      [](const LabeledTexts& texts) {
        py::list out;
        for (std::string_view text : texts.texts) out.append(py::bytes(text.data(), text.size()));
        return out;
      },
      py::arg("texts"), "The texts a fastText file was read into, as UTF-8 bytes.");
  testing.def(
      "build_dictionary",
      [](py::handle texts, int word_ngrams, std::optional<int64_t> buckets, int64_t min_count,
         int threads, bool hash_unknown_words) {
        const TextViews views = text_views(texts, /*allow_empty=*/true);
        Dictionary dictionary(word_ngrams, buckets.value_or(kAutoBuckets));
        if (hash_unknown_words) dictionary.set_unknown_words(UnknownWords::kHashed);
        RaggedArray built, encoded;
        {
          py::gil_scoped_release release;
          built = dictionary.build(views.views, min_count, threads);
          encoded = encode_texts(dictionary, views.views, 1);
        }
        py::list words;
        for (int64_t id = 0; id < dictionary.n_words(); ++id) words.append(dictionary.word(id));
        return py::make_tuple(words, dictionary.buckets(), to_numpy(built.offsets),
                              to_numpy(built.values), to_numpy(encoded.offsets),
                              to_numpy(encoded.values));
      },
      py::arg("texts"), py::arg("word_ngrams"), py::arg("buckets"), py::arg("min_count"),
      py::arg("threads"), py::arg("hash_unknown_words"),
      "(words, buckets, offsets, rows, encoded offsets, encoded rows): the vocabulary and "
      "rows Dictionary::build gives `texts` (buckets None: sized by them), and the rows "
      "encode() gives each text with that vocabulary, as prediction reads it.");
}

}  // namespace mmfast::bindings
