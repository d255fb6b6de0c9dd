#include "dataset_compiler.h"

#include <algorithm>
#include <charconv>
#include <deque>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common.h"
#include "dataset.h"
#include "mapped_file.h"
#include "serialization.h"
#include "text_file.h"

namespace mmfast {

namespace {

constexpr size_t kTextChunk = size_t{16} << 20;  // bytes of text tokenized together

// The labelled lines of one chunk of a fastText file.
struct ChunkExamples {
  std::vector<std::string_view> texts;
  std::vector<std::string_view> labels;  // label names, example after example
  std::vector<int64_t> label_offsets{0};
  std::deque<std::string> rewritten;  // texts whose labels were not all in front

  void clear() {
    texts.clear();
    labels.clear();
    label_offsets.assign(1, 0);
    rewritten.clear();
  }
};

// Splits `lines` (the first is line number `first_line`) into examples.
// Unlabelled and blank lines are dropped, or refused when every line must be
// an example (the features are matched to the lines).
void parse_lines(const std::vector<std::string_view>& lines, int64_t first_line, bool every_line,
                 const std::string& path, ChunkExamples& out) {
  std::string scratch;
  for (size_t k = 0; k < lines.size(); ++k) {
    const size_t before = out.labels.size();
    const FastTextLine line = split_fasttext_line(lines[k], out.labels, scratch);
    if (out.labels.size() == before) {
      check(!every_line, "texts: file '" + path + "', line " +
                             std::to_string(first_line + static_cast<int64_t>(k)) +
                             " has no label; with features, every line must be a labelled "
                             "example (feature rows are matched to lines)");
      continue;
    }
    keep_text(line, scratch, out.rewritten, out.texts);
    out.label_offsets.push_back(static_cast<int64_t>(out.labels.size()));
  }
}

// Label names in class order: by bytes (like numpy.unique on str), or as
// integers. They become Python str: each must be valid UTF-8.
std::vector<std::string> sorted_labels(std::vector<std::string> names, bool numeric,
                                       const std::string& path) {
  for (const std::string& name : names) {
    check(is_utf8(name), "texts: file '" + path + "': a label is not valid UTF-8");
  }
  if (!numeric) {
    std::sort(names.begin(), names.end());
    return names;
  }
  std::vector<std::pair<int64_t, std::string>> keyed;
  for (auto& name : names) {
    int64_t value = 0;
    const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), value);
    check(error == std::errc() && end == name.data() + name.size(),
          "texts: file '" + path + "': label '" + name + "' is not an integer");
    keyed.emplace_back(value, std::move(name));
  }
  std::sort(keyed.begin(), keyed.end());
  names.clear();
  for (auto& [value, name] : keyed) names.push_back(std::move(name));
  return names;
}

}  // namespace

