// The only file that includes pybind11: argument conversion and checks with
// the GIL held, GIL release around every C++ loop, Ctrl-C for long calls,
// error translation (std::invalid_argument -> ValueError, FileError ->
// OSError, Interrupted -> KeyboardInterrupt).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <streambuf>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "background.h"
#include "classifier.h"
#include "common.h"
#include "dataset_file.h"
#include "kmeans.h"
#include "quantizer.h"
#include "serialization.h"
#include "text_file.h"

namespace py = pybind11;
using namespace mmfast;

namespace {

template <typename T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

// Work (in multiply-adds or bytes) above which a call is worth a helper
// thread so that Ctrl-C can stop it: about a millisecond, against the tens
// of microseconds a thread costs.
constexpr double kLongCallWork = 1e7;
constexpr auto kSignalPoll = std::chrono::milliseconds(50);

unsigned long main_thread_id = 0;  // Python's main thread, set at import

// Runs `work` without the GIL. A long call from Python's main thread runs on
// a helper thread while this one checks for signals every kSignalPoll: when
// a handler raises (Ctrl-C: KeyboardInterrupt), the stop flag the C++ loops
// check (check_stop) is set, the call unwinds and the Python error is
// raised. `work` must leave its objects as they were when it throws
// Interrupted. Short calls, and calls from other threads (which never see
// signals), run here directly.
void run_interruptibly(bool long_call, const std::function<void()>& work) {
  if (!long_call || PyThread_get_thread_ident() != main_thread_id) {
    py::gil_scoped_release release;
    work();
    return;
  }
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  std::exception_ptr error;
  std::thread helper;
  try {
    helper = std::thread([&] {
      StopScope scope(&stop);
      try {
        work();
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex);
      done = true;
      finished.notify_all();
    });
  } catch (const std::system_error&) {
    py::gil_scoped_release release;  // no thread to spare: run here, uninterruptible
    work();
    return;
  }
  bool interrupted = false;
  {
    py::gil_scoped_release release;
    std::unique_lock<std::mutex> lock(mutex);
    while (!finished.wait_for(lock, kSignalPoll, [&] { return done; })) {
      if (interrupted) continue;
      lock.unlock();
      {
        py::gil_scoped_acquire acquire;
        interrupted = PyErr_CheckSignals() != 0;  // the handler's exception stays set
      }
      if (interrupted) stop = true;
      lock.lock();
    }
    lock.unlock();
    helper.join();
  }
  if (interrupted) throw py::error_already_set();
  if (error) std::rethrow_exception(error);
}

// Texts as UTF-8 views. For Python strings the views point into the str
// objects, which `owner` keeps alive while C++ reads them.
struct TextViews {
  std::vector<std::string_view> views;
  py::object owner;
};

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
    if (data == nullptr) throw py::error_already_set();
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

// A Batch plus the Python objects its pointers point into.
struct BatchInput {
  TextViews texts;
  CArray<float> features;
  CArray<uint16_t> codes;
  Batch batch;
};

// Sets batch.size from a per-example array, checking it against the texts.
void take_rows(Batch& batch, const py::array& array, bool has_texts) {
  check(array.ndim() == 2, "features must be a 2-D array (n_examples, n_columns)");
  check(!has_texts || array.shape(0) == batch.size,
        "features has " + std::to_string(array.shape(0)) + " rows but there are " +
            std::to_string(batch.size) + " texts");
  batch.size = array.shape(0);
}

// texts: None, a sequence of str or LabeledTexts; features: None or an
// (n, d) float32 array (read in place when C-contiguous); codes: None or an
// (n, n_codes) integer array.
std::unique_ptr<BatchInput> batch_input(py::handle texts, py::handle features, py::handle codes,
                                        bool allow_empty) {
  auto in = std::make_unique<BatchInput>();
  Batch& batch = in->batch;
  if (!texts.is_none()) {
    in->texts = text_views(texts, allow_empty);
    batch.texts = in->texts.views;
    batch.size = static_cast<int64_t>(batch.texts.size());
  }
  if (!features.is_none()) {
    in->features = features.cast<CArray<float>>();
    take_rows(batch, in->features, !texts.is_none());
    batch.features = in->features.data();
    batch.n_features = static_cast<int32_t>(in->features.shape(1));
  }
  if (!codes.is_none()) {
    in->codes = codes.cast<CArray<uint16_t>>();
    take_rows(batch, in->codes, !texts.is_none());
    batch.codes = in->codes.data();
    batch.n_codes = static_cast<int32_t>(in->codes.shape(1));
  }
  return in;
}

// Whether predicting `batch` is long enough to run interruptibly.
bool long_prediction(const Classifier& classifier, const Batch& batch) {
  const double per_example = static_cast<double>(classifier.dim()) * (classifier.n_classes() + 16);
  return static_cast<double>(batch.size) * per_example >= kLongCallWork;
}

RaggedArray ragged_from_numpy(const CArray<int64_t>& offsets, const CArray<int32_t>& values) {
  check(offsets.ndim() == 1 && values.ndim() == 1, "label offsets and ids must be 1-D");
  RaggedArray out;
  out.offsets.assign(offsets.data(), offsets.data() + offsets.size());
  out.values.assign(values.data(), values.data() + values.size());
  return out;
}

template <typename T>
py::array_t<T> to_numpy(const std::vector<T>& values) {
  return py::array_t<T>(static_cast<py::ssize_t>(values.size()), values.data());
}

// Read-only, seekable std::istream over bytes owned by Python.
class MemoryBuffer : public std::streambuf {
 public:
  MemoryBuffer(const char* data, size_t size) {
    char* p = const_cast<char*>(data);
    setg(p, p, p + size);
  }

