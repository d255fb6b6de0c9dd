// The fastText line format, and its only owner: every reader (the core's
// file reader and the dataset compiler, cpp/text_file.h; the command line
// and every Python entry point through them) and every writer
// (write_fasttext_file, DatasetWriter's spool) goes through here.
//
// A file is UTF-8 text, optionally starting with a byte-order mark (which is
// not part of the first line). Lines end at \n, \r\n or a lone \r, as
// Python's universal newlines. A line's tokens are runs of non-whitespace
// (ASCII whitespace, as for_each_token splits them); the tokens that start
// with "__label__" are its labels (the name is the rest of the token, valid
// UTF-8), the others its text, in order.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace mmfast {

constexpr std::string_view kLabelPrefix = "__label__";
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

bool is_label(std::string_view token);

// Whether `s` is valid UTF-8 (no overlong forms, surrogates or code points
// beyond U+10FFFF): labels become Python str.
bool is_utf8(std::string_view s);

// Where the first line of a file's contents starts: after a byte-order mark.
size_t first_line_start(std::string_view contents);

// The line of `text` that starts at `pos`, without its end, in `line`;
// returns where the next line starts, or npos when `text` does not hold the
// whole line: no line end, or a \r that ends `text` (the first half of a
// \r\n?), unless `at_end` says that nothing follows `text`.
size_t next_line(std::string_view text, size_t pos, bool at_end, std::string_view& line);

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

// What a writer does with a line break inside a text: refuse it (the file
// keeps the text, which must read back as it was), or write a space (a
// compiled dataset keeps the text's words only, which a space splits alike).
enum class LineBreaks { kRefuse, kAsSpaces };

// Appends example `row` to `out` as one line: its labels (each prefixed),
// then its text. Throws std::invalid_argument naming the row when the line
// would not read back as the same example: no label, an empty label or one
// with whitespace, a word of the text that starts with the label prefix, or
// (LineBreaks::kRefuse) a \n or \r in the text.
void append_fasttext_line(std::string& out, const std::vector<std::string_view>& labels,
                          std::string_view text, int64_t row, LineBreaks breaks);

}  // namespace mmfast
