// Compiling a fastText-format file (and a feature file with a row per line)
// into a dataset file (cpp/dataset_format.h), reading the text in chunks:
// memory does not grow with the number of examples.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

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

// Compiles the fastText-format file `text_path` into `out_path`, reading it
// in chunks twice: a first pass counts words and labels (the vocabulary and
// its size must be known before the first n-gram id is written), a second
// tokenizes and writes. The file appears at `out_path` only when complete.
// Throws std::invalid_argument naming the file for unreadable or mismatched
// inputs, and Interrupted (check_stop) when asked to stop.
void compile_dataset(const std::string& text_path, const FeatureSource& features,
                     const DatasetSettings& settings, int threads, const std::string& out_path,
                     CompileProgress& progress);

}  // namespace mmfast