 protected:
  pos_type seekoff(off_type offset, std::ios_base::seekdir from, std::ios_base::openmode) override {
    char* base = from == std::ios_base::beg   ? eback()
                 : from == std::ios_base::cur ? gptr()
                                              : egptr();
    if (offset < eback() - base || offset > egptr() - base) return pos_type(off_type(-1));
    setg(eback(), base + offset, egptr());
    return pos_type(gptr() - eback());
  }
  pos_type seekpos(pos_type position, std::ios_base::openmode which) override {
    return seekoff(off_type(position), std::ios_base::beg, which);
  }
};

// A read-only array over `matrix`, which `owner` keeps alive.
py::array_t<float> matrix_view(const Matrix& matrix, py::handle owner) {
  py::array_t<float> view({matrix.rows(), matrix.cols()}, matrix.data(), owner);
  py::detail::array_proxy(view.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return view;
}

// A read-only array of `shape` over `data`, which `owner` keeps alive.
template <typename T>
py::array_t<T> readonly_view(const std::vector<int64_t>& shape, const T* data, py::handle owner) {
  py::array_t<T> view(shape, data, owner);
  py::detail::array_proxy(view.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return view;
}

template <typename T>
py::array_t<T> vector_view(const std::vector<T>& values, py::handle owner) {
  py::array_t<T> view(static_cast<py::ssize_t>(values.size()), values.data(), owner);
  py::detail::array_proxy(view.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return view;
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

// One fusion's forward and backward on single vectors, for gradient checks.
py::array_t<float> fusion_forward(const std::string& kind, const std::string& gate,
                                  const CArray<float>& t, const CArray<float>& u) {
  check(t.ndim() == 1 && u.ndim() == 1 && t.size() == u.size() && t.size() >= 1,
        "t and u must be 1-D arrays of the same size");
  const Fusion fusion(parse_fusion(kind), parse_gate(gate), static_cast<int32_t>(t.size()));
  FusionScratch s = fusion.make_scratch();
  std::copy(t.data(), t.data() + t.size(), s.t.begin());
  std::copy(u.data(), u.data() + u.size(), s.u.begin());
  fusion.forward(s);
  return to_numpy(s.z);
}

py::tuple fusion_backward(const std::string& kind, const std::string& gate, const CArray<float>& t,
                          const CArray<float>& u, const CArray<float>& dz) {
  check(t.ndim() == 1 && u.ndim() == 1 && t.size() == u.size() && t.size() >= 1,
        "t and u must be 1-D arrays of the same size");
  const Fusion fusion(parse_fusion(kind), parse_gate(gate), static_cast<int32_t>(t.size()));
  check(dz.ndim() == 1 && dz.size() == fusion.width(), "dz must have the fusion's width");
  FusionScratch s = fusion.make_scratch();
  std::copy(t.data(), t.data() + t.size(), s.t.begin());
  std::copy(u.data(), u.data() + u.size(), s.u.begin());
  fusion.forward(s);
  std::copy(dz.data(), dz.data() + dz.size(), s.dz.begin());
  fusion.backward(s);
  return py::make_tuple(to_numpy(s.dt), to_numpy(s.du));
}

py::tuple load_result(Classifier classifier, const std::string& metadata) {
  return py::make_tuple(std::move(classifier), py::bytes(metadata));
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
  def_train_option(config, "seed", &TrainOptions::seed);
}

void bind_classifier(py::module_& m) {
  py::class_<LabeledTexts>(m, "LabeledTexts", "Texts and labels read from a fastText-format file.")
      .def("__len__", [](const LabeledTexts& t) { return t.texts.size(); })
      .def_property_readonly("label_names", [](const LabeledTexts& t) { return t.label_names; })
      .def_property_readonly("label_offsets",
                             [](const LabeledTexts& t) { return to_numpy(t.labels.offsets); })
      .def_property_readonly("label_ids",
                             [](const LabeledTexts& t) { return to_numpy(t.labels.values); })
      .def_readonly("skipped_lines", &LabeledTexts::skipped_lines);

  m.def(
      "read_fasttext_file",
      [](const std::string& path, bool keep_unlabeled) {
        std::unique_ptr<LabeledTexts> texts;
        run_interruptibly(true, [&] { texts = read_fasttext_file(path, keep_unlabeled); });
        return texts;
      },
      py::arg("path"), py::arg("keep_unlabeled"));

  py::class_<Trainer>(m, "Trainer")
      .def("start", &Trainer::start)
      .def("wait", &Trainer::wait, py::arg("seconds"), py::call_guard<py::gil_scoped_release>())
      .def("request_stop", &Trainer::request_stop)
      .def("join", &Trainer::join, py::call_guard<py::gil_scoped_release>())
      .def("progress", [](const Trainer& t) {
        const Progress p = t.progress();
        return py::dict(py::arg("examples_done") = p.examples_done,
                        py::arg("examples_total") = p.examples_total,
                        py::arg("loss_sum") = p.loss_sum, py::arg("loss_count") = p.loss_count,
                        py::arg("lr") = p.lr);
      });

  py::class_<Classifier>(m, "Classifier")
      .def(py::init<const ClassifierConfig&>(), py::arg("config"))
      .def(
          "prepare_fit",
          [](Classifier& self, py::handle texts, py::handle features, py::handle codes,
             const CArray<int64_t>& label_offsets, const CArray<int32_t>& label_ids,
             int32_t n_classes, int64_t codebook_size) {
            auto input =
                batch_input(texts, features, codes, /*allow_empty=*/texts.is_none() ||
                                                        !features.is_none() || !codes.is_none());
            check(features.is_none() || input->features.ptr() == features.ptr(),
                  "features must be a C-contiguous float32 array to be read in place");
            RaggedArray labels = ragged_from_numpy(label_offsets, label_ids);
            std::unique_ptr<Trainer> trainer;
            run_interruptibly(true, [&] {
              trainer = self.prepare_fit(input->batch, std::move(labels), n_classes, codebook_size);
            });
            return trainer;
          },
          py::arg("texts"), py::arg("features"), py::arg("codes"), py::arg("label_offsets"),
          py::arg("label_ids"), py::arg("n_classes"), py::arg("codebook_size"),
          // The trainer reads the classifier's model and the features in place.
          py::keep_alive<0, 1>(), py::keep_alive<0, 3>())
      .def(
          "prepare_fit_dataset",
          [](Classifier& self, const std::shared_ptr<CompiledDataset>& dataset,
             int64_t codebook_size) {
            py::gil_scoped_release release;
            return self.prepare_fit(dataset->meta().dictionary, /*has_text=*/true,
                                    dataset->examples(), codebook_size);
          },
          py::arg("dataset"), py::arg("codebook_size"),
          // The trainer reads the classifier's model; the examples keep the
          // dataset's mapping alive themselves.
          py::keep_alive<0, 1>())
      .def(
          "train_steps",
          [](Classifier& self, py::handle texts, py::handle features, py::handle codes,
             const CArray<int64_t>& label_offsets, const CArray<int32_t>& label_ids, float lr,
             float feature_lr) {
            auto input = batch_input(texts, features, codes, /*allow_empty=*/true);
            RaggedArray labels = ragged_from_numpy(label_offsets, label_ids);
            py::gil_scoped_release release;
            return self.train_steps(input->batch, labels, lr, feature_lr);
          },
          py::arg("texts"), py::arg("features"), py::arg("codes"), py::arg("label_offsets"),
          py::arg("label_ids"), py::arg("lr"), py::arg("feature_lr"))
      .def(
          "token_ids",
          [](const Classifier& self, const std::string& text) {
            std::vector<int32_t> ids;
            std::vector<uint64_t> hashes;
            self.model();  // refuses an unfitted classifier
            self.dictionary().encode(text, ids, hashes);
            return to_numpy(ids);
          },
          py::arg("text"), "Rows of the text table that `text` reads: its words, then n-grams.")
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
          [](const Classifier& self, py::handle texts, py::handle features, py::handle codes,
             int threads) {
            auto input = batch_input(texts, features, codes, /*allow_empty=*/true);
            py::array_t<float> out({static_cast<py::ssize_t>(input->batch.size),
                                    static_cast<py::ssize_t>(self.n_classes())});
            float* data = out.mutable_data();
            run_interruptibly(long_prediction(self, input->batch), [&] {
              self.predict_proba(input->batch, data, resolve_threads(threads));
            });
            return out;
          },
          py::arg("texts"), py::arg("features"), py::arg("codes"), py::arg("threads"))
      .def(
          "predict_top",
          [](const Classifier& self, py::handle texts, py::handle features, py::handle codes, int k,
             float threshold, int threads) {
            check(k >= 1, "k must be >= 1, got " + std::to_string(k));
            auto input = batch_input(texts, features, codes, /*allow_empty=*/true);
            const auto n = static_cast<py::ssize_t>(input->batch.size);
            py::array_t<int32_t> classes({n, static_cast<py::ssize_t>(k)});
            py::array_t<float> probs({n, static_cast<py::ssize_t>(k)});
            int32_t* c = classes.mutable_data();
            float* p = probs.mutable_data();
            run_interruptibly(long_prediction(self, input->batch), [&] {
              self.predict_top(input->batch, k, threshold, c, p, resolve_threads(threads));
            });
            return py::make_tuple(classes, probs);
          },
          py::arg("texts"), py::arg("features"), py::arg("codes"), py::arg("k"),
          py::arg("threshold"), py::arg("threads"))
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
            std::string metadata;
            std::optional<Classifier> c;
            run_interruptibly(true, [&] { c.emplace(Classifier::load(path, metadata)); });
            return load_result(std::move(*c), metadata);
          },
          py::arg("path"))
      .def_static(
          "from_bytes",
          [](const py::bytes& data) {
            std::string_view view = data;
            std::string metadata;
            std::optional<Classifier> c;
            run_interruptibly(view.size() >= kLongCallWork, [&] {
              MemoryBuffer buffer(view.data(), view.size());
              std::istream in(&buffer);
              c.emplace(Classifier::load(in, view.size(), metadata));
            });
            return load_result(std::move(*c), metadata);
          },
          py::arg("data"));
}

// A compile running on its own thread, polled by the calling thread.
struct CompileJob {
  CompileProgress progress;
  std::unique_ptr<BackgroundTask> task;
};

std::string quantizer_bytes(const Quantizer& quantizer) {
  std::ostringstream stream;
  BinaryWriter out(stream);
  quantizer.write(out);
  out.finish();
  return std::move(stream).str();
}

void bind_datasets(py::module_& m) {
  py::class_<CompileJob>(m, "CompileJob")
      .def(
          "wait", [](CompileJob& job, double seconds) { return job.task->wait(seconds); },
          py::arg("seconds"), py::call_guard<py::gil_scoped_release>())
      .def("request_stop", [](CompileJob& job) { job.progress.stop = true; })
      .def(
          "join", [](CompileJob& job) { job.task->join(); },
          py::call_guard<py::gil_scoped_release>())
      .def("progress", [](const CompileJob& job) {
        const CompileProgress& p = job.progress;
        return py::dict(
            py::arg("pass") = p.pass.load(), py::arg("bytes_read") = p.bytes_read.load(),
            py::arg("bytes_total") = p.bytes_total.load(), py::arg("lines") = p.lines.load());
      });

  m.def(
      "compile_dataset",
      [](const std::string& text_path, const std::string& out_path, const std::string& feature_path,
         uint64_t feature_offset, const std::string& dtype, int64_t rows, int64_t cols,
         bool by_reference, const std::string& reference, int word_ngrams, int64_t buckets,
         int64_t min_count, bool numeric_labels, int threads) {
        const FeatureSource features{feature_path, feature_offset, dtype,    rows,
                                     cols,         by_reference,   reference};
        const DatasetSettings settings{word_ngrams, buckets, min_count, numeric_labels};
        threads = resolve_threads(threads);
        auto job = std::make_unique<CompileJob>();
        CompileProgress* progress = &job->progress;
        job->task = std::make_unique<BackgroundTask>(
            [=] { compile_dataset(text_path, features, settings, threads, out_path, *progress); });
        return job;
      },
      py::arg("text_path"), py::arg("out_path"), py::arg("feature_path"), py::arg("feature_offset"),
      py::arg("dtype"), py::arg("rows"), py::arg("cols"), py::arg("by_reference"),
      py::arg("reference"), py::arg("word_ngrams"), py::arg("buckets"), py::arg("min_count"),
      py::arg("numeric_labels"), py::arg("threads"),
      "Starts compiling a fastText-format file into a dataset file; returns the running job.");

  py::class_<CompiledDataset, std::shared_ptr<CompiledDataset>>(
      m, "CompiledDataset", "A compiled dataset file, memory-mapped (see cpp/dataset_file.h).")
      .def_static(
          "open",
          [](const std::string& path, int threads) {
            py::gil_scoped_release release;
            return std::const_pointer_cast<CompiledDataset>(
                CompiledDataset::open(path, resolve_threads(threads)));
          },
          py::arg("path"), py::arg("threads"))
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
          "encode_features",
          [](const CompiledDataset& d, const Quantizer& quantizer, const std::string& out_path,
             int threads) {
            const std::string bytes = quantizer_bytes(quantizer);
            py::gil_scoped_release release;
            d.encode_features(quantizer, bytes, out_path, resolve_threads(threads));
          },
          py::arg("quantizer"), py::arg("out_path"), py::arg("threads"));
}

}  // namespace

