// Reading fastText-format files (the line format: cpp/fasttext_format.h),
// whole or in chunks.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dataset.h"
#include "fasttext_format.h"

namespace mmfast {

struct LabeledTexts {
  std::string contents;              // the file, which `texts` point into
  std::deque<std::string> rewritten;  // lines whose labels were not all in front
  std::shared_ptr<const LabeledTexts> parent;  // what a selection's texts point into
  std::vector<std::string_view> texts;
  std::vector<std::string> label_names;  // sorted, like numpy.unique
  RaggedArray labels;                    // indices into label_names
  std::vector<int64_t> lines;            // the line (from 0) of each example
  int64_t n_lines = 0;                   // in the file
  int64_t skipped_lines = 0;  // unlabeled lines with words dropped (keep_unlabeled=false)
};

// Reads `path` in chunks of about `chunk_bytes` and calls fn(lines,
// bytes_read) with the complete lines of each chunk, in order, without their
// line ends and without a leading byte-order mark. Never holds more than a
// chunk and one line in memory.
void for_each_line_chunk(
    const std::string& path, size_t chunk_bytes,
    const std::function<void(const std::vector<std::string_view>& lines, uint64_t bytes_read)>& fn);

// Reads `path` (held by pointer: `texts` point into `contents`, which must
// not move). With keep_unlabeled, every
// line is an example (blank ones too, so that predictions line up with the
// lines); without, blank and unlabeled lines are dropped. Throws
// std::invalid_argument when the file cannot be read or a label is not valid
// UTF-8 (naming the file and line), and Interrupted (check_stop). Counts
// (count_done) the bytes as it reads them, then again as it splits them into
// lines: twice the file's size in all.
std::unique_ptr<LabeledTexts> read_fasttext_file(const std::string& path, bool keep_unlabeled);
// The same for a file's `contents` read elsewhere (standard input); `path`
// names it in messages. Counts the bytes it splits: the contents' size.
std::unique_ptr<LabeledTexts> read_fasttext_contents(std::string contents, const std::string& path,
                                                     bool keep_unlabeled);

// The examples `rows` of `from`, in that order (pointing into it).
std::shared_ptr<LabeledTexts> select_examples(const std::shared_ptr<const LabeledTexts>& from,
                                              const int64_t* rows, int64_t n);

}  // namespace mmfast