void compile_dataset(const std::string& text_path, const FeatureSource& features,
                     const DatasetSettings& settings, int threads, const std::string& out_path,
                     CompileProgress& progress, const SharedVocabulary& shared) {
  check(settings.min_count >= 1, "min_count must be >= 1");
  const bool has_features = !features.empty();
  const bool has_codes = features.codes();
  check(!features.by_reference || !has_codes, "features: only floats are read by reference");
  progress.bytes_total = 0;
  {
    std::ifstream in(text_path, std::ios::binary | std::ios::ate);
    check(static_cast<bool>(in), "texts: cannot open file '" + text_path + "'");
    progress.bytes_total = static_cast<uint64_t>(in.tellg());
  }

  DatasetMeta meta;
  meta.settings = settings;
  meta.dictionary = Dictionary(settings.word_ngrams, settings.buckets);
  if (shared.dictionary) {
    check(
        shared.dictionary->word_ngrams() == settings.word_ngrams &&
            (settings.buckets == kAutoBuckets || shared.dictionary->buckets() == settings.buckets),
        "dictionary: the shared dictionary was made with other word_ngrams or buckets");
  }
  if (has_codes) {
    int64_t low = 0, high = -1;
    scan_codes(features, low, high);
    check(features.rows == 0 || (low >= 0 && high <= 65535),
          "features: codes in '" + features.path + "' must be in [0, 65535], got values in [" +
              std::to_string(low) + ", " + std::to_string(high) + "]");
    meta.n_codes = static_cast<int32_t>(features.cols);
    meta.max_code = static_cast<int32_t>(high);
    meta.code_bytes = high < 256 ? 1 : 2;
  } else if (has_features) {
    meta.n_features = static_cast<int32_t>(features.cols);
  }

  // Pass 1: the vocabulary and the labels.
  progress.pass = 1;
  std::unordered_map<std::string, int32_t> label_index;
  std::vector<std::string> first_seen;
  int64_t n_examples = 0, n_label_ids = 0, n_lines = 0;
  ChunkExamples chunk;
  for_each_line_chunk(
      text_path, kTextChunk, [&](const std::vector<std::string_view>& lines, uint64_t bytes_read) {
        check_stop();
        chunk.clear();
        parse_lines(lines, n_lines + 1, has_features, text_path, chunk);
        for (std::string_view name : chunk.labels) {
          auto [it, inserted] =
              label_index.emplace(std::string(name), static_cast<int32_t>(first_seen.size()));
          if (inserted) first_seen.push_back(it->first);
        }
        for (size_t i = 0; i < chunk.texts.size(); ++i) {
          meta.multilabel |= chunk.label_offsets[i + 1] - chunk.label_offsets[i] != 1;
        }
        if (!shared.dictionary) meta.dictionary.count(chunk.texts, threads);
        n_examples += static_cast<int64_t>(chunk.texts.size());
        n_label_ids += static_cast<int64_t>(chunk.labels.size());
        n_lines += static_cast<int64_t>(lines.size());
        progress.bytes_read = bytes_read;
        progress.lines = n_lines;
      });
  if (shared.dictionary) {
    meta.dictionary = *shared.dictionary;
  } else {
    meta.dictionary.keep_frequent(settings.min_count);
  }
  check(n_examples > 0, "texts: file '" + text_path +
                            "' has no labelled lines (labels are tokens that start with "
                            "__label__)");
  check(!has_features || features.rows == n_lines,
        "features: file '" + features.path + "' has " + std::to_string(features.rows) +
            " rows but '" + text_path + "' has " + std::to_string(n_lines) + " lines");
  if (shared.label_names.empty()) {
    meta.label_names = sorted_labels(first_seen, settings.numeric_labels, text_path);
  } else {
    meta.label_names = shared.label_names;
    const std::unordered_set<std::string_view> known(meta.label_names.begin(),
                                                     meta.label_names.end());
    for (const std::string& name : first_seen) {
      check(known.count(name) > 0, "texts: file '" + text_path + "' has label '" + name +
                                       "', which is not among the shared label names");
    }
  }
  std::unordered_map<std::string_view, int32_t> class_of;  // keys point into meta.label_names
  for (size_t c = 0; c < meta.label_names.size(); ++c) {
    class_of.emplace(meta.label_names[c], static_cast<int32_t>(c));
  }
  if (features.by_reference) {
    meta.feature_reference = features.reference;
    meta.feature_offset = features.offset;
    const MappedFile file(features.path);
    check(file.size() >= features.offset +
                             static_cast<uint64_t>(features.rows * features.cols) * sizeof(float),
          "features: file '" + features.path + "' is shorter than " +
              std::to_string(features.rows) + " rows of " + std::to_string(features.cols) +
              " floats");
    meta.feature_file_bytes = file.size();
    meta.feature_header_checksum = checksum_update(kDatasetSeed, file.data(), features.offset);
    meta.feature_data_checksum = section_checksum(
        file.data() + features.offset,
        static_cast<uint64_t>(features.rows * features.cols) * sizeof(float), threads);
  }

  // Pass 2: token ids, labels and features, written as they are made.
  const std::string meta_bytes = write_meta(meta);
  const uint64_t n = static_cast<uint64_t>(n_examples);
  std::vector<std::pair<uint32_t, uint64_t>> sizes = {
      {kMeta, meta_bytes.size()},
      {kTokenOffsets, (n + 1) * sizeof(int64_t)},
      {kLabelOffsets, (n + 1) * sizeof(int64_t)},
      {kLabelIds, static_cast<uint64_t>(n_label_ids) * sizeof(int32_t)}};
  if (has_codes) sizes.emplace_back(kCodes, n * meta.n_codes * meta.code_bytes);
  if (has_features && !has_codes && !features.by_reference) {
    sizes.emplace_back(kFeatures, n * meta.n_features * sizeof(float));
  }
  sizes.emplace_back(kTokenIds, 0);
  DatasetFileWriter out(out_path, sizes);
  out.append(kMeta, meta_bytes.data(), meta_bytes.size());
  const int64_t zero = 0;
  out.append(kTokenOffsets, &zero, sizeof zero);
  out.append(kLabelOffsets, &zero, sizeof zero);

  progress.pass = 2;
  progress.bytes_read = 0;
  progress.lines = 0;
  std::optional<FeatureReader> rows;
  if (has_features && !features.by_reference) rows.emplace(features);
  int64_t token_base = 0, label_base = 0;
  n_lines = 0;
  std::vector<int64_t> offsets;
  std::vector<int32_t> label_ids;
  std::vector<uint8_t> codes8;
  std::vector<uint16_t> codes16;
  for_each_line_chunk(
      text_path, kTextChunk, [&](const std::vector<std::string_view>& lines, uint64_t bytes_read) {
        check_stop();
        chunk.clear();
        parse_lines(lines, n_lines + 1, has_features, text_path, chunk);
        const RaggedArray tokens = encode_texts(meta.dictionary, chunk.texts, threads);
        offsets.resize(tokens.rows());
        for (int64_t i = 0; i < tokens.rows(); ++i) offsets[i] = token_base + tokens.offsets[i + 1];
        token_base += static_cast<int64_t>(tokens.values.size());
        out.append(kTokenIds, tokens.values.data(), tokens.values.size() * sizeof(int32_t));
        out.append(kTokenOffsets, offsets.data(), offsets.size() * sizeof(int64_t));
        for (size_t i = 0; i + 1 < chunk.label_offsets.size(); ++i) {
          offsets[i] = label_base + chunk.label_offsets[i + 1];
        }
        label_base += static_cast<int64_t>(chunk.labels.size());
        out.append(kLabelOffsets, offsets.data(), offsets.size() * sizeof(int64_t));
        label_ids.clear();
        for (std::string_view name : chunk.labels) label_ids.push_back(class_of.at(name));
        out.append(kLabelIds, label_ids.data(), label_ids.size() * sizeof(int32_t));
        if (rows) {
          const int64_t count = static_cast<int64_t>(chunk.texts.size());
          const std::vector<char>& raw = rows->next(count);
          if (!has_codes) {
            out.append(kFeatures, raw.data(), raw.size());
          } else if (meta.code_bytes == 1) {
            convert_codes(raw, features.dtype, static_cast<size_t>(count * meta.n_codes), codes8);
            out.append(kCodes, codes8.data(), codes8.size());
          } else {
            convert_codes(raw, features.dtype, static_cast<size_t>(count * meta.n_codes), codes16);
            out.append(kCodes, codes16.data(), codes16.size() * sizeof(uint16_t));
          }
        }
        n_lines += static_cast<int64_t>(lines.size());
        progress.bytes_read = bytes_read;
        progress.lines = n_lines;
      });
  out.finish(n_examples, threads);
}

}  // namespace mmfast