// ---------------------------------------------------------------------------
// Quantizers: KMeans, ProductQuantizer, RandomSampleProductQuantizer
// ---------------------------------------------------------------------------

namespace {

std::string shape_of(const py::array& array) {
  std::string text = "(";
  for (py::ssize_t axis = 0; axis < array.ndim(); ++axis) {
    text += (axis ? ", " : "") + std::to_string(array.shape(axis));
  }
  return text + (array.ndim() == 1 ? ",)" : ")");
}

// Throws ValueError unless `array` is 2-D with `cols` columns.
void check_matrix(const py::array& array, const char* name, int64_t cols) {
  check(array.ndim() == 2 && array.shape(1) == cols, std::string(name) + " must have shape (n, " +
                                                         std::to_string(cols) + "), got " +
                                                         shape_of(array));
}

template <typename Object>
py::bytes to_bytes(const Object& object) {
  std::ostringstream stream;
  {
    py::gil_scoped_release release;
    mmfast::BinaryWriter out(stream);
    object.write(out);
    out.finish();
  }
  return py::bytes(stream.str());
}

// Reads one object written by to_bytes, refusing trailing or corrupt data.
template <typename Read>
auto from_bytes(const py::bytes& data, Read read) {
  const std::string_view view = data;
  MemoryBuffer buffer(view.data(), view.size());
  std::istream stream(&buffer);
  std::optional<decltype(read(std::declval<mmfast::BinaryReader&>()))> object;
  run_interruptibly(view.size() >= kLongCallWork, [&] {
    mmfast::BinaryReader in(stream, view.size());
    object.emplace(read(in));
    in.finish();
  });
  return std::move(*object);
}

py::array encode(const mmfast::Quantizer& quantizer, const CArray<float>& x, int threads) {
  check_matrix(x, "X", quantizer.dim());
  const int64_t n = x.shape(0);
  const bool narrow = quantizer.n_bits() <= 8;
  py::array codes = narrow ? py::array(py::array_t<uint8_t>({n, int64_t{quantizer.n_codes()}}))
                           : py::array(py::array_t<uint16_t>({n, int64_t{quantizer.n_codes()}}));
  void* out = codes.mutable_data();
  const double work = static_cast<double>(n) * quantizer.dim() * quantizer.n_centroids();
  run_interruptibly(work >= kLongCallWork, [&] {
    if (narrow) {
      quantizer.encode(x.data(), n, static_cast<uint8_t*>(out), threads);
    } else {
      quantizer.encode(x.data(), n, static_cast<uint16_t*>(out), threads);
    }
  });
  return codes;
}

template <typename Code>
py::array_t<float> decode_as(const mmfast::Quantizer& quantizer, const py::array& codes,
                             int threads) {
  const auto contiguous = py::array_t<Code, py::array::c_style>::ensure(codes);
  py::array_t<float> out({static_cast<int64_t>(codes.shape(0)), quantizer.dim()});
  float* data = out.mutable_data();
  const double work = static_cast<double>(contiguous.shape(0)) * quantizer.dim();
  run_interruptibly(work >= kLongCallWork, [&] {
    quantizer.decode(contiguous.data(), contiguous.shape(0), data, threads);
  });
  return out;
}

py::array_t<float> decode(const mmfast::Quantizer& quantizer, const py::array& codes, int threads) {
  check_matrix(codes, "codes", quantizer.n_codes());
  if (py::isinstance<py::array_t<uint8_t>>(codes)) {
    return decode_as<uint8_t>(quantizer, codes, threads);
  }
  if (py::isinstance<py::array_t<uint16_t>>(codes)) {
    return decode_as<uint16_t>(quantizer, codes, threads);
  }
  throw py::type_error("codes must be a uint8 or uint16 array, got dtype " +
                       static_cast<std::string>(py::str(codes.dtype())));
}

}  // namespace

