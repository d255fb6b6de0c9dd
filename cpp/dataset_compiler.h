// Compiling a fastText-format file (and a feature file with a row per line)
// into a dataset file (cpp/dataset_format.h), reading the text in chunks:
// memory does not grow with the number of examples.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dataset_format.h"
#include "feature_source.h"

namespace mmfast {

// Counters the compiler publishes.
struct CompileProgress {
  std::atomic<int> pass{0};  // 1: counting words, 2: writing
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> bytes_total{0};
  std::atomic<int64_t> lines{0};
};

// The vocabulary that every shard of a sharded compile (mmfast.dask) shares,
// agreed before any shard is written: a dictionary made from the merged word
// counts of all the shards, and the label names of all of them, so that a
// token id or a class id means the same in every shard.
struct SharedVocabulary {
  std::optional<Dictionary> dictionary;  // after keep_frequent; none: the file's own
  std::vector<std::string> label_names;  // in class order; empty: the file's own
};

// Compiles the fastText-format file `text_path` into `out_path`, reading it
// in chunks twice: a first pass counts words and labels (the vocabulary and
// its size must be known before the first n-gram id is written), a second
// tokenizes and writes. The file appears at `out_path` only when complete.
// With a `shared` dictionary or label names, the first pass uses them rather
// than the file's own (a label outside them is an error).
// Throws std::invalid_argument naming the file for unreadable or mismatched
// inputs, and Interrupted (check_stop) when asked to stop.
void compile_dataset(const std::string& text_path, const FeatureSource& features,
                     const DatasetSettings& settings, int threads, const std::string& out_path,
                     CompileProgress& progress, const SharedVocabulary& shared = {});

}  // namespace mmfast
