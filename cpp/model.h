// The network: a text vector t (mean of the text's embedding rows) and a
// feature vector u (a projection of dense features, or the mean of
// feature-token rows) combined by a Fusion into the hidden vector z, scored
// by a Loss on the output matrix. One SGD step per example, safe to call
// from many threads at once (hogwild).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "dataset.h"
#include "fusion.h"
#include "hot_rows.h"
#include "loss.h"
#include "matrix.h"
#include "projection.h"
#include "quantized_matrix.h"
#include "replica.h"

namespace mmfast {

struct ModelShape {
  int64_t text_rows = 0;  // words + n-gram buckets; 0 for a features-only model
  int32_t dim = 100;
  FusionKind fusion = FusionKind::kText;
  Gate gate = Gate::kFeatures;
  // Where u comes from: n_features dense values projected by C, or n_codes
  // feature tokens (codes in [0, codebook_size)); at most one is non-zero.
  int32_t n_features = 0;
  int32_t n_codes = 0;
  int64_t codebook_size = 0;
  float alpha = 1.0f;  // u = alpha * mean of the feature tokens' rows
  LossKind loss = LossKind::kSoftmax;
  int32_t neg = 5;
  // z ends with a constant 1, whose output weights are the scores'
  // intercepts (features-only models of dense features, and every ova
  // model): standardized features have mean zero, so a linear model of them
  // without one cannot learn how frequent each class is (icons: .701
  // without, .717 with, six seeds; logistic regression .719), and ova's
  // independent yes/no decisions each need their prior (debtags, features
  // only: a third of the labels passed the 0.5 threshold without; README,
  // "Choosing the fusion's settings" and "Multi-label data"). Model files
  // before format 5 have none.
  bool intercept = false;
};

// Which inputs one SGD step reads. Modality dropout trains some examples on
// one modality alone (z = t or z = u, the same output matrix), so that each
// side learns to predict the class by itself instead of leaving the work to
// whichever fits the training set first.
enum class Inputs : int32_t { kBoth = 0, kTextOnly = 1, kFeaturesOnly = 2 };

// How a training thread shares the model with the others (Trainer::work).
struct ThreadSharing {
  // Others train at once: the thread trains its own replicas of the small
  // dense tables (the output matrix up to kReplicatedOutput floats, C),
  // merged into the shared ones every few examples (see Replica); the text
  // table stays shared.
  bool replicate = false;
  // Examples the thread trains, all epochs together: with replicate, at
  // least kMinFeatureMerges merges' worth, it replicates the feature-token
  // table too (up to kReplicatedDenseOutput floats, as a dense output matrix).
  int64_t examples = 0;
  // The text rows of which it applies only every kThinning-th update,
  // kThinning times as large (see ThinnedWrites); nullptr or an empty set:
  // none.
  const HotRows* hot_text = nullptr;
};

// Per-thread working memory of one example.
struct ModelScratch {
  FusionScratch fusion;
  LossScratch loss;
  ProjectionScratch projection;  // empty without dense features
  Replica output;                // this thread's output matrix, when it has its own
  Replica feature_rows;          // this thread's feature-token table, when it has its own
  ThinnedWrites text_writes;     // of the hot text rows, on several threads
};

class Model {
 public:
  // A fresh model as fastText starts one: embeddings uniform(-1/dim, 1/dim)
  // from `seed`, output matrix zero (ova's intercepts at the classes' prior
  // log-odds among `n_examples` examples of `class_counts`); C as Projection
  // starts it. `scaling` standardizes dense features (shape.n_features
  // values; ignored without).
  Model(const ModelShape& shape, std::vector<int64_t> class_counts, int64_t n_examples,
        const Standardization& scaling, uint64_t seed, int threads);

  // The scratch of a training thread; with sharing.replicate, of one of
  // several (see ThreadSharing).
  ModelScratch make_scratch(uint64_t seed, uint64_t stream,
                            const ThreadSharing& sharing = {}) const;
  // The text rows that threads training on `data` write most: its
  // kHotTextRows busiest (none for a model without float text rows).
  // 1024 rows thinned 8-fold measured as fast as 4096 and faster than 256,
  // or 4-fold, at equal accuracy (README, Performance, "Threads").
  HotRows hot_text_rows(const Dataset& data) const;
  static constexpr int64_t kHotTextRows = 1024;
  static constexpr uint32_t kThinning = 8;
  // Replicas cost two copies per thread and a pass over the table per
  // merge: worth it for the tables that (nearly) every example writes. 16
  // and 64 (C's) measured as fast as 64 and 256, faster than 4 and 16, at
  // equal accuracy (README, Performance, "Threads"). softmax and ova write
  // every output row on every example, so a merge every 16 examples costs
  // less than a sixteenth of the training itself whatever the table's size
  // (bilinear_gated's classes x dim^2 table: 2 threads took 2.4x one
  // thread's time without a replica, 0.54x with one); hs and ns write a few
  // rows, so only a small table is worth a pass per merge.
  static constexpr int64_t kReplicatedOutput = int64_t{1} << 16;
  static constexpr int64_t kReplicatedDenseOutput = int64_t{1} << 22;
  static constexpr int kOutputMergeEvery = 16;
  // The feature-token table: every example writes n_codes of its rows, each
  // row once in codebook_size examples, so every thread writes every row and
  // fetches it from another core nearly every time. A replica merged every
  // kFeatureMergeFactor * codebook_size examples, when each row changed about
  // kFeatureMergeFactor times, costs a pass over the table per merge: pq /
  // softmax at 2 threads ran 1.53, 1.66, 1.77 and 1.80x one thread's speed
  // at factors 1, 2, 4 and 8 (1.61x without a replica), at equal accuracy
  // (README, Performance, "Threads"). A thread that would merge fewer than
  // kMinFeatureMerges times writes in place: the others would see its
  // updates too late.
  static constexpr int64_t kFeatureMergeFactor = 8;
  static constexpr int64_t kMinFeatureMerges = 16;