static void bind_quantizers(py::module_& m) {
  using mmfast::KMeans;
  using mmfast::KMeansOptions;
  using mmfast::Quantizer;
  using mmfast::SubspaceQuantizer;

  auto options = [](int n_iter, int64_t max_points_per_centroid, uint64_t seed) {
    KMeansOptions result;
    result.n_iter = n_iter;
    result.max_points_per_centroid = max_points_per_centroid;
    result.seed = seed;
    return result;
  };

  py::class_<KMeans>(m, "KMeans", "Lloyd's k-means (see cpp/kmeans.h).")
      .def(py::init([options](int64_t dim, int64_t k, int n_iter, int64_t max_points_per_centroid,
                              uint64_t seed) {
             return KMeans(dim, k, options(n_iter, max_points_per_centroid, seed));
           }),
           py::arg("dim"), py::arg("k"), py::arg("n_iter") = 25,
           py::arg("max_points_per_centroid") = 256, py::arg("seed") = 0)
      .def_property_readonly("dim", &KMeans::dim)
      .def_property_readonly("k", &KMeans::k)
      .def_property_readonly("is_trained", &KMeans::is_trained)
      .def(
          "train",
          [](KMeans& kmeans, const CArray<float>& x, int threads) {
            check_matrix(x, "X", kmeans.dim());
            run_interruptibly(true, [&] { kmeans.train(x.data(), x.shape(0), threads); });
          },
          py::arg("x"), py::arg("threads") = 0)
      .def(
          "assign",
          [](const KMeans& kmeans, const CArray<float>& x, int threads) {
            check_matrix(x, "X", kmeans.dim());
            check(kmeans.is_trained(), "k-means is not trained");
            const int64_t n = x.shape(0);
            py::array_t<int32_t> labels(n);
            py::array_t<float> distances(n);
            int32_t* label_data = labels.mutable_data();
            float* distance_data = distances.mutable_data();
            const double work = static_cast<double>(n) * kmeans.dim() * kmeans.k();
            run_interruptibly(work >= kLongCallWork, [&] {
              kmeans.assign(x.data(), n, label_data, distance_data, threads);
            });
            return py::make_tuple(labels, distances);
          },
          py::arg("x"), py::arg("threads") = 0,
          "Nearest centroid of each row and the squared distance to it.")
      .def(
          "distances",
          [](const KMeans& kmeans, const CArray<float>& x, int threads) {
            check_matrix(x, "X", kmeans.dim());
            check(kmeans.is_trained(), "k-means is not trained");
            py::array_t<float> out({static_cast<int64_t>(x.shape(0)), kmeans.k()});
            float* data = out.mutable_data();
            py::gil_scoped_release release;
            kmeans.distances(x.data(), x.shape(0), data, threads);
            return out;
          },
          py::arg("x"), py::arg("threads") = 0,
          "(n, k) Euclidean distances of each row to each centroid.")
      .def_property_readonly("centroids",
                             [](const KMeans& kmeans) {
                               return py::array_t<float>({kmeans.k(), kmeans.dim()},
                                                         kmeans.centroids().data());
                             })
      .def_property_readonly("objective", &KMeans::objective)
      .def("to_bytes", &to_bytes<KMeans>)
      .def_static("from_bytes", [](const py::bytes& data) {
        return from_bytes(data, [](mmfast::BinaryReader& in) { return KMeans::read(in); });
      });

  // Shared holders: a Classifier keeps the quantizer its codes come from.
  py::class_<Quantizer, std::shared_ptr<Quantizer>>(
      m, "Quantizer", "Abstract vector quantizer (see cpp/quantizer.h).")
      .def_property_readonly("dim", &Quantizer::dim)
      .def_property_readonly("n_codes", &Quantizer::n_codes)
      .def_property_readonly("n_bits", &Quantizer::n_bits)
      .def_property_readonly("n_centroids", &Quantizer::n_centroids)
      .def_property_readonly("is_trained", &Quantizer::is_trained)
      .def(
          "train",
          [](Quantizer& quantizer, const CArray<float>& x, int threads) {
            check_matrix(x, "X", quantizer.dim());
            run_interruptibly(true, [&] { quantizer.train(x.data(), x.shape(0), threads); });
          },
          py::arg("x"), py::arg("threads") = 0)
      .def("encode", &encode, py::arg("x"), py::arg("threads") = 0,
           "Codes of shape (n, n_codes): uint8 when n_bits <= 8, else uint16.")
      .def("decode", &decode, py::arg("codes"), py::arg("threads") = 0)
      .def("to_bytes", &to_bytes<Quantizer>)
      .def_static("from_bytes", [](const py::bytes& data) {
        return from_bytes(data, [](mmfast::BinaryReader& in) {
          return std::shared_ptr<Quantizer>(Quantizer::read(in));
        });
      });

  py::class_<SubspaceQuantizer, Quantizer, std::shared_ptr<SubspaceQuantizer>>(m,
                                                                               "SubspaceQuantizer")
      .def_property_readonly("n_iter",
                             [](const SubspaceQuantizer& q) { return q.kmeans_options().n_iter; })
      .def_property_readonly(
          "max_points_per_centroid",
          [](const SubspaceQuantizer& q) { return q.kmeans_options().max_points_per_centroid; })
      .def_property_readonly("seed",
                             [](const SubspaceQuantizer& q) { return q.kmeans_options().seed; })
      .def(
          "subspace",
          [](const SubspaceQuantizer& q, int r) {
            const auto& dims = q.subspace(r);
            return py::array_t<int32_t>(static_cast<py::ssize_t>(dims.size()), dims.data());
          },
          py::arg("r"), "The dimensions code r quantizes, increasing.")
      .def(
          "codebook", [](const SubspaceQuantizer& q, int r) { return q.codebook(r); }, py::arg("r"),
          "A copy of codebook r (a trained KMeans).");

  py::class_<mmfast::ProductQuantizer, SubspaceQuantizer,
             std::shared_ptr<mmfast::ProductQuantizer>>(m, "ProductQuantizer")
      .def(py::init([options](int64_t dim, int n_subquantizers, int n_bits, int n_iter,
                              int64_t max_points_per_centroid, uint64_t seed) {
             return std::make_shared<mmfast::ProductQuantizer>(
                 dim, n_subquantizers, n_bits, options(n_iter, max_points_per_centroid, seed));
           }),
           py::arg("dim"), py::arg("n_subquantizers"), py::arg("n_bits") = 8,
           py::arg("n_iter") = 25, py::arg("max_points_per_centroid") = 256, py::arg("seed") = 0);

  py::class_<mmfast::RandomSampleProductQuantizer, SubspaceQuantizer,
             std::shared_ptr<mmfast::RandomSampleProductQuantizer>>(m,
                                                                    "RandomSampleProductQuantizer")
      .def(py::init([options](int64_t dim, int n_subspaces, int subspace_dim, int n_bits,
                              int n_iter, int64_t max_points_per_centroid, uint64_t seed) {
             return std::make_shared<mmfast::RandomSampleProductQuantizer>(
                 dim, n_subspaces, subspace_dim, n_bits,
                 options(n_iter, max_points_per_centroid, seed));
           }),
           py::arg("dim"), py::arg("n_subspaces"), py::arg("subspace_dim"), py::arg("n_bits") = 8,
           py::arg("n_iter") = 25, py::arg("max_points_per_centroid") = 256, py::arg("seed") = 0);
}

