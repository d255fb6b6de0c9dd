// Reading fastText-format files: one example per line, labels are the tokens
// that start with "__label__", everything else is text.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dataset.h"

namespace mmfast {

constexpr std::string_view kLabelPrefix = "__label__";

struct LabeledTexts {
  std::string contents;              // the file, which `texts` point into
  std::deque<std::string> rewritten;  // lines whose labels were not all in front
  std::vector<std::string_view> texts;
  std::vector<std::string> label_names;  // sorted, like numpy.unique
  RaggedArray labels;                    // indices into label_names
  int64_t skipped_lines = 0;  // unlabeled lines with words dropped (keep_unlabeled=false)
};

// One line of a fastText file: its labels go to `labels` (names without the
// prefix); its text is the rest of the line after leading labels, or, when
// labels are mixed into the words, the words joined in `scratch`.
// has_token: false for a blank line.
struct FastTextLine {
  std::string_view text;
  bool has_token = false;
};
FastTextLine split_fasttext_line(std::string_view line, std::vector<std::string_view>& labels,
                                 std::string& scratch);

// Appends the text of `line` (from split_fasttext_line with `scratch`) to
// `texts`; a text that lives in `scratch` is first copied into `rewritten`,
// whose strings do not move.
void keep_text(const FastTextLine& line, const std::string& scratch,
               std::deque<std::string>& rewritten, std::vector<std::string_view>& texts);

// Reads `path` in chunks of about `chunk_bytes` and calls fn(lines,
// bytes_read) with the complete lines of each chunk, in order, without their
// line ends (\n, \r\n or a lone \r). Never holds more than a chunk and one
// line in memory.
void for_each_line_chunk(
    const std::string& path, size_t chunk_bytes,
    const std::function<void(const std::vector<std::string_view>& lines, uint64_t bytes_read)>& fn);

// Reads `path` (held by pointer: `texts` point into `contents`, which must
// not move). Lines end at \n, \r\n or a lone \r. With keep_unlabeled, every
// line is an example (blank ones too, so that predictions line up with the
// lines); without, blank and unlabeled lines are dropped. Throws
// std::invalid_argument when the file cannot be read or a label is not valid
// UTF-8 (naming the file and line), and Interrupted (check_stop).
std::unique_ptr<LabeledTexts> read_fasttext_file(const std::string& path, bool keep_unlabeled);

}  // namespace mmfast
