// Bindings of the quantizers: KMeans, ProductQuantizer,
// RandomSampleProductQuantizer (cpp/kmeans.h, cpp/quantizer.h).
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "bindings.h"
#include "common.h"
#include "kmeans.h"
#include "quantizer.h"
#include "serialization.h"

namespace mmfast::bindings {

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
  std::string bytes;
  {
    py::gil_scoped_release release;
    bytes = serialized(object);
  }
  return py::bytes(bytes);
}

// Reading one object written by to_bytes, refusing trailing or corrupt
// data: a job whose result is the object.
template <typename Read>
py::object from_bytes(const py::bytes& data, Read read) {
  const std::string_view view = data;
  auto object = std::make_shared<std::optional<decltype(read(std::declval<BinaryReader&>()))>>();
  return start_job(
      static_cast<double>(view.size()),
      [=] {
        MemoryBuffer buffer(view.data(), view.size());
        std::istream stream(&buffer);
        BinaryReader in(stream, view.size());
        object->emplace(read(in));
        in.finish();
      },
      data, [object] { return py::cast(std::move(**object)); });
}

// The k-means of a Python KMeans that `x` is to be assigned to: trained,
// with x's columns.
const KMeans* trained_kmeans(py::handle self, const py::array& x) {
  const KMeans* kmeans = self.cast<const KMeans*>();
  check_matrix(x, "X", kmeans->dim());
  check(kmeans->is_trained(), "k-means is not trained");
  return kmeans;
}

// The quantizer of a Python Quantizer, shared with the jobs that read it.
std::shared_ptr<const Quantizer> shared_quantizer(py::handle self) {
  return self.cast<std::shared_ptr<Quantizer>>();
}

py::object encode(py::object self, const CArray<float>& x, int threads) {
  auto quantizer = shared_quantizer(self);
  check_matrix(x, "X", quantizer->dim());
  const int64_t n = x.shape(0);
  const bool narrow = quantizer->n_bits() <= 8;
  py::array codes = narrow ? py::array(py::array_t<uint8_t>({n, int64_t{quantizer->n_codes()}}))
                           : py::array(py::array_t<uint16_t>({n, int64_t{quantizer->n_codes()}}));
  void* out = codes.mutable_data();
  const float* data = x.data();
  return start_job(
      static_cast<double>(n) * quantizer->dim() * quantizer->n_centroids(),
      [=] {
        if (narrow) {
          quantizer->encode(data, n, static_cast<uint8_t*>(out), threads);
        } else {
          quantizer->encode(data, n, static_cast<uint16_t*>(out), threads);
        }
      },
      x, [codes] { return codes; }, items_total(static_cast<double>(n)));
}

template <typename Code>
py::object decode_as(std::shared_ptr<const Quantizer> quantizer, const py::array& codes,
                     int threads) {
  const auto contiguous = py::array_t<Code, py::array::c_style>::ensure(codes);
  py::array_t<float> out({static_cast<int64_t>(codes.shape(0)), quantizer->dim()});
  float* data = out.mutable_data();
  const Code* in = contiguous.data();
  const int64_t n = contiguous.shape(0);
  return start_job(
      static_cast<double>(n) * quantizer->dim(), [=] { quantizer->decode(in, n, data, threads); },
      contiguous, [out] { return out; });
}

py::object decode(py::object self, const py::array& codes, int threads) {
  auto quantizer = shared_quantizer(self);
  check_matrix(codes, "codes", quantizer->n_codes());
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

void bind_quantizers(py::module_& m) {
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
          [](py::object self, const CArray<float>& x, int threads) {
            KMeans* kmeans = self.cast<KMeans*>();
            check_matrix(x, "X", kmeans->dim());
            const float* data = x.data();
            const int64_t n = x.shape(0);
            return start_job(
                kLongCallWork, [=] { kmeans->train(data, n, threads); }, py::make_tuple(self, x),
                {}, items_total(kmeans->options().n_iter));
          },
          py::arg("x"), py::arg("threads") = 0,
          "Starts training; the job reports items_done and items_total (iterations).")
      .def(
          "assign",
          [](py::object self, const CArray<float>& x, int threads) {
            const KMeans* kmeans = trained_kmeans(self, x);
            const int64_t n = x.shape(0);
            py::array_t<int32_t> labels(n);
            py::array_t<float> distances(n);
            int32_t* label_data = labels.mutable_data();
            float* distance_data = distances.mutable_data();
            const float* data = x.data();
            return start_job(
                static_cast<double>(n) * kmeans->dim() * kmeans->k(),
                [=] { kmeans->assign(data, n, label_data, distance_data, threads); },
                py::make_tuple(self, x),
                [labels, distances] { return py::make_tuple(labels, distances); });
          },
          py::arg("x"), py::arg("threads") = 0,
          "Starts finding each row's nearest centroid; the job's result is (labels, squared "
          "distances).")
      .def(
          "distances",
          [](py::object self, const CArray<float>& x, int threads) {
            const KMeans* kmeans = trained_kmeans(self, x);
            const int64_t n = x.shape(0);
            py::array_t<float> out({n, kmeans->k()});
            float* out_data = out.mutable_data();
            const float* data = x.data();
            return start_job(
                static_cast<double>(n) * kmeans->dim() * kmeans->k(),
                [=] { kmeans->distances(data, n, out_data, threads); }, py::make_tuple(self, x),
                [out] { return out; });
          },
          py::arg("x"), py::arg("threads") = 0,
          "Starts computing the (n, k) Euclidean distances of each row to each centroid.")
      .def_property_readonly("centroids",
                             [](const KMeans& kmeans) {
                               return py::array_t<float>({kmeans.k(), kmeans.dim()},
                                                         kmeans.centroids().data());
                             })
      .def_property_readonly("objective", &KMeans::objective)
      .def("to_bytes", &to_bytes<KMeans>)
      .def_static(
          "from_bytes",
          [](const py::bytes& data) {
            return from_bytes(data, [](BinaryReader& in) { return KMeans::read(in); });
          },
          py::arg("data"), "Starts reading k-means from bytes; the job's result is it.");

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
          [](py::object self, const CArray<float>& x, int threads) {
            auto quantizer = self.cast<std::shared_ptr<Quantizer>>();
            check_matrix(x, "X", quantizer->dim());
            const float* data = x.data();
            const int64_t n = x.shape(0);
            return start_job(
                kLongCallWork, [=] { quantizer->train(data, n, threads); }, x, {},
                items_total(static_cast<double>(quantizer->training_steps())));
          },
          py::arg("x"), py::arg("threads") = 0,
          "Starts training; the job reports items_done and items_total (k-means iterations).")
      .def("encode", &encode, py::arg("x"), py::arg("threads") = 0,
           "Starts encoding; the job's result is the codes of shape (n, n_codes): uint8 when "
           "n_bits <= 8, else uint16; it reports items_done and items_total (vectors).")
      .def("decode", &decode, py::arg("codes"), py::arg("threads") = 0,
           "Starts decoding; the job's result is the (n, dim) vectors.")
      .def("to_bytes", &to_bytes<Quantizer>)
      .def_static(
          "from_bytes",
          [](const py::bytes& data) {
            return from_bytes(data, [](BinaryReader& in) {
              return std::shared_ptr<Quantizer>(Quantizer::read(in));
            });
          },
          py::arg("data"), "Starts reading a quantizer from bytes; the job's result is it.");

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

}  // namespace mmfast::bindings