PYBIND11_MODULE(_core, m) {
  m.doc() = "mmfast native core";
  main_thread_id =
      py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();
  py::register_exception_translator([](std::exception_ptr error) {
    try {
      if (error) std::rethrow_exception(error);
    } catch (const FileError& e) {
      // OSError(errno, message, path) is the errno's subclass (FileNotFoundError, ...).
      py::object os_error =
          py::reinterpret_borrow<py::object>(PyExc_OSError)(e.error(), e.what(), e.path());
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(os_error.ptr())), os_error.ptr());
    } catch (const Interrupted&) {
      PyErr_SetNone(PyExc_KeyboardInterrupt);
    }
  });
  m.def(
      "default_threads", [] { return resolve_threads(0); },
      "Number of threads used when threads=None.");
  m.def("fusion_forward", &fusion_forward, py::arg("fusion"), py::arg("gate"), py::arg("t"),
        py::arg("u"), "z = fusion(t, u), as the model computes it.");
  m.def("fusion_backward", &fusion_backward, py::arg("fusion"), py::arg("gate"), py::arg("t"),
        py::arg("u"), py::arg("dz"), "(dt, du): the gradient dz of z carried back to t and u.");
  bind_quantizers(m);
  bind_classifier_config(m);
  bind_classifier(m);
  bind_datasets(m);
}
