// Bindings of the classifier (cpp/classifier.h): its configuration, the
// trainer it returns, and the texts and arrays that make a Batch.
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "bindings.h"
#include "classifier.h"
#include "common.h"
#include "dataset_file.h"
#include "hot_rows.h"
#include "replica.h"
#include "shard_set.h"

namespace mmfast::bindings {

namespace {

// A Batch and the Python objects its pointers point into.
struct BatchInput {
  std::shared_ptr<Batch> batch = std::make_shared<Batch>();
  py::tuple owners;
};

// A per-example array (features or codes) as the batch's `data` and `cols`;
// sets batch.size, checking it against the texts. Returns the array that
// `data` points into.
template <typename T>
py::object take_rows(Batch& batch, py::handle given, bool has_texts, const T*& data,
                     int32_t& cols) {
  auto array = given.cast<CArray<T>>();
  check(array.ndim() == 2, "features must be a 2-D array (n_examples, n_columns)");
  check(!has_texts || array.shape(0) == batch.size,
        "features has " + std::to_string(array.shape(0)) + " rows but there are " +
            std::to_string(batch.size) + " texts");
  batch.size = array.shape(0);
  data = array.data();
  cols = static_cast<int32_t>(array.shape(1));
  return std::move(array);
}

// texts: None, a sequence of str or LabeledTexts; features: None or an
// (n, d) float32 array (read in place when C-contiguous); codes: None or an
// (n, n_codes) integer array.
BatchInput batch_input(py::handle texts, py::handle features, py::handle codes, bool allow_empty) {
  BatchInput in;
  Batch& batch = *in.batch;
  py::object text_owner = py::none(), feature_owner = py::none(), code_owner = py::none();
  if (!texts.is_none()) {
    TextViews views = text_views(texts, allow_empty);
    batch.texts = std::move(views.views);
    batch.size = static_cast<int64_t>(batch.texts.size());
    text_owner = std::move(views.owner);
  }
  if (!features.is_none()) {
    feature_owner = take_rows(batch, features, !texts.is_none(), batch.features, batch.n_features);
  }
  if (!codes.is_none()) {
    code_owner = take_rows(batch, codes, !texts.is_none(), batch.codes, batch.n_codes);
  }
  in.owners = py::make_tuple(text_owner, feature_owner, code_owner);
  return in;
}

// What a classifier is fitted on: batch_input's, with dense features read in
// place (training reads them every epoch, so they are not copied).
BatchInput fit_input(py::handle texts, py::handle features, py::handle codes) {
  auto input =
      batch_input(texts, features, codes,
                  /*allow_empty=*/texts.is_none() || !features.is_none() || !codes.is_none());
  check(features.is_none() || input.owners[1].ptr() == features.ptr(),
        "features must be a C-contiguous float32 array to be read in place");
  return input;
}

// What a classifier predicts from: batch_input's, or the examples of a
// compiled dataset given as `texts` (features and codes then None).
BatchInput prediction_input(const Classifier& classifier, py::handle texts, py::handle features,
                            py::handle codes) {
  if (!py::isinstance<CompiledDataset>(texts)) {
    return batch_input(texts, features, codes, /*allow_empty=*/true);
  }
  check(features.is_none() && codes.is_none(),
        "features must be None with a compiled dataset: its examples carry their own");
  BatchInput in;
  *in.batch = classifier.batch_of(texts.cast<const CompiledDataset&>());
  in.owners = py::make_tuple(texts);
  return in;
}

// The work of predicting `batch`, in multiply-adds.
double prediction_work(const Classifier& classifier, const Batch& batch) {
  const double per_example = static_cast<double>(classifier.dim()) * (classifier.n_classes() + 16);
  return static_cast<double>(batch.size) * per_example;
}

// A trainer and the Python objects it reads: the classifier whose model it
// trains, and the features it reads in place.
struct PyTrainer {
  py::object owners;
  std::unique_ptr<Trainer> trainer;
};

// (epochs, lr, lr_end): a training run's schedule (TrainOptions).
using Schedule = std::tuple<int, float, float>;

// The classifier's configured training options, with `schedule` in place of
// its epochs and learning rates when given.
TrainOptions scheduled(const Classifier& classifier, const std::optional<Schedule>& schedule) {
  TrainOptions options = classifier.config().train;
  if (schedule) std::tie(options.epochs, options.lr, options.lr_end) = *schedule;
  return options;
}

// Runs `prepare` (which makes a Trainer) as a job whose result is the trainer.
py::object prepare_job(std::function<std::unique_ptr<Trainer>()> prepare, py::object owners) {
  auto made = std::make_shared<std::unique_ptr<Trainer>>();
  return start_job(
      kLongCallWork, [made, prepare = std::move(prepare)] { *made = prepare(); }, owners,
      [made, owners] { return py::cast(PyTrainer{owners, std::move(*made)}); });
}

UnknownWords unknown_words(bool hashed) {
  return hashed ? UnknownWords::kHashed : UnknownWords::kDropped;
}

RowQuantization row_quantization(int dsub, bool qnorm, int n_iter, uint64_t seed) {
  RowQuantization q;
  q.dsub = dsub;
  q.qnorm = qnorm;
  q.n_iter = n_iter;
  q.seed = seed;
  return q;
}

// Loading a model: a job whose result is (Classifier, metadata bytes).
py::object load_job(double amount, std::function<Classifier(std::string&)> load,
                    py::object keep_alive) {
  auto loaded = std::make_shared<std::optional<Classifier>>();
  auto metadata = std::make_shared<std::string>();
  return start_job(
      amount, [=] { loaded->emplace(load(*metadata)); }, keep_alive,
      [=] { return py::make_tuple(std::move(**loaded), py::bytes(*metadata)); });
}

RaggedArray ragged_from_numpy(const CArray<int64_t>& offsets, const CArray<int32_t>& values) {
  check(offsets.ndim() == 1 && values.ndim() == 1, "label offsets and ids must be 1-D");
  RaggedArray out;
  out.offsets.assign(offsets.data(), offsets.data() + offsets.size());
  out.values.assign(values.data(), values.data() + values.size());
  return out;
}
// A read-only array over `matrix`, which `owner` keeps alive.
py::array_t<float> matrix_view(const Matrix& matrix, py::handle owner) {
  return readonly_view<float>({matrix.rows(), matrix.cols()}, matrix.data(), owner);
}

template <typename T>
py::array_t<T> vector_view(const std::vector<T>& values, py::handle owner) {
  return readonly_view<T>({static_cast<int64_t>(values.size())}, values.data(), owner);
}

py::dict model_weights(py::object self) {
  const Model& model = self.cast<const Classifier&>().model();
  py::dict out;
  out["text_embeddings"] = matrix_view(model.text_embeddings(), self);
  out["feature_embeddings"] = matrix_view(model.feature_embeddings(), self);
  out["output"] = matrix_view(model.output(), self);
  if (const Projection* projection = model.projection()) {
    out["projection"] = matrix_view(projection->weights(), self);
    out["feature_mean"] = vector_view(projection->scaling().mean, self);
    out["feature_inv_scale"] = vector_view(projection->scaling().inv_scale, self);
  }
  return out;
}

// A field of ClassifierConfig::train as a property of the config.
template <typename T>
void def_train_option(py::class_<ClassifierConfig>& config, const char* name,
                      T TrainOptions::* field) {
  config.def_property(
      name, [field](const ClassifierConfig& c) { return c.train.*field; },
      [field](ClassifierConfig& c, T value) { c.train.*field = value; });
}

// The core's hyperparameters, one property per field that
// python/mmfast/_params.py sets, by name, from a Classifier's parameters
// (tests/test_params.py checks that the names and defaults agree).
void bind_classifier_config(py::module_& m) {
  m.attr("AUTO_BUCKETS") = kAutoBuckets;
  m.attr("MAX_AUTO_BUCKETS") = kMaxAutoBuckets;
  using Config = ClassifierConfig;
  py::class_<Config> config(m, "ClassifierConfig");
  config.def(py::init<>())
      .def_readwrite("dim", &Config::dim)
      .def_readwrite("word_ngrams", &Config::word_ngrams)
      .def_readwrite("buckets", &Config::buckets)
      .def_readwrite("min_count", &Config::min_count)
      .def_property(
          "loss", [](const Config& c) { return loss_name(c.loss); },
          [](Config& c, const std::string& name) { c.loss = parse_loss(name); })
      .def_readwrite("neg", &Config::neg)
      .def_property(
          "fusion", [](const Config& c) { return fusion_name(c.fusion); },
          [](Config& c, const std::string& name) { c.fusion = parse_fusion(name); })
      .def_property(
          "gate", [](const Config& c) { return gate_name(c.gate); },
          [](Config& c, const std::string& name) { c.gate = parse_gate(name); })
      .def_readwrite("alpha", &Config::alpha)
      .def_readwrite("standardize", &Config::standardize)
      .def_property(
          "threads", [](const Config& c) { return c.train.threads; },
          [](Config& c, int threads) { c.train.threads = resolve_threads(threads); },
          "Worker threads; setting 0 means every core.");
  def_train_option(config, "epochs", &TrainOptions::epochs);
  def_train_option(config, "lr", &TrainOptions::lr);
  def_train_option(config, "feature_lr", &TrainOptions::feature_lr);
  def_train_option(config, "modality_dropout", &TrainOptions::modality_dropout);
  def_train_option(config, "seed", &TrainOptions::seed);
}

}  // namespace

void bind_classifier(py::module_& m, py::module_& testing) {
  bind_classifier_config(m);
  py::class_<PyTrainer>(m, "Trainer")
      .def(
          "train",
          [](py::object self) {
            Trainer* trainer = self.cast<PyTrainer&>().trainer.get();
            return start_job(
                kLongCallWork, [trainer] { trainer->run(); }, self, {},
                [trainer] {
                  const Progress p = trainer->progress();
                  return ProgressReport{{"examples_done", static_cast<double>(p.examples_done)},
                                        {"examples_total", static_cast<double>(p.examples_total)},
                                        {"loss_sum", p.loss_sum},
                                        {"loss_count", static_cast<double>(p.loss_count)},
                                        {"lr", p.lr}};
                });
          },
          "Starts training; the job reports examples_done, examples_total, loss_sum, "
          "loss_count and lr.");

  py::class_<Classifier>(m, "Classifier")
      .def(py::init<const ClassifierConfig&>(), py::arg("config"))
      .def(
          "prepare_fit",
          [](py::object self, py::handle texts, py::handle features, py::handle codes,
             const CArray<int64_t>& label_offsets, const CArray<int32_t>& label_ids,
             int32_t n_classes, int64_t codebook_size, const std::optional<Schedule>& schedule,
             bool hash_unknown_words) {
            auto input = fit_input(texts, features, codes);
            auto labels =
                std::make_shared<RaggedArray>(ragged_from_numpy(label_offsets, label_ids));
            Classifier* classifier = self.cast<Classifier*>();
            const TrainOptions options = scheduled(*classifier, schedule);
            const UnknownWords unknown = unknown_words(hash_unknown_words);
            return prepare_job(
                [=, batch = input.batch] {
                  return classifier->prepare_fit(*batch, std::move(*labels), n_classes,
                                                 codebook_size, options, unknown);
                },
                py::make_tuple(self, input.owners));
          },
          py::arg("texts"), py::arg("features"), py::arg("codes"), py::arg("label_offsets"),
          py::arg("label_ids"), py::arg("n_classes"), py::arg("codebook_size"),
          py::arg("schedule") = py::none(), py::arg("hash_unknown_words") = false,
          "Starts building the vocabulary, tokenizing and initializing; the job's result is "
          "the Trainer, which reads this classifier's model and the features in place. "
          "schedule: (epochs, lr, lr_end) instead of the configured epochs, lr -> 0; "
          "hash_unknown_words: words out of the vocabulary take a hashed n-gram row (a "
          "stream's model) instead of being dropped (fastText's rule).")
      .def(
          "compress_from",
          [](py::object self, py::object source, py::handle texts, py::handle features,
             py::handle codes, const CArray<int64_t>& label_offsets,
             const CArray<int32_t>& label_ids, int64_t n_rows, bool cover, int dsub, bool qnorm,
             int n_iter) {
            Classifier* classifier = self.cast<Classifier*>();
            const Classifier* full = source.cast<const Classifier*>();
            auto input = prediction_input(*full, texts, features, codes);
            auto labels =
                std::make_shared<RaggedArray>(ragged_from_numpy(label_offsets, label_ids));
            CompressOptions options;
            options.n_rows = n_rows;
            options.cover = cover;
            options.rows = row_quantization(dsub, qnorm, n_iter, classifier->config().train.seed);
            return start_job(
                kLongCallWork,
                [=, batch = input.batch] {
                  classifier->compress_from(*full, *batch, std::move(*labels), options);
                },
                py::make_tuple(self, source, input.owners));
          },
          py::arg("source"), py::arg("texts"), py::arg("features"), py::arg("codes"),
          py::arg("label_offsets"), py::arg("label_ids"), py::arg("n_rows"), py::arg("cover"),
          py::arg("dsub"), py::arg("qnorm"), py::arg("n_iter"),
          "Starts making this classifier a compressed copy of `source`, its rows covering the "
          "examples (as predict_proba takes them; texts None: none, pruning by norm alone).")
      .def(
          "quantize_output",
          [](Classifier& self, int dsub, bool qnorm, int n_iter) {
            const RowQuantization options =
                row_quantization(dsub, qnorm, n_iter, self.config().train.seed);
            py::gil_scoped_release release;
            self.quantize_output(options);
          },
          py::arg("dsub"), py::arg("qnorm"), py::arg("n_iter"))
      .def_property_readonly("compressed",
                             [](const Classifier& self) { return self.model().compressed(); })
      .def_property_readonly("output_quantized",
                             [](const Classifier& self) { return self.model().output_quantized(); })
      .def(
          "table_rows",
          [](const Classifier& self, const std::string& table, const CArray<int64_t>& rows) {
            const Model& model = self.model();
            check(table == "text" || table == "features",
                  "table: 'text' or 'features', got '" + table + "'");
            const bool text = table == "text";
            const int64_t n_rows = text ? model.shape().text_rows
                                        : model.shape().n_codes * model.shape().codebook_size;
            const int64_t dim = model.shape().dim;
            check(rows.ndim() == 1, "rows must be 1-D");
            py::array_t<float> out(
                {static_cast<py::ssize_t>(rows.size()), static_cast<py::ssize_t>(dim)});
            py::array_t<bool> kept(static_cast<py::ssize_t>(rows.size()));
            float* values = out.mutable_data();
            bool* present = kept.mutable_data();
            std::fill(values, values + rows.size() * dim, 0.0f);
            for (py::ssize_t k = 0; k < rows.size(); ++k) {
              const int64_t row = rows.data()[k];
              check(row >= 0 && row < n_rows, "rows: " + std::to_string(row) + " outside [0, " +
                                                  std::to_string(n_rows) + ")");
              float* o = values + k * dim;
              present[k] =
                  text ? model.add_text_row(row, 1.0f, o) : model.add_feature_row(row, 1.0f, o);
            }
            return py::make_tuple(out, kept);
          },
          py::arg("table"), py::arg("rows"),
          "(values, kept): rows of the text or feature-token table as floats (decoded when "
          "compressed), and whether each is kept (a compressed model prunes text rows).")
      .def(
          "prepare_fit_dataset",
          [](py::object self, const std::shared_ptr<CompiledDataset>& dataset,
             int64_t codebook_size, const std::optional<Schedule>& schedule,
             bool hash_unknown_words) {
            Classifier* classifier = self.cast<Classifier*>();
            const TrainOptions options = scheduled(*classifier, schedule);
            Dictionary dictionary = dataset->meta().dictionary;
            dictionary.set_unknown_words(unknown_words(hash_unknown_words));
            return prepare_job(
                [=]() mutable {
                  return classifier->prepare_fit(std::move(dictionary), /*has_text=*/true,
                                                 dataset->examples(), codebook_size, options);
                },
                // The examples keep the dataset's mapping alive themselves.
                self);
          },
          py::arg("dataset"), py::arg("codebook_size"), py::arg("schedule") = py::none(),
          py::arg("hash_unknown_words") = false, "prepare_fit over a compiled dataset.")
      .def(
          "prepare_fit_shards",
          [](py::object self, const std::vector<std::shared_ptr<CompiledDataset>>& given,
             int64_t codebook_size) {
            const Shards shards(given.begin(), given.end());
            check_shards_agree(shards);
            Classifier* classifier = self.cast<Classifier*>();
            const TrainOptions options = scheduled(*classifier, std::nullopt);
            return prepare_job(
                [=] {
                  return classifier->prepare_fit(shards.front()->meta().dictionary,
                                                 /*has_text=*/true, concatenate_shards(shards),
                                                 codebook_size, options);
                },
                self);
          },
          py::arg("shards"), py::arg("codebook_size"),
          "prepare_fit_dataset over the shards of a sharded compile, read as one dataset (their "
          "examples copied into memory, shard after shard).")
      .def(
          "prepare_training",
          [](py::object self, py::handle texts, py::handle features, py::handle codes,
             const CArray<int64_t>& label_offsets, const CArray<int32_t>& label_ids, int epochs,
             float lr, float lr_end, float feature_lr, uint64_t seed) {
            Classifier* classifier = self.cast<Classifier*>();
            auto input = prediction_input(*classifier, texts, features, codes);
            auto labels =
                std::make_shared<RaggedArray>(ragged_from_numpy(label_offsets, label_ids));
            TrainOptions options;
            options.epochs = epochs;
            options.lr = lr;
            options.lr_end = lr_end;
            options.feature_lr = feature_lr;
            options.seed = seed;
            return prepare_job(
                [=, batch = input.batch] {
                  return classifier->prepare_training(*batch, std::move(*labels), options);
                },
                py::make_tuple(self, input.owners));
          },
          py::arg("texts"), py::arg("features"), py::arg("codes"), py::arg("label_offsets"),
          py::arg("label_ids"), py::arg("epochs"), py::arg("lr"), py::arg("lr_end"),
          py::arg("feature_lr"), py::arg("seed"),
          "Starts preparing `epochs` passes over the examples (as predict_proba takes them: "
          "lists, or a compiled dataset) from the current weights, the learning rate moving "
          "linearly from lr to lr_end (feature_lr <= 0: the default rule); the job's result is "
          "the Trainer. Nothing is rebuilt: the model's vocabulary, table, scaling and "
          "quantizer read the examples.")
      .def(
          "token_rows",
          [](const Classifier& self, const std::string& text) {
            self.model();  // refuses an unfitted classifier
            std::vector<std::string_view> words;
            std::vector<TokenRow> rows;
            self.dictionary().encode_spans(text, words, rows);
            py::list word_list;
            for (std::string_view word : words) word_list.append(py::str(word.data(), word.size()));
            py::array_t<int32_t> ids(static_cast<py::ssize_t>(rows.size()));
            py::array_t<int32_t> spans({static_cast<py::ssize_t>(rows.size()), py::ssize_t{2}});
            auto id = ids.mutable_unchecked<1>();
            auto span = spans.mutable_unchecked<2>();
            for (size_t i = 0; i < rows.size(); ++i) {
              id(i) = rows[i].row;
              span(i, 0) = rows[i].first;
              span(i, 1) = rows[i].last;
            }
            return py::make_tuple(word_list, ids, spans);
          },
          py::arg("text"),
          "(words, rows, spans): the text's words, the rows token_ids gives, and the words "
          "[first, last) each row stands for.")
      .def(
          "score_terms",
          [](const Classifier& self, int32_t label) {
            const Model& model = self.model();
            check(label >= 0 && label < model.n_classes(),
                  "label: class id " + std::to_string(label) + " outside [0, " +
                      std::to_string(model.n_classes()) + ")");
            std::vector<int32_t> rows;
            std::vector<float> signs;
            model.loss().score_terms(label, rows, signs);
            return py::make_tuple(to_numpy(rows), to_numpy(signs));
          },
          py::arg("label"),
          "(rows, signs): the class's score is sum_k signs[k] * (output[rows[k]] . hidden).")
      .def("weights", &model_weights,
           "The model's weight tables as read-only arrays that share the model's memory.")
      .def(
          "assign_rows",
          [](Classifier& self, const std::string& name, const CArray<int64_t>& rows,
             const CArray<float>& values) {
            Matrix* table = self.mutable_model().table(name);
            check(table != nullptr, "table: the model has no weight table '" + name + "'");
            check(rows.ndim() == 1 && values.ndim() == 2 && values.shape(0) == rows.shape(0) &&
                      values.shape(1) == table->cols(),
                  "values: one row of " + std::to_string(table->cols()) + " floats per row of " +
                      name);
            const int64_t* ids = rows.data();
            for (py::ssize_t i = 0; i < rows.shape(0); ++i) {
              check(ids[i] >= 0 && ids[i] < table->rows(),
                    "rows: row " + std::to_string(ids[i]) + " outside [0, " +
                        std::to_string(table->rows()) + ") of " + name);
            }
            py::gil_scoped_release release;
            for (py::ssize_t i = 0; i < rows.shape(0); ++i) {
              std::copy_n(values.data(i, 0), table->cols(), table->row(ids[i]));
            }
          },
          py::arg("table"), py::arg("rows"), py::arg("values"),
          "Overwrites rows of a weight table (named as weights() names them): parameter mixing "
          "sets the rows averaged over Dask workers.")
      .def_property_readonly("fitted", &Classifier::fitted)
      .def_property_readonly("n_classes", &Classifier::n_classes)
      .def_property_readonly("n_words", &Classifier::n_words)
      .def_property_readonly("buckets",
                             [](const Classifier& self) { return self.dictionary().buckets(); })
      .def_property_readonly("n_codes", &Classifier::n_codes)
      .def_property_readonly("codebook_size", &Classifier::codebook_size)
      .def_property_readonly("n_features", &Classifier::n_features)
      .def_property_readonly(
          "fusion", [](const Classifier& self) { return fusion_name(self.model().shape().fusion); })
      .def_property_readonly(
          "gate", [](const Classifier& self) { return gate_name(self.model().shape().gate); })
      .def_property_readonly(
          "loss", [](const Classifier& self) { return loss_name(self.model().shape().loss); })
      .def_property_readonly("alpha",
                             [](const Classifier& self) { return self.model().shape().alpha; })
      .def_property_readonly(
          "intercept", [](const Classifier& self) { return self.model().shape().intercept; },
          "Whether z ends with a constant 1 (the output matrix's last column: the scores' "
          "intercepts: features-only models of dense features, and ova).")
      .def_property_readonly(
          "feature_lr", [](const Classifier& self) { return self.training().feature_lr; },
          "The projection's step size in the last fit (0 without dense features).")
      .def_property_readonly(
          "modality_dropout",
          [](const Classifier& self) { return self.training().modality_dropout; },
          "The share of examples the last fit trained on one modality alone.")
      .def_property_readonly("quantizer",
                             [](const Classifier& self) {
                               return std::const_pointer_cast<Quantizer>(self.quantizer());
                             })
      .def(
          "set_quantizer",
          [](Classifier& self, std::shared_ptr<Quantizer> quantizer) {
            self.set_quantizer(std::move(quantizer));
          },
          py::arg("quantizer").none(true))
      .def(
          "predict_proba",
          [](py::object self, py::handle texts, py::handle features, py::handle codes,
             int threads) {
            const Classifier* classifier = self.cast<const Classifier*>();
            auto input = prediction_input(*classifier, texts, features, codes);
            py::array_t<float> out({static_cast<py::ssize_t>(input.batch->size),
                                    static_cast<py::ssize_t>(classifier->n_classes())});
            float* data = out.mutable_data();
            threads = resolve_threads(threads);
            return start_job(
                prediction_work(*classifier, *input.batch),
                [=, batch = input.batch] { classifier->predict_proba(*batch, data, threads); },
                py::make_tuple(self, input.owners), [out] { return out; },
                items_total(static_cast<double>(input.batch->size)));
          },
          py::arg("texts"), py::arg("features"), py::arg("codes"), py::arg("threads"),
          "Starts predicting; the job's result is the (n, n_classes) probabilities; it reports "
          "items_done and items_total (examples).")
      .def(
          "predict_top",
          [](py::object self, py::handle texts, py::handle features, py::handle codes, int k,
             float threshold, int threads) {
            const Classifier* classifier = self.cast<const Classifier*>();
            check(k >= 1, "k must be >= 1, got " + std::to_string(k));
            auto input = prediction_input(*classifier, texts, features, codes);
            const auto n = static_cast<py::ssize_t>(input.batch->size);
            py::array_t<int32_t> classes({n, static_cast<py::ssize_t>(k)});
            py::array_t<float> probs({n, static_cast<py::ssize_t>(k)});
            int32_t* c = classes.mutable_data();
            float* p = probs.mutable_data();
            threads = resolve_threads(threads);
            return start_job(
                prediction_work(*classifier, *input.batch),
                [=, batch = input.batch] {
                  classifier->predict_top(*batch, k, threshold, c, p, threads);
                },
                py::make_tuple(self, input.owners),
                [classes, probs] { return py::make_tuple(classes, probs); },
                items_total(static_cast<double>(n)));
          },
          py::arg("texts"), py::arg("features"), py::arg("codes"), py::arg("k"),
          py::arg("threshold"), py::arg("threads"),
          "Starts predicting; the job's result is (classes, probabilities), each (n, k); it "
          "reports items_done and items_total (examples).")
      .def(
          "save",
          [](const Classifier& self, const std::string& path, const py::bytes& metadata) {
            std::string meta = metadata;
            py::gil_scoped_release release;
            self.save(path, meta);
          },
          py::arg("path"), py::arg("metadata"))
      .def(
          "to_bytes",
          [](const Classifier& self, const py::bytes& metadata) {
            std::string meta = metadata;
            std::ostringstream out;
            {
              py::gil_scoped_release release;
              self.save(out, meta);
            }
            return py::bytes(std::move(out).str());
          },
          py::arg("metadata"))
      .def_static(
          "load",
          [](const std::string& path) {
            return load_job(
                kLongCallWork,
                [path](std::string& metadata) { return Classifier::load(path, metadata); },
                py::none());
          },
          py::arg("path"), "Starts loading a model file; the job's result is (core, metadata).")
      .def_static(
          "from_bytes",
          [](const py::bytes& data) {
            const std::string_view view = data;
            return load_job(
                static_cast<double>(view.size()),
                [view](std::string& metadata) {
                  MemoryBuffer buffer(view.data(), view.size());
                  std::istream in(&buffer);
                  return Classifier::load(in, view.size(), metadata);
                },
                data);
          },
          py::arg("data"),
          "Starts reading a model from bytes; the job's result is (core, metadata).");

  // One SGD step per example, in order, on this thread: compared with a
  // step computed in numpy.
  testing.def(
      "train_steps",
      [](Classifier& self, py::handle texts, py::handle features, py::handle codes,
         const CArray<int64_t>& label_offsets, const CArray<int32_t>& label_ids, float lr,
         float feature_lr, const std::string& inputs) {
        check(inputs == "both" || inputs == "text" || inputs == "features",
              "inputs must be 'both', 'text' or 'features', got '" + inputs + "'");
        const Inputs which = inputs == "text"       ? Inputs::kTextOnly
                             : inputs == "features" ? Inputs::kFeaturesOnly
                                                    : Inputs::kBoth;
        auto input = batch_input(texts, features, codes, /*allow_empty=*/true);
        RaggedArray labels = ragged_from_numpy(label_offsets, label_ids);
        py::gil_scoped_release release;
        return self.train_steps(*input.batch, labels, lr, feature_lr, which);
      },
      py::arg("classifier"), py::arg("texts"), py::arg("features"), py::arg("codes"),
      py::arg("label_offsets"), py::arg("label_ids"), py::arg("lr"), py::arg("feature_lr"),
      py::arg("inputs") = "both");
  testing.def(
      "token_ids",
      [](const Classifier& self, const std::string& text) {
        std::vector<int32_t> ids;
        std::vector<uint64_t> hashes;
        self.model();  // refuses an unfitted classifier
        self.dictionary().encode(text, ids, hashes);
        return to_numpy(ids);
      },
      py::arg("classifier"), py::arg("text"),
      "Rows of the text table that `text` reads: its words, then n-grams.");
  // A training thread's replica over `steps` steps, each adding own_step to
  // every entry of its copy while another thread adds other_step to the
  // shared table: (shared, copy) after the last step, which merges.
  testing.def(
      "replica_steps",
      [](const CArray<float>& shared, int steps, float own_step, float other_step) {
        check(shared.ndim() == 2 && steps >= 1, "shared must be 2-D and steps >= 1");
        Matrix table(shared.shape(0), shared.shape(1));
        std::copy(shared.data(), shared.data() + shared.size(), table.data());
        Replica replica(table, steps);
        for (int k = 0; k < steps; ++k) {
          Matrix& own = replica.of(table);
          for (int64_t i = 0; i < own.size(); ++i) own.data()[i] += own_step;
          for (int64_t i = 0; i < table.size(); ++i) table.data()[i] += other_step;
          replica.step(table);
        }
        auto as_array = [](const Matrix& m) {
          py::array_t<float> out({m.rows(), m.cols()});
          std::copy(m.data(), m.data() + m.size(), out.mutable_data());
          return out;
        };
        return py::make_tuple(as_array(table), as_array(replica.of(table)));
      },
      py::arg("shared"), py::arg("steps"), py::arg("own_step"), py::arg("other_step"));
  // The hot rows (Model::hot_text_rows' choice: the n_hot busiest of
  // table_rows that the examples' token lists use) and a training thread's
  // factors, k-fold thinned, for the row updates `updates` in turn:
  // (hot, a bool per row; factors, a float per update).
  testing.def(
      "thinned_writes",
      [](const CArray<int64_t>& token_offsets, const CArray<int32_t>& token_ids, int64_t table_rows,
         int64_t n_hot, uint32_t k, const CArray<int64_t>& updates) {
        RaggedArray tokens = ragged_from_numpy(token_offsets, token_ids);
        for (int32_t id : tokens.values) {
          check(id >= 0 && id < table_rows, "token ids must be rows of the table");
        }
        Dataset data;
        data.tokens = RaggedView(tokens);
        const HotRows hot = HotRows::busiest(data, table_rows, n_hot);
        ThinnedWrites writes(hot, k);
        py::array_t<bool> is_hot(table_rows);
        for (int64_t row = 0; row < table_rows; ++row)
          is_hot.mutable_data()[row] = hot.contains(row);
        py::array_t<float> factors(updates.size());
        for (int64_t i = 0; i < updates.size(); ++i) {
          factors.mutable_data()[i] = writes.factor(updates.data()[i]);
        }
        return py::make_tuple(is_hot, factors);
      },
      py::arg("token_offsets"), py::arg("token_ids"), py::arg("table_rows"), py::arg("n_hot"),
      py::arg("k"), py::arg("updates"));
}

}  // namespace mmfast::bindings
