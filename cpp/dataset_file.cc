#include "dataset_file.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "common.h"
#include "serialization.h"

namespace mmfast {

namespace {

constexpr int64_t kRowChunk = 65536;  // feature rows encoded together

}  // namespace

std::shared_ptr<const CompiledDataset> CompiledDataset::open(const std::string& path, int threads) {
  auto dataset = std::make_shared<CompiledDataset>(Key{});
  CompiledDataset& d = *dataset;
  d.path_ = path;
  d.file_ = MappedFile(path);
  SectionTable table = read_section_table(d.file_.data(), d.file_.size(), path, threads);
  d.n_examples_ = table.n_examples;
  d.sections_ = std::move(table.sections);
  const uint32_t table_version = d.version_ = table.version;
  auto corrupt = [&](const std::string& what) {
    return std::invalid_argument("corrupt mmfast dataset '" + path + "': " + what);
  };
  const Section meta = d.sections_[kMeta];
  if (meta.data == nullptr) throw corrupt("no meta section");
  try {
    d.meta_ = read_meta(meta.data, meta.size, table_version);
  } catch (const std::invalid_argument& e) {
    throw corrupt(e.what());
  }
  try {
    d.validate(threads);
  } catch (const std::invalid_argument& e) {
    throw corrupt(e.what());
  }
  return dataset;
}

void CompiledDataset::validate(int threads) {
  const uint64_t n = static_cast<uint64_t>(n_examples_);
  // Every size read from the file is checked before it is multiplied: a
  // forged count must not wrap around into a small, "valid" size.
  const int64_t code_bytes = checked_mul(meta_.n_codes, meta_.code_bytes, "codes");
  const uint64_t offsets_bytes =
      static_cast<uint64_t>(checked_mul(n_examples_, sizeof(int64_t), "number of examples")) +
      sizeof(int64_t);
  const uint64_t codes_bytes =
      static_cast<uint64_t>(checked_mul(n_examples_, code_bytes, "number of examples"));
  const uint64_t features_bytes = static_cast<uint64_t>(checked_mul(
      checked_mul(n_examples_, meta_.n_features, "features"), sizeof(float), "features"));
  auto expect_size = [&](uint32_t kind, uint64_t bytes) {
    check(sections_[kind].size == bytes && (bytes == 0 || sections_[kind].data != nullptr),
          std::string(section_name(kind)) + ": expected " + std::to_string(bytes) +
              " bytes, found " + std::to_string(sections_[kind].size));
  };
  // Offsets start at 0, never decrease, and end at the number of ids.
  auto check_offsets = [&](uint32_t offsets_kind, uint32_t ids_kind) {
    expect_size(offsets_kind, offsets_bytes);
    const int64_t* offsets = array<int64_t>(offsets_kind);
    check(offsets[0] == 0 && offsets[n] >= 0,
          std::string(section_name(offsets_kind)) + ": bad range");
    expect_size(ids_kind, static_cast<uint64_t>(offsets[n]) * sizeof(int32_t));
    parallel_for(n_examples_, threads, [&](int64_t begin, int64_t end, int) {
      for (int64_t i = begin; i < end; ++i) {
        check(offsets[i] <= offsets[i + 1], std::string(section_name(offsets_kind)) +
                                                " decrease at example " + std::to_string(i));
      }
    });
  };
  // Every id below `bound`.
  auto check_ids = [&](uint32_t kind, int64_t bound) {
    const int32_t* ids = array<int32_t>(kind);
    const int64_t count = static_cast<int64_t>(sections_[kind].size / sizeof(int32_t));
    parallel_for(count, threads, [&](int64_t begin, int64_t end, int) {
      bool ok = true;
      for (int64_t k = begin; k < end; ++k) ok &= ids[k] >= 0 && ids[k] < bound;
      check(ok, std::string(section_name(kind)) + ": an id is out of range");
    });
  };
  check_offsets(kTokenOffsets, kTokenIds);
  check_offsets(kLabelOffsets, kLabelIds);
  check_ids(kTokenIds, meta_.dictionary.n_rows());
  check_ids(kLabelIds, static_cast<int64_t>(meta_.label_names.size()));
  expect_size(kCodes, codes_bytes);
  check(
      meta_.n_codes == 0 || (meta_.max_code >= 0 && meta_.max_code < (1 << (8 * meta_.code_bytes))),
      "bad largest code");
  // Every code at most max_code, which the model's codebook covers.
  auto check_codes = [&](auto code) {
    using Code = decltype(code);
    const Code* codes = array<Code>(kCodes);
    const int64_t count = n_examples_ * meta_.n_codes;  // <= codes_bytes
    parallel_for(count, threads, [&](int64_t begin, int64_t end, int) {
      bool ok = true;
      for (int64_t k = begin; k < end; ++k) ok &= codes[k] <= meta_.max_code;
      check(ok, "codes: a code is above the largest code recorded");
    });
  };
  if (meta_.n_codes > 0 && meta_.code_bytes == 1) check_codes(uint8_t{});
  if (meta_.n_codes > 0 && meta_.code_bytes == 2) check_codes(uint16_t{});
  if (meta_.n_features == 0 || !meta_.feature_reference.empty()) {
    expect_size(kFeatures, 0);
  } else {
    expect_size(kFeatures, features_bytes);
    features_ = array<float>(kFeatures);
  }
  if (!meta_.feature_reference.empty()) {
    // A relative reference is relative to the dataset's folder.
    std::string where = meta_.feature_reference;
    const size_t slash = path_.rfind('/');
    if (where.front() != '/' && slash != std::string::npos) {
      where = path_.substr(0, slash + 1) + where;
    }
    feature_file_ = MappedFile(where);
    const uint64_t expected = meta_.feature_offset + features_bytes;
    const bool same = feature_file_.size() == meta_.feature_file_bytes &&
                      feature_file_.size() >= expected &&
                      meta_.feature_offset % sizeof(float) == 0 &&
                      checksum_update(kDatasetSeed, feature_file_.data(), meta_.feature_offset) ==
                          meta_.feature_header_checksum;
    // Version 1 files did not record the rows' checksum: their size and
    // header are all that is checked.
    const bool same_rows = !same || version_ < 2 ||
                           section_checksum(feature_file_.data() + meta_.feature_offset,
                                            features_bytes, threads) == meta_.feature_data_checksum;
    if (!same_rows) {
      throw std::invalid_argument("features: file '" + where + "' changed since dataset '" + path_ +
                                  "' was compiled (its rows' checksum differs)");
    }
    if (!same) {
      // Not the dataset's fault: say which file changed.
      throw std::invalid_argument(
          "features: file '" + where + "' does not match dataset '" + path_ +
          "' (compiled against " + std::to_string(meta_.feature_file_bytes) + " bytes holding " +
          std::to_string(n) + " rows of " + std::to_string(meta_.n_features) + " floats; found " +
          std::to_string(feature_file_.size()) + " bytes)");
    }
    features_ = reinterpret_cast<const float*>(feature_file_.data() + meta_.feature_offset);
  }
}

uint64_t CompiledDataset::token_id_bytes() const { return sections_[kTokenIds].size; }

std::shared_ptr<const Dataset> CompiledDataset::examples() const {
  auto data = std::make_shared<Dataset>();
  data->tokens = RaggedView(array<int64_t>(kTokenOffsets), array<int32_t>(kTokenIds), n_examples_);
  data->labels = RaggedView(array<int64_t>(kLabelOffsets), array<int32_t>(kLabelIds), n_examples_);
  data->n_classes = static_cast<int32_t>(meta_.label_names.size());
  data->n_codes = meta_.n_codes;
  if (meta_.n_codes > 0 && meta_.code_bytes == 1) data->codes8 = array<uint8_t>(kCodes);
  if (meta_.n_codes > 0 && meta_.code_bytes == 2) data->codes16 = array<uint16_t>(kCodes);
  data->features = features_;
  data->n_features = meta_.n_features;
  data->owner = shared_from_this();
  data->check_intact = [this] {
    file_.check_intact();
    feature_file_.check_intact();
  };
  return data;
}

void CompiledDataset::encode_features(const Quantizer& quantizer,
                                      const std::string& quantizer_bytes,
                                      const std::string& out_path, int threads) const {
  check(meta_.n_features > 0, "dataset '" + path_ + "' has no float features to encode");
  check(quantizer.is_trained(), "quantizer: not trained");
  check(quantizer.dim() == meta_.n_features,
        "quantizer: fitted on " + std::to_string(quantizer.dim()) + " features, the dataset has " +
            std::to_string(meta_.n_features));
  DatasetMeta meta = meta_;
  meta.n_codes = quantizer.n_codes();
  meta.code_bytes = quantizer.n_bits() <= 8 ? 1 : 2;
  meta.max_code = static_cast<int32_t>(quantizer.n_centroids() - 1);
  meta.n_features = 0;
  meta.feature_reference.clear();
  meta.feature_offset = meta.feature_file_bytes = meta.feature_header_checksum = 0;
  meta.feature_data_checksum = 0;
  meta.quantizer = quantizer_bytes;
  const std::string meta_bytes = write_meta(meta);
  const uint64_t n = static_cast<uint64_t>(n_examples_);
  DatasetFileWriter out(out_path, {{kMeta, meta_bytes.size()},
                                   {kTokenOffsets, sections_[kTokenOffsets].size},
                                   {kLabelOffsets, sections_[kLabelOffsets].size},
                                   {kLabelIds, sections_[kLabelIds].size},
                                   {kCodes, n * meta.n_codes * meta.code_bytes},
                                   {kTokenIds, 0}});
  out.append(kMeta, meta_bytes.data(), meta_bytes.size());
  for (uint32_t kind : {kTokenOffsets, kLabelOffsets, kLabelIds, kTokenIds}) {
    out.append(kind, sections_[kind].data, sections_[kind].size);
  }
  std::vector<uint8_t> codes8;
  std::vector<uint16_t> codes16;
  const int64_t d = meta_.n_features;
  for (int64_t row = 0; row < n_examples_; row += kRowChunk) {
    file_.check_intact();
    feature_file_.check_intact();
    const int64_t rows = std::min(kRowChunk, n_examples_ - row);
    const float* x = features_ + row * d;
    if (meta.code_bytes == 1) {
      codes8.resize(rows * meta.n_codes);
      quantizer.encode(x, rows, codes8.data(), threads);
      out.append(kCodes, codes8.data(), codes8.size());
    } else {
      codes16.resize(rows * meta.n_codes);
      quantizer.encode(x, rows, codes16.data(), threads);
      out.append(kCodes, codes16.data(), codes16.size() * sizeof(uint16_t));
    }
  }
  out.finish(n_examples_, threads);
}

}  // namespace mmfast
