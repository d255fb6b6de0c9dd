#include "model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "serialization.h"
#include "simd.h"

namespace mmfast {

namespace {

constexpr int64_t kMaxCodebookSize = int64_t{1} << 16;  // codes are uint16

// Throws unless `shape` describes a model this code can run: which inputs
// the fusion reads must match where u comes from.
void check_shape(const ModelShape& shape) {
  check(shape.dim >= 1, "dim must be >= 1");
  check(shape.text_rows >= 0 && shape.n_features >= 0 && shape.n_codes >= 0 && shape.neg >= 1,
        "negative model size");
  check(shape.codebook_size >= 0 && shape.codebook_size <= kMaxCodebookSize,
        "codebook size outside [0, 65536]");
  check(shape.n_features == 0 || shape.n_codes == 0,
        "a model takes dense features or feature tokens, not both");
  check((shape.n_codes > 0) == (shape.codebook_size > 0), "feature tokens need a codebook");
  const Fusion fusion(shape.fusion, shape.gate, shape.dim);
  const bool has_features = shape.n_features > 0 || shape.n_codes > 0;
  check(fusion.uses_features() == has_features,
        "fusion '" + fusion_name(shape.fusion) + "' does not match the model's feature inputs");
  check(fusion.uses_text() || shape.text_rows == 0, "a features-only model has no text table");
  check(shape.n_codes == 0 || shape.fusion == FusionKind::kAdd ||
            shape.fusion == FusionKind::kFeatures,
        "feature tokens are fused by addition");
  check(fusion.width() <= (int64_t{1} << 26), "dim too large for bilinear fusion");
}

// Size of z as the output layer reads it (see Model::hidden_width).
int64_t hidden_width_of(const ModelShape& shape) {
  return Fusion(shape.fusion, shape.gate, shape.dim).width() + (shape.intercept ? 1 : 0);
}

// The output layer as training starts it: zero, as fastText's, except ova's
// intercepts, at each class's prior log-odds log(q / (1 - q)) with
// q = (count + 0.5) / (n_examples + 1) (finite for a class in no example or
// in all), so that the sigmoids are calibrated from the first example: at 0
// every class starts at p = 0.5, and the first steps push them all down at
// once through z.
Matrix initial_output(const ModelShape& shape, const std::vector<int64_t>& class_counts,
                      int64_t n_examples) {
  Matrix output(make_loss(shape.loss, class_counts, shape.neg)->output_rows(),
                hidden_width_of(shape));
  if (shape.intercept && shape.loss == LossKind::kOneVsAll) {
    for (int64_t c = 0; c < output.rows(); ++c) {
      const double q = (static_cast<double>(class_counts[c]) + 0.5) / (n_examples + 1.0);
      output.row(c)[output.cols() - 1] = static_cast<float>(std::log(q / (1.0 - q)));
    }
  }
  return output;
}

// bilinear_gated's dim gates sigmoid(u_j) each scale a copy of t. From
// sigmoid(u) = 0.5 everywhere (u small) and a zero output matrix, every
// copy's output weights and every gate's row of C receive the same updates,
// so the gates start as one and separate only slowly. Started spread, they
// differ from the first example (fortunes .563 -> .588, icons .839 -> .848,
// generated sets unchanged; README, "Choosing the fusion's settings").
Projection::Start projection_start(FusionKind fusion) {
  return is_bilinear(fusion) ? Projection::Start::kSpread : Projection::Start::kSmall;
}

// A table as a file stores it: float rows, or quantized ones (with an
// empty float table).
struct StoredTable {
  Matrix floats;
  std::optional<QuantizedMatrix> codes;
};

StoredTable read_table(BinaryReader& in) {
  const TableHead head = TableHead::read(in);
  if (head.encoding == RowEncoding::kFloat32) return {Matrix::read_rows(head, in), std::nullopt};
  return {Matrix(0, head.cols), QuantizedMatrix::read_rows(head, in)};
}

void write_table(BinaryWriter& out, const Matrix& floats,
                 const std::optional<QuantizedMatrix>& codes) {
  if (codes) {
    codes->write(out);
  } else {
    floats.write(out);
  }
}

}  // namespace

Model::Model(const ModelShape& shape, std::vector<int64_t> class_counts, int64_t n_examples,
             const Standardization& scaling, uint64_t seed, int threads)
    : Model(shape, class_counts,
            Matrix::uniform(shape.text_rows, shape.dim, 1.0f / shape.dim, seed, threads),
            Matrix::uniform(static_cast<int64_t>(shape.n_codes) * shape.codebook_size, shape.dim,
                            1.0f / shape.dim, seed ^ 0xFEA7u, threads),
            shape.n_features > 0
                ? std::optional<Projection>(Projection(shape.dim, scaling, seed ^ 0xC0DEu, threads,
                                                       projection_start(shape.fusion)))
                : std::nullopt,
            initial_output(shape, class_counts, n_examples)) {}

Model::Model(const ModelShape& shape, std::vector<int64_t> class_counts, Matrix text_embeddings,
             Matrix feature_embeddings, std::optional<Projection> projection, Matrix output,
             std::optional<QuantizedMatrix> text_codes,
             std::optional<QuantizedMatrix> feature_codes,
             std::optional<QuantizedMatrix> output_codes)
    : shape_(shape),
      fusion_((check_shape(shape), Fusion(shape.fusion, shape.gate, shape.dim))),
      text_alone_(FusionKind::kText, shape.gate, shape.dim),
      features_alone_(FusionKind::kFeatures, shape.gate, shape.dim),
      class_counts_(std::move(class_counts)),
      loss_(make_loss(shape.loss, class_counts_, shape.neg)),
      text_embeddings_(std::move(text_embeddings)),
      feature_embeddings_(std::move(feature_embeddings)),
      projection_(std::move(projection)),
      output_(std::move(output)),
      text_codes_(std::move(text_codes)),
      feature_codes_(std::move(feature_codes)),
      output_codes_(std::move(output_codes)) {
  // A table fits as floats, or quantized with an empty float table beside it.
  auto fits = [&](const Matrix& m, const std::optional<QuantizedMatrix>& codes, int64_t rows,
                  int64_t cols) {
    if (codes) return codes->rows() == rows && codes->cols() == cols && m.rows() == 0;
    return m.rows() == rows && m.cols() == cols;
  };
  check(fits(text_embeddings_, text_codes_, shape.text_rows, shape.dim) &&
            fits(feature_embeddings_, feature_codes_, shape.n_codes * shape.codebook_size,
                 shape.dim) &&
            output_.rows() == loss_->output_rows() && output_.cols() == hidden_width() &&
            (!output_codes_ ||
             (output_codes_->rows() == output_.rows() && output_codes_->cols() == output_.cols())),
        "matrix shapes do not match the model");
  check(shape.n_features == 0 ? !projection_
                              : projection_ && projection_->dim() == shape.dim &&
                                    projection_->n_features() == shape.n_features,
        "feature projection does not match the model");
}

int64_t Model::hidden_width() const { return hidden_width_of(shape_); }

ModelScratch Model::make_scratch(uint64_t seed, uint64_t stream,
                                 const ThreadSharing& sharing) const {
  FusionScratch fusion = fusion_.make_scratch();
  if (shape_.intercept) {
    // The constant stays in place: the fusion writes the first width() values.
    fusion.z.push_back(1.0f);
    fusion.dz.push_back(0.0f);
  }
  const int64_t feature_merge_every = kFeatureMergeFactor * shape_.codebook_size;
  return ModelScratch{
      std::move(fusion),
      loss_->make_scratch(seed, stream),
      projection_ ? projection_->make_scratch(sharing.replicate) : ProjectionScratch{},
      sharing.replicate && output_.size() <= (writes_every_output_row() ? kReplicatedDenseOutput
                                                                        : kReplicatedOutput)
          ? Replica(output_, kOutputMergeEvery)
          : Replica(),
      sharing.replicate && feature_embeddings_.rows() > 0 &&
              feature_embeddings_.size() <= kReplicatedDenseOutput &&
              sharing.examples >= kMinFeatureMerges * feature_merge_every
          ? Replica(feature_embeddings_, static_cast<int>(feature_merge_every))
          : Replica(),
      sharing.hot_text ? ThinnedWrites(*sharing.hot_text, kThinning) : ThinnedWrites()};
}

HotRows Model::hot_text_rows(const Dataset& data) const {
  if (!fusion_.uses_text() || text_codes_) return HotRows();
  return HotRows::busiest(data, text_embeddings_.rows(), kHotTextRows);
}

bool Model::supports_dropout() const {
  return fusion_.uses_text() && fusion_.uses_features() && fusion_.width() == shape_.dim;
}

const Fusion& Model::fusion_of(Inputs inputs) const {
  switch (inputs) {
    case Inputs::kBoth: return fusion_;
    case Inputs::kTextOnly: return text_alone_;
    case Inputs::kFeaturesOnly: return features_alone_;
  }
  return fusion_;
}

inline void Model::forward(const ExampleView& example, const Fusion& fusion,
                           ModelScratch& scratch) const {
  const int64_t dim = shape_.dim;
  FusionScratch& f = scratch.fusion;
  if (fusion.uses_text()) {
    float* t = f.t.data();
    std::fill(t, t + dim, 0.0f);
    int32_t n_rows = example.n_tokens;
    if (text_codes_) {
      // A pruned row is out of the mean, as a word out of the vocabulary.
      n_rows = 0;
      for (int32_t i = 0; i < example.n_tokens; ++i) {
        n_rows += text_codes_->add_row(example.tokens[i], 1.0f, t);
      }
    } else {
      // Not add_text_row: its branch per token made training ~10% slower.
      for (int32_t i = 0; i < example.n_tokens; ++i) {
        axpy(1.0f, text_embeddings_.row(example.tokens[i]), t, dim);
      }
    }
    if (n_rows > 1) scale(1.0f / n_rows, t, dim);
  }
  if (!fusion.uses_features()) {
    // u is not read.
  } else if (projection_) {
    projection_->forward(example.features, scratch.projection, f.u.data());
  } else {
    float* u = f.u.data();
    std::fill(u, u + dim, 0.0f);
    const float weight = example.n_codes ? shape_.alpha / example.n_codes : 0.0f;
    if (feature_codes_) {
      for (int32_t m = 0; m < example.n_codes; ++m) {
        feature_codes_->add_row(code_row(m, example.code(m)), weight, u);
      }
    } else {
      const Matrix& rows = scratch.feature_rows.of(feature_embeddings_);
      for (int32_t m = 0; m < example.n_codes; ++m) {
        axpy(weight, rows.row(code_row(m, example.code(m))), u, dim);
      }
    }
  }
  fusion.forward(f);
}

bool Model::add_text_row(int64_t i, float weight, float* out) const {
  if (text_codes_) return text_codes_->add_row(i, weight, out);
  axpy(weight, text_embeddings_.row(i), out, shape_.dim);
  return true;
}

bool Model::add_feature_row(int64_t i, float weight, float* out) const {
  if (feature_codes_) return feature_codes_->add_row(i, weight, out);
  axpy(weight, feature_embeddings_.row(i), out, shape_.dim);
  return true;
}

void Model::prefetch(const ExampleView& example) const {
  if (text_codes_) return;  // a code row is one cache line, read soon enough
  constexpr int64_t kLine = 64 / sizeof(float);
  const int64_t dim = shape_.dim;
  for (int32_t i = 0; i < example.n_tokens; ++i) {
    const float* row = text_embeddings_.row(example.tokens[i]);
    for (int64_t j = 0; j < dim; j += kLine) __builtin_prefetch(row + j, 1);
  }
}

MMFAST_CLONES float Model::train(const ExampleView& example, const int32_t* labels,
                                 int32_t n_labels, float lr, float feature_lr,
                                 ModelScratch& scratch, Inputs inputs) {
  check(inputs == Inputs::kBoth || supports_dropout(),
        "modality dropout needs a fusion of both inputs with dim hidden values");
  // An example without text trains on its features whatever was drawn.
  if (inputs == Inputs::kTextOnly && example.n_tokens == 0) inputs = Inputs::kBoth;
  const Fusion& fusion = fusion_of(inputs);
  lr = std::min(lr, fusion.max_lr());
  const int64_t dim = shape_.dim;
  FusionScratch& f = scratch.fusion;
  forward(example, fusion, scratch);
  std::fill(f.dz.begin(), f.dz.end(), 0.0f);
  const float loss = loss_->train(f.z.data(), labels, n_labels, lr, scratch.output.of(output_),
                                  f.dz.data(), scratch.loss);
  scratch.output.step(output_);
  fusion.backward(f);
  // Back-propagate through the means: each row gets its share of the gradient.
  // Quantized rows are fixed: only the float weights learn (retraining).
  if (fusion.uses_text() && example.n_tokens > 0 && !text_codes_) {
    const float share = fusion.text_step() / example.n_tokens;
    for (int32_t i = 0; i < example.n_tokens; ++i) {
      const float factor = scratch.text_writes.factor(example.tokens[i]);
      if (factor == 0.0f) continue;
      axpy(share * factor, f.dt.data(), text_embeddings_.row(example.tokens[i]), dim);
    }
  }
  if (!fusion.uses_features()) {
    // u was not read.
  } else if (projection_) {
    // The loss scaled dz by lr; C takes its own step size.
    projection_->backward(fusion.features_step() * feature_lr / lr, f.du.data(),
                          scratch.projection);
  } else if (example.n_codes > 0 && !feature_codes_) {
    const float share = shape_.alpha / example.n_codes;
    Matrix& rows = scratch.feature_rows.of(feature_embeddings_);
    for (int32_t m = 0; m < example.n_codes; ++m) {
      axpy(share, f.du.data(), rows.row(code_row(m, example.code(m))), dim);
    }
    scratch.feature_rows.step(feature_embeddings_);
  }
  return loss;
}

void Model::flush(ModelScratch& scratch) {
  if (projection_) projection_->flush(scratch.projection);
  scratch.output.merge(output_);
  scratch.feature_rows.merge(feature_embeddings_);
}

MMFAST_CLONES void Model::predict(const ExampleView& example, float* probs,
                                  ModelScratch& scratch) const {
  forward(example, fusion_, scratch);
  loss_->predict(scratch.fusion.z.data(), output_, probs, scratch.loss);
}

Matrix* Model::table(std::string_view name) {
  if (name == "text_embeddings") return &text_embeddings_;
  if (name == "feature_embeddings") return &feature_embeddings_;
  if (name == "output") return &output_;
  if (name == "projection" && projection_) return &projection_->weights();
  return nullptr;
}

Model Model::compressed(const RowBits& text_kept, int64_t n_words, const RowQuantization& options,
                        int threads) const {
  check(!compressed(), "the model is already compressed");
  std::optional<QuantizedMatrix> text, features;
  ModelShape shape = shape_;
  if (shape_.text_rows > 0) {
    text = QuantizedMatrix::quantize(text_embeddings_, text_kept, options, threads);
    text->remove_pruned_rows_below(n_words);
    shape.text_rows = text->rows();
  }
  if (feature_embeddings_.rows() > 0) {
    features = QuantizedMatrix::quantize(feature_embeddings_, all_rows(feature_embeddings_.rows()),
                                         options, threads);
  }
  return Model(shape, class_counts_, text ? Matrix(0, shape_.dim) : text_embeddings_,
               features ? Matrix(0, shape_.dim) : feature_embeddings_, projection_, output_,
               std::move(text), std::move(features), output_codes_);
}

void Model::quantize_output(const RowQuantization& options, int threads) {
  RowQuantization faithful = options;
  faithful.small_codebooks = false;
  output_codes_ = QuantizedMatrix::quantize(output_, all_rows(output_.rows()), faithful, threads);
  output_ = output_codes_->decode(threads);
}

bool Model::bounded(int threads, const Dataset* trained) const {
  // A hidden entry is a mean of embeddings plus alpha times a mean: at most
  // (1 + alpha) * limit; a score sums width products with an output weight.
  // (The projection's output also depends on the features: its weights are
  // held to the same bound, which catches at least infinities and NaN.)
  const double limit = std::sqrt(std::numeric_limits<float>::max() /
                                 (static_cast<double>(hidden_width()) * (1.0 + shape_.alpha)));
  const auto bound = static_cast<float>(limit);
  const bool few_rows = trained != nullptr && trained->tokens.n_values() < text_embeddings_.rows();
  const bool text_bounded =
      few_rows
          ? text_embeddings_.rows_bounded(trained->tokens.row(0), trained->tokens.n_values(), bound)
          : text_embeddings_.bounded(bound, threads);
  return text_bounded && feature_embeddings_.bounded(bound, threads) &&
         output_.bounded(bound, threads) &&
         (!projection_ || projection_->weights().bounded(bound, threads));
}

void Model::write(BinaryWriter& out) const {
  out.write<int64_t>(shape_.text_rows);
  out.write<int32_t>(shape_.dim);
  out.write<int32_t>(static_cast<int32_t>(shape_.fusion));
  out.write<int32_t>(static_cast<int32_t>(shape_.gate));
  out.write<int32_t>(shape_.n_features);
  out.write<int32_t>(shape_.n_codes);
  out.write<int64_t>(shape_.codebook_size);
  out.write<float>(shape_.alpha);
  out.write<int32_t>(static_cast<int32_t>(shape_.loss));
  out.write<int32_t>(shape_.neg);
  out.write<int32_t>(shape_.intercept ? 1 : 0);
  out.write_vector(class_counts_);
  write_table(out, text_embeddings_, text_codes_);
  write_table(out, feature_embeddings_, feature_codes_);
  if (projection_) projection_->write(out);
  write_table(out, output_, output_codes_);
}

Model Model::read(BinaryReader& in) {
  ModelShape shape;
  shape.text_rows = in.read<int64_t>();
  shape.dim = in.read<int32_t>();
  const int32_t fusion = in.read<int32_t>();
  const int32_t gate = in.read<int32_t>();
  in.expect(fusion >= 0 && fusion <= static_cast<int32_t>(FusionKind::kBilinearGated) &&
                (gate == 0 || gate == 1),
            "unknown fusion");
  shape.fusion = static_cast<FusionKind>(fusion);
  shape.gate = static_cast<Gate>(gate);
  shape.n_features = in.read<int32_t>();
  shape.n_codes = in.read<int32_t>();
  shape.codebook_size = in.read<int64_t>();
  shape.alpha = in.read<float>();
  const int32_t loss = in.read<int32_t>();
  shape.neg = in.read<int32_t>();
  in.expect(loss >= 0 && loss <= static_cast<int32_t>(LossKind::kOneVsAll), "unknown loss");
  shape.loss = static_cast<LossKind>(loss);
  if (in.version() >= 5) {  // before: no model had an intercept
    const int32_t intercept = in.read<int32_t>();
    in.expect(intercept == 0 || intercept == 1, "bad intercept flag");
    shape.intercept = intercept == 1;
  }
  auto class_counts = in.read_vector<int64_t>();
  // The class counts are summed (hs builds a Huffman tree from them).
  int64_t total_count = 0;
  for (int64_t count : class_counts) {
    in.expect(count >= 0 && !__builtin_add_overflow(total_count, count, &total_count),
              "class counts out of range");
  }
  try {
    check(!class_counts.empty(), "no classes");
    check_shape(shape);
  } catch (const std::invalid_argument& e) {
    in.expect(false, std::string("bad model header: ") + e.what());
  }
  StoredTable text = read_table(in);
  StoredTable features = read_table(in);
  std::optional<Projection> projection;
  if (shape.n_features > 0) projection.emplace(Projection::read(in));
  StoredTable output = read_table(in);
  if (output.codes) output.floats = output.codes->decode(resolve_threads(0));
  try {
    return Model(shape, std::move(class_counts), std::move(text.floats), std::move(features.floats),
                 std::move(projection), std::move(output.floats), std::move(text.codes),
                 std::move(features.codes), std::move(output.codes));
  } catch (const std::invalid_argument& e) {
    in.expect(false, e.what());
    throw;
  }
}

}  // namespace mmfast
