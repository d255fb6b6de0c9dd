#include "text_file.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <unordered_map>

#include "common.h"

namespace mmfast {

namespace {

constexpr size_t kReadChunk = size_t{16} << 20;  // bytes read between check_stop() calls

bool is_label(std::string_view token) {
  return token.substr(0, kLabelPrefix.size()) == kLabelPrefix;
}

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

// Labels become Python str: they must be valid UTF-8 (no overlong forms,
// surrogates or code points beyond U+10FFFF).
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

// Also reads pipes (whose size is unknown) to the end.
std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  check(static_cast<bool>(in), "texts: cannot open file '" + path + "'");
  std::string contents;
  const std::streamoff size = in.tellg();
  if (size > 0) contents.reserve(static_cast<size_t>(size));
  in.seekg(0);
  in.clear();
  while (in) {
    check_stop();
    const size_t done = contents.size();
    contents.resize(done + kReadChunk);
    in.read(&contents[done], static_cast<std::streamsize>(kReadChunk));
    contents.resize(done + static_cast<size_t>(in.gcount()));
  }
  check(in.eof(), "texts: cannot read file '" + path + "'");
  return contents;
}

}  // namespace

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

void for_each_line_chunk(
    const std::string& path, size_t chunk_bytes,
    const std::function<void(const std::vector<std::string_view>&, uint64_t)>& fn) {
  std::ifstream in(path, std::ios::binary);
  check(static_cast<bool>(in), "texts: cannot open file '" + path + "'");
  std::string buffer;  // an unfinished line, then the chunk read after it
  std::vector<std::string_view> lines;
  uint64_t bytes_read = 0;
  for (bool end_of_file = false; !end_of_file;) {
    check_stop();
    const size_t kept = buffer.size();
    buffer.resize(kept + chunk_bytes);
    in.read(&buffer[kept], static_cast<std::streamsize>(chunk_bytes));
    const auto got = static_cast<size_t>(in.gcount());
    check(in.good() || in.eof(), "texts: cannot read file '" + path + "'");
    buffer.resize(kept + got);
    bytes_read += got;
    end_of_file = in.eof();
    const std::string_view all(buffer);
    lines.clear();
    size_t pos = 0;
    for (;;) {
      const size_t end = line_end(all, pos);
      if (end == std::string_view::npos) break;
      // A \r that ends the chunk may be the first half of a \r\n.
      if (all[end] == '\r' && end + 1 == all.size() && !end_of_file) break;
      lines.push_back(all.substr(pos, end - pos));
      pos = end + (all.substr(end, 2) == "\r\n" ? 2 : 1);
    }
    if (end_of_file && pos < all.size()) {
      lines.push_back(all.substr(pos));
      pos = all.size();
    }
    if (!lines.empty()) fn(lines, bytes_read);
    buffer.erase(0, pos);
  }
}

std::unique_ptr<LabeledTexts> read_fasttext_file(const std::string& path, bool keep_unlabeled) {
  auto result = std::make_unique<LabeledTexts>();
  LabeledTexts& out = *result;
  out.contents = read_whole_file(path);
  std::unordered_map<std::string_view, int32_t> label_ids;  // first-appearance ids
  std::vector<std::string_view> names;
  std::vector<std::string_view> names_of_line;
  std::string scratch;
  std::string_view all(out.contents);
  size_t pos = 0;
  for (int64_t line_number = 1; pos < all.size(); ++line_number) {
    if (line_number % (16 * kStopCheckEvery) == 0) check_stop();
    // Lines end at \n, \r\n or a lone \r (as Python's universal newlines).
    size_t end = line_end(all, pos);
    if (end == std::string_view::npos) end = all.size();
    std::string_view line = all.substr(pos, end - pos);
    pos = end + (all.substr(end, 2) == "\r\n" ? 2 : 1);

    names_of_line.clear();
    const FastTextLine parts = split_fasttext_line(line, names_of_line, scratch);
    std::vector<int32_t> line_labels;
    for (std::string_view name : names_of_line) {
      auto [it, inserted] = label_ids.emplace(name, static_cast<int32_t>(names.size()));
      if (inserted) {
        check(is_utf8(it->first), "texts: file '" + path + "', line " +
                                      std::to_string(line_number) +
                                      ": the label is not valid UTF-8");
        names.push_back(it->first);
      }
      line_labels.push_back(it->second);
    }
    if (!keep_unlabeled && (!parts.has_token || line_labels.empty())) {
      out.skipped_lines += parts.has_token ? 1 : 0;
      continue;
    }
    keep_text(parts, scratch, out.rewritten, out.texts);
    out.labels.values.insert(out.labels.values.end(), line_labels.begin(), line_labels.end());
    out.labels.offsets.push_back(static_cast<int64_t>(out.labels.values.size()));
  }

  // Renumber labels in sorted order, so classes_ matches numpy.unique.
  std::vector<int32_t> order(names.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return names[a] < names[b]; });
  std::vector<int32_t> rank(names.size());
  for (size_t r = 0; r < order.size(); ++r) {
    rank[order[r]] = static_cast<int32_t>(r);
    out.label_names.emplace_back(names[order[r]]);
  }
  for (int32_t& c : out.labels.values) c = rank[c];
  return result;
}

}  // namespace mmfast
