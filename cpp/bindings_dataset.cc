// Bindings of compiled datasets (cpp/dataset_file.h): the compile job and
// the memory-mapped dataset.
#include <memory>
#include <string>
#include <vector>

#include "bindings.h"
#include "common.h"
#include "dataset_compiler.h"
#include "dataset_file.h"
#include "quantizer.h"
#include "shard_set.h"

namespace mmfast::bindings {

namespace {

// A ragged array's (offsets, values) as read-only views that keep `owner` alive.
py::tuple ragged_views(const RaggedView& ragged, py::handle owner) {
  return py::make_tuple(readonly_view<int64_t>({ragged.rows() + 1}, ragged.offsets, owner),
                        readonly_view<int32_t>({ragged.n_values()}, ragged.values, owner));
}

// Reads one object that `read` takes from `data`, refusing trailing or
// corrupt bytes.
template <typename Read>
auto read_bytes(std::string_view data, Read read) {
  MemoryBuffer buffer(data.data(), data.size());
  std::istream stream(&buffer);
  BinaryReader in(stream, data.size());
  auto object = read(in);
  in.finish();
  return object;
}

Dictionary read_counts(std::string_view data) {
  return read_bytes(data, [](BinaryReader& in) { return Dictionary::read_counts(in); });
}

// A dictionary's counts, as serialized() writes them.
struct CountsOf {
  const Dictionary& dictionary;
  void write(BinaryWriter& out) const { dictionary.write_counts(out); }
};

std::string counts_bytes(const Dictionary& counts) { return serialized(CountsOf{counts}); }

}  // namespace

void bind_datasets(py::module_& m) {
  // A sharded compile's first pass (mmfast.dask): each partition's word
  // counts, merged in partition order into the dictionary every shard shares.
  m.def(
      "count_words",
      [](py::handle texts, int word_ngrams, int64_t buckets, int threads) {
        auto views = std::make_shared<TextViews>(text_views(texts, /*allow_empty=*/true));
        auto counted = std::make_shared<std::string>();
        threads = resolve_threads(threads);
        double amount = 0;
        for (std::string_view text : views->views) amount += static_cast<double>(text.size());
        return start_job(
            amount,
            [=] {
              Dictionary counts(word_ngrams, buckets);
              counts.count(views->views, threads);
              *counted = counts_bytes(counts);
            },
            views->owner, [counted] { return py::bytes(*counted); });
      },
      py::arg("texts"), py::arg("word_ngrams"), py::arg("buckets"), py::arg("threads"),
      "Starts counting the words (and distinct n-grams) of texts; the job's result is the "
      "counts as bytes, for merge_word_counts.");
  m.def(
      "merge_word_counts",
      [](const std::vector<py::bytes>& parts) {
        std::vector<std::string> data(parts.begin(), parts.end());
        std::string merged;
        {
          py::gil_scoped_release release;
          check(!data.empty(), "word counts: none to merge");
          Dictionary counts = read_counts(data.front());
          for (size_t i = 1; i < data.size(); ++i) counts.merge_counts(read_counts(data[i]));
          merged = counts_bytes(counts);
        }
        return py::bytes(merged);
      },
      py::arg("parts"), "The word counts of parts counted apart, merged in the order given.");
  m.def(
      "dictionary_from_counts",
      [](const py::bytes& counts, int64_t min_count) {
        const std::string data = counts;
        std::string out;
        {
          py::gil_scoped_release release;
          Dictionary dictionary = read_counts(data);
          dictionary.keep_frequent(min_count);
          out = serialized(dictionary);
        }
        return py::bytes(out);
      },
      py::arg("counts"), py::arg("min_count"),
      "The dictionary of merged word counts: the words seen >= min_count times, and the "
      "n-gram table sized by the recurring n-grams when buckets was to be decided.");
  m.def(
      "check_shards",
      [](const std::vector<std::shared_ptr<CompiledDataset>>& shards) {
        check_shards_agree(Shards(shards.begin(), shards.end()));
      },
      py::arg("shards"),
      "ValueError unless the compiled datasets share one dictionary, label names and kind "
      "of features.");

  m.def(
      "compile_dataset",
      [](const std::string& text_path, const std::string& out_path, const std::string& feature_path,
         uint64_t feature_offset, const std::string& dtype, int64_t rows, int64_t cols,
         bool by_reference, const std::string& reference, int word_ngrams, int64_t buckets,
         int64_t min_count, bool numeric_labels, int threads, const py::bytes& dictionary,
         const std::vector<std::string>& label_names) {
        FeatureSource features{feature_path, feature_offset, FeatureDtype::kFloat32, rows, cols,
                               by_reference, reference};
        if (!feature_path.empty()) features.dtype = parse_feature_dtype(dtype);
        const DatasetSettings settings{word_ngrams, buckets, min_count, numeric_labels};
        threads = resolve_threads(threads);
        auto progress = std::make_shared<CompileProgress>();
        SharedVocabulary shared{std::nullopt, label_names};
        const std::string_view dictionary_bytes = dictionary;
        if (!dictionary_bytes.empty()) {
          shared.dictionary =
              read_bytes(dictionary_bytes, [](BinaryReader& in) { return Dictionary::read(in); });
        }
        return start_job(
            kLongCallWork,
            [=] {
              compile_dataset(text_path, features, settings, threads, out_path, *progress, shared);
            },
            py::none(), {},
            [progress] {
              return ProgressReport{
                  {"pass", progress->pass.load()},
                  {"bytes_read", static_cast<double>(progress->bytes_read.load())},
                  {"bytes_total", static_cast<double>(progress->bytes_total.load())},
                  {"lines", static_cast<double>(progress->lines.load())}};
            });
      },
      py::arg("text_path"), py::arg("out_path"), py::arg("feature_path"), py::arg("feature_offset"),
      py::arg("dtype"), py::arg("rows"), py::arg("cols"), py::arg("by_reference"),
      py::arg("reference"), py::arg("word_ngrams"), py::arg("buckets"), py::arg("min_count"),
      py::arg("numeric_labels"), py::arg("threads"), py::arg("dictionary") = py::bytes(),
      py::arg("label_names") = std::vector<std::string>{},
      "Starts compiling a fastText-format file into a dataset file, with a shared dictionary "
      "(bytes of dictionary_from_counts) and label names when given; the job reports pass, "
      "bytes_read, bytes_total and lines.");

  py::class_<CompiledDataset, std::shared_ptr<CompiledDataset>>(
      m, "CompiledDataset", "A compiled dataset file, memory-mapped (see cpp/dataset_file.h).")
      .def_static(
          "open",
          [](const std::string& path, int threads) {
            threads = resolve_threads(threads);
            auto opened = std::make_shared<std::shared_ptr<const CompiledDataset>>();
            return start_job(
                kLongCallWork, [=] { *opened = CompiledDataset::open(path, threads); }, py::none(),
                [opened] { return py::cast(std::const_pointer_cast<CompiledDataset>(*opened)); });
          },
          py::arg("path"), py::arg("threads"),
          "Starts mapping and verifying a dataset file; the job's result is the dataset.")
      .def("__len__", &CompiledDataset::size)
      .def_property_readonly("path", &CompiledDataset::path)
      .def_property_readonly("file_bytes", &CompiledDataset::file_bytes)
      .def_property_readonly("token_id_bytes", &CompiledDataset::token_id_bytes)
      .def_property_readonly("word_ngrams",
                             [](const CompiledDataset& d) { return d.meta().settings.word_ngrams; })
      .def_property_readonly("buckets",
                             [](const CompiledDataset& d) { return d.meta().settings.buckets; })
      .def_property_readonly("min_count",
                             [](const CompiledDataset& d) { return d.meta().settings.min_count; })
      .def_property_readonly(
          "numeric_labels",
          [](const CompiledDataset& d) { return d.meta().settings.numeric_labels; })
      .def_property_readonly("n_words",
                             [](const CompiledDataset& d) { return d.meta().dictionary.n_words(); })
      .def_property_readonly("label_names",
                             [](const CompiledDataset& d) { return d.meta().label_names; })
      .def_property_readonly("multilabel",
                             [](const CompiledDataset& d) { return d.meta().multilabel; })
      .def_property_readonly("n_codes", [](const CompiledDataset& d) { return d.meta().n_codes; })
      .def_property_readonly("code_bytes",
                             [](const CompiledDataset& d) { return d.meta().code_bytes; })
      .def_property_readonly("max_code", [](const CompiledDataset& d) { return d.meta().max_code; })
      .def_property_readonly("n_features",
                             [](const CompiledDataset& d) { return d.meta().n_features; })
      .def_property_readonly("feature_reference",
                             [](const CompiledDataset& d) { return d.meta().feature_reference; })
      .def_property_readonly("quantizer",
                             [](const CompiledDataset& d) -> py::object {
                               if (d.meta().quantizer.empty()) return py::none();
                               return py::bytes(d.meta().quantizer);
                             })
      .def(
          "features",
          [](py::object self) -> py::object {
            const auto data = self.cast<const CompiledDataset&>().examples();
            if (data->features == nullptr) return py::none();
            return readonly_view<float>({data->size(), int64_t{data->n_features}}, data->features,
                                        self);
          },
          "The dense features, read in place (None without).")
      .def(
          "codes",
          [](py::object self) -> py::object {
            const auto data = self.cast<const CompiledDataset&>().examples();
            const std::vector<int64_t> shape{data->size(), int64_t{data->n_codes}};
            if (data->codes8 != nullptr) return readonly_view<uint8_t>(shape, data->codes8, self);
            if (data->codes16 != nullptr) {
              return readonly_view<uint16_t>(shape, data->codes16, self);
            }
            return py::none();
          },
          "The feature codes, read in place (None without).")
      .def(
          "labels",
          [](py::object self) {
            return ragged_views(self.cast<const CompiledDataset&>().examples()->labels, self);
          },
          "(offsets, ids): example i's class ids are ids[offsets[i]:offsets[i + 1]], read in "
          "place.")
      .def(
          "tokens",
          [](py::object self) {
            return ragged_views(self.cast<const CompiledDataset&>().examples()->tokens, self);
          },
          "(offsets, ids): example i's token ids (words, then n-grams), read in place.")
      .def_property_readonly("words",
                             [](const CompiledDataset& d) {
                               const Dictionary& dictionary = d.meta().dictionary;
                               std::vector<std::string> words;
                               for (int64_t w = 0; w < dictionary.n_words(); ++w) {
                                 words.push_back(dictionary.word(w));
                               }
                               return words;
                             })
      .def(
          "encode_features",
          [](py::object self, py::object quantizer_object, const std::string& out_path,
             int threads) {
            const CompiledDataset* dataset = self.cast<const CompiledDataset*>();
            const Quantizer* quantizer = quantizer_object.cast<const Quantizer*>();
            auto bytes = std::make_shared<const std::string>(serialized(*quantizer));
            threads = resolve_threads(threads);
            return start_job(
                kLongCallWork,
                [=] { dataset->encode_features(*quantizer, *bytes, out_path, threads); },
                py::make_tuple(self, quantizer_object), {},
                items_total(static_cast<double>(dataset->size())));
          },
          py::arg("quantizer"), py::arg("out_path"), py::arg("threads"),
          "Starts writing the dataset with the quantizer's codes of its features; the job "
          "reports items_done and items_total (examples).");
}

}  // namespace mmfast::bindings
