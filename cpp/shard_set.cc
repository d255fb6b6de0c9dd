#include "shard_set.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "common.h"

namespace mmfast {

namespace {

bool same_words(const Dictionary& a, const Dictionary& b) {
  if (a.n_words() != b.n_words() || a.buckets() != b.buckets() ||
      a.word_ngrams() != b.word_ngrams()) {
    return false;
  }
  for (int64_t id = 0; id < a.n_words(); ++id) {
    if (a.word(id) != b.word(id)) return false;
  }
  return true;
}

// What the concatenated views read: owned here.
struct ConcatenatedArrays {
  RaggedArray tokens;
  RaggedArray labels;
  std::vector<uint8_t> codes8;
  std::vector<uint16_t> codes16;
  std::vector<float> features;
};

void append_rows(RaggedArray& out, const RaggedView& rows) {
  const int64_t base = out.offsets.back() - rows.offsets[0];
  for (int64_t i = 1; i <= rows.rows(); ++i) out.offsets.push_back(base + rows.offsets[i]);
  out.values.insert(out.values.end(), rows.values + rows.offsets[0],
                    rows.values + rows.offsets[rows.rows()]);
}

}  // namespace

void check_shards_agree(const Shards& shards) {
  check(!shards.empty(), "shards: none given");
  const DatasetMeta& first = shards.front()->meta();
  for (const auto& shard : shards) {
    const DatasetMeta& meta = shard->meta();
    const std::string which = "shard '" + shard->path() + "' ";
    check(same_words(meta.dictionary, first.dictionary) &&
              meta.settings.min_count == first.settings.min_count,
          which + "has another dictionary than '" + shards.front()->path() +
              "': shards must be compiled together (mmfast.dask.compile_shards)");
    check(meta.label_names == first.label_names,
          which + "has other label names than '" + shards.front()->path() + "'");
    check(meta.n_codes == first.n_codes && meta.n_features == first.n_features,
          which + "has other features than '" + shards.front()->path() + "'");
  }
}

std::shared_ptr<const Dataset> concatenate_shards(const Shards& shards) {
  const DatasetMeta& first = shards.front()->meta();
  const bool wide = std::any_of(shards.begin(), shards.end(),
                                [](const auto& shard) { return shard->meta().code_bytes == 2; });
  auto arrays = std::make_shared<ConcatenatedArrays>();
  for (const auto& shard : shards) {
    check_stop();
    const auto examples = shard->examples();
    if (examples->check_intact) examples->check_intact();
    append_rows(arrays->tokens, examples->tokens);
    append_rows(arrays->labels, examples->labels);
    const size_t n_codes = static_cast<size_t>(examples->size()) * examples->n_codes;
    if (examples->codes8 && wide) {
      arrays->codes16.insert(arrays->codes16.end(), examples->codes8, examples->codes8 + n_codes);
    } else if (examples->codes8) {
      arrays->codes8.insert(arrays->codes8.end(), examples->codes8, examples->codes8 + n_codes);
    } else if (examples->codes16) {
      arrays->codes16.insert(arrays->codes16.end(), examples->codes16, examples->codes16 + n_codes);
    }
    if (examples->features) {
      arrays->features.insert(
          arrays->features.end(), examples->features,
          examples->features + static_cast<size_t>(examples->size()) * examples->n_features);
    }
  }
  auto data = std::make_shared<Dataset>();
  data->tokens = RaggedView(arrays->tokens);
  data->labels = RaggedView(arrays->labels);
  data->n_classes = static_cast<int32_t>(first.label_names.size());
  data->n_codes = first.n_codes;
  if (!arrays->codes8.empty()) data->codes8 = arrays->codes8.data();
  if (!arrays->codes16.empty()) data->codes16 = arrays->codes16.data();
  if (!arrays->features.empty()) data->features = arrays->features.data();
  data->n_features = first.n_features;
  data->owner = arrays;
  return data;
}

}  // namespace mmfast