  // Starts loading the example's embedding rows into cache, so that they
  // arrive while the previous example is computed.
  void prefetch(const ExampleView& example) const;

  // One SGD step; returns the example's loss. feature_lr is the step size
  // of the projection C, lr that of every other weight. With one input
  // alone (supports_dropout() only), the other is neither read nor updated.
  float train(const ExampleView& example, const int32_t* labels, int32_t n_labels, float lr,
              float feature_lr, ModelScratch& scratch, Inputs inputs = Inputs::kBoth);
  // Applies the updates train() queued in `scratch` (see ProjectionScratch)
  // and merges its replicas; call once a thread is done training.
  void flush(ModelScratch& scratch);
  // probs: n_classes() values (see Loss::predict).
  void predict(const ExampleView& example, float* probs, ModelScratch& scratch) const;

  // A copy whose text table keeps only the rows in `text_kept`, quantized,
  // less the pruned rows among its first `n_words` (Dictionary::keep_words
  // drops their words), and whose feature-token table is quantized whole;
  // the output layer and C stay float. Such a model predicts as any other;
  // training it (retraining) changes only its float weights.
  Model compressed(const RowBits& text_kept, int64_t n_words, const RowQuantization& options,
                   int threads) const;
  // Quantizes the output matrix (whole); the model can then no longer train.
  void quantize_output(const RowQuantization& options, int threads);
  // Whether the text or feature-token rows are quantized (compressed()).
  bool compressed() const { return text_codes_.has_value() || feature_codes_.has_value(); }
  bool output_quantized() const { return output_codes_.has_value(); }
  // Adds weight * row i of the text (or feature-token) table to out and
  // returns true; false for a row a compressed model pruned.
  bool add_text_row(int64_t i, float weight, float* out) const;
  bool add_feature_row(int64_t i, float weight, float* out) const;

  // Whether every weight is small enough that no score can overflow float32
  // (|w| <= sqrt(FLT_MAX / (dim * (1 + alpha)))): false once training diverged.
  // With `trained`, only the text rows its examples read are checked (no
  // others changed) when they are fewer than the table's: a short run on a
  // large model (partial_fit's batches) does not read the whole table.
  bool bounded(int threads, const Dataset* trained = nullptr) const;

  // Whether train() takes one input alone: the fusion reads both and its
  // hidden vector has dim values (not bilinear_gated's dim * dim).
  bool supports_dropout() const;
  // Whether the loss updates every output row on every example (softmax, ova).
  bool writes_every_output_row() const {
    return shape_.loss == LossKind::kSoftmax || shape_.loss == LossKind::kOneVsAll;
  }

  const ModelShape& shape() const { return shape_; }
  const Fusion& fusion() const { return fusion_; }
  // Size of z as the output layer reads it: the fusion's width, plus the
  // intercept's constant.
  int64_t hidden_width() const;
  int32_t n_classes() const { return static_cast<int32_t>(class_counts_.size()); }
  const Loss& loss() const { return *loss_; }
  // The float tables (empty, 0 x dim, where compressed() quantized them).
  const Matrix& text_embeddings() const { return text_embeddings_; }
  const Matrix& feature_embeddings() const { return feature_embeddings_; }
  const Matrix& output() const { return output_; }
  // The dense-feature projection; nullptr unless shape().n_features > 0.
  const Projection* projection() const { return projection_ ? &*projection_ : nullptr; }
  // A weight table by the name Python's weights() gives it: "text_embeddings",
  // "feature_embeddings", "output" or "projection" (nullptr when the model
  // has none of that name), writable: parameter mixing (mmfast.dask) sets the
  // rows averaged over workers between slices of training.
  Matrix* table(std::string_view name);

  void write(BinaryWriter& out) const;
  static Model read(BinaryReader& in);

 private:
  // The tables in `*_codes` take the place of their float tables, which are
  // then empty; output_codes is the output matrix as stored, `output` decoded.
  Model(const ModelShape& shape, std::vector<int64_t> class_counts, Matrix text_embeddings,
        Matrix feature_embeddings, std::optional<Projection> projection, Matrix output,
        std::optional<QuantizedMatrix> text_codes = {},
        std::optional<QuantizedMatrix> feature_codes = {},
        std::optional<QuantizedMatrix> output_codes = {});
  // Leaves t, u and z of scratch.fusion set for `example`, fused by `fusion`
  // (fusion_, or one input alone).
  void forward(const ExampleView& example, const Fusion& fusion, ModelScratch& scratch) const;
  const Fusion& fusion_of(Inputs inputs) const;
  int64_t code_row(int32_t m, int32_t code) const { return m * shape_.codebook_size + code; }

  ModelShape shape_;
  Fusion fusion_;
  Fusion text_alone_, features_alone_;  // kText and kFeatures of the same dim
  std::vector<int64_t> class_counts_;
  std::unique_ptr<Loss> loss_;
  Matrix text_embeddings_;                 // A: text_rows x dim
  Matrix feature_embeddings_;              // D: n_codes * codebook_size x dim
  std::optional<Projection> projection_;  // C and the feature scaling
  Matrix output_;                          // B: loss rows x fusion width
  // Compressed tables (see compressed()); output_codes_ is what output_ was
  // decoded from.
  std::optional<QuantizedMatrix> text_codes_, feature_codes_, output_codes_;
};

}  // namespace mmfast
