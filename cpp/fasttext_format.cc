#include "fasttext_format.h"

#include <cstring>

#include "common.h"
#include "dictionary.h"

namespace mmfast {

namespace {

constexpr std::string_view kWhitespace = " \t\n\v\f\r";  // what for_each_token splits on

// The position of the first \r or \n at or after `pos` (npos if none).
// Two memchr scans: find_first_of would call memchr once per byte.
size_t line_end(std::string_view text, size_t pos) {
  const char* base = text.data();
  const void* newline = std::memchr(base + pos, '\n', text.size() - pos);
  const size_t limit = newline ? static_cast<const char*>(newline) - base : text.size();
  const void* carriage_return = std::memchr(base + pos, '\r', limit - pos);
  if (carriage_return) return static_cast<const char*>(carriage_return) - base;
  return newline ? limit : std::string_view::npos;
}

std::string row_name(int64_t row) { return "[" + std::to_string(row) + "]"; }

}  // namespace

bool is_label(std::string_view token) {
  return token.substr(0, kLabelPrefix.size()) == kLabelPrefix;
}

bool is_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int extra = 0;
    unsigned char low = 0x80, high = 0xBF;  // range of the byte after the lead byte
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (s.size() - i <= static_cast<size_t>(extra)) return false;  // truncated sequence
    for (int k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (next < low || next > high) : (next < 0x80 || next > 0xBF)) return false;
    }
    i += extra + 1;
  }
  return true;
}

size_t first_line_start(std::string_view contents) {
  return contents.substr(0, kByteOrderMark.size()) == kByteOrderMark ? kByteOrderMark.size() : 0;
}

size_t next_line(std::string_view text, size_t pos, bool at_end, std::string_view& line) {
  size_t end = line_end(text, pos);
  if (end == std::string_view::npos) {
    if (!at_end) return std::string_view::npos;
    end = text.size();
  } else if (text[end] == '\r' && end + 1 == text.size() && !at_end) {
    return std::string_view::npos;
  }
  line = text.substr(pos, end - pos);
  if (end == text.size()) return end;
  return end + (text.substr(end, 2) == "\r\n" ? 2 : 1);
}

FastTextLine split_fasttext_line(std::string_view line, std::vector<std::string_view>& labels,
                                 std::string& scratch) {
  // Labels usually lead the line; the text is then the rest of it, as is.
  FastTextLine out;
  size_t text_start = line.size();
  bool labels_in_front = true;
  for_each_token(line, [&](std::string_view token) {
    out.has_token = true;
    if (!is_label(token)) {
      if (text_start == line.size()) text_start = token.data() - line.data();
      return;
    }
    if (text_start != line.size()) labels_in_front = false;
    labels.push_back(token.substr(kLabelPrefix.size()));
  });
  if (labels_in_front) {
    out.text = line.substr(text_start);
    return out;
  }
  scratch.clear();
  for_each_token(line, [&](std::string_view token) {
    if (is_label(token)) return;
    if (!scratch.empty()) scratch += ' ';
    scratch += token;
  });
  out.text = scratch;
  return out;
}

void keep_text(const FastTextLine& line, const std::string& scratch,
               std::deque<std::string>& rewritten, std::vector<std::string_view>& texts) {
  if (line.text.data() == scratch.data()) {
    rewritten.push_back(scratch);
    texts.push_back(rewritten.back());
  } else {
    texts.push_back(line.text);
  }
}

void append_fasttext_line(std::string& out, const std::vector<std::string_view>& labels,
                          std::string_view text, int64_t row, LineBreaks breaks) {
  check(!labels.empty(), "y" + row_name(row) + ": no label; every example needs one");
  for (std::string_view label : labels) {
    check(!label.empty() && label.find_first_of(kWhitespace) == std::string_view::npos,
          "y" + row_name(row) + ": labels must be non-empty and contain no whitespace, got '" +
              std::string(label) + "'");
    out += kLabelPrefix;
    out += label;
    out += ' ';
  }
  const size_t start = out.size();
  out += text;
  if (text.find_first_of("\r\n") != std::string_view::npos) {
    check(breaks == LineBreaks::kAsSpaces,
          "texts" + row_name(row) +
              " holds a line break (\\n or \\r): a fastText file holds one example per line");
    for (size_t i = start; i < out.size(); ++i) {
      if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
    }
  }
  if (text.find(kLabelPrefix) != std::string_view::npos) {
    for_each_token(text, [&](std::string_view word) {
      check(!is_label(word), "texts" + row_name(row) + " has a word that starts with '" +
                                 std::string(kLabelPrefix) +
                                 "', which would be read back as a label");
    });
  }
  out += '\n';
}

}  // namespace mmfast
