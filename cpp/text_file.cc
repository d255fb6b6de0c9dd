#include "text_file.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <unordered_map>
#include <utility>

#include "common.h"

namespace mmfast {

namespace {

constexpr size_t kReadChunk = size_t{16} << 20;  // bytes read between check_stop() calls

// Also reads pipes (whose size is unknown) to the end.
std::string read_whole_file(const std::string& path) {
  check_path(path);
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
    count_done(in.gcount());
  }
  check(in.eof(), "texts: cannot read file '" + path + "'");
  return contents;
}

}  // namespace

void for_each_line_chunk(
    const std::string& path, size_t chunk_bytes,
    const std::function<void(const std::vector<std::string_view>&, uint64_t)>& fn) {
  check_path(path);
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
    size_t pos = bytes_read == got ? first_line_start(all) : 0;
    for (std::string_view line; pos < all.size();) {
      const size_t next = next_line(all, pos, end_of_file, line);
      if (next == std::string_view::npos) break;
      lines.push_back(line);
      pos = next;
    }
    if (!lines.empty()) fn(lines, bytes_read);
    buffer.erase(0, pos);
  }
}

std::unique_ptr<LabeledTexts> read_fasttext_file(const std::string& path, bool keep_unlabeled) {
  return read_fasttext_contents(read_whole_file(path), path, keep_unlabeled);
}

std::unique_ptr<LabeledTexts> read_fasttext_contents(std::string contents, const std::string& path,
                                                     bool keep_unlabeled) {
  auto result = std::make_unique<LabeledTexts>();
  LabeledTexts& out = *result;
  out.contents = std::move(contents);
  std::unordered_map<std::string_view, int32_t> label_ids;  // first-appearance ids
  std::vector<std::string_view> names;
  std::vector<std::string_view> names_of_line;
  std::string scratch;
  std::string_view all(out.contents);
  size_t pos = first_line_start(all);
  size_t counted = 0;  // bytes split so far, as count_done knows them
  int64_t line_number = 1;
  for (; pos < all.size(); ++line_number) {
    if (line_number % (16 * kStopCheckEvery) == 0) {
      check_stop();
      count_done(static_cast<int64_t>(pos - counted));
      counted = pos;
    }
    std::string_view line;
    pos = next_line(all, pos, /*at_end=*/true, line);

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
    out.lines.push_back(line_number - 1);
  }
  out.n_lines = line_number - 1;
  count_done(static_cast<int64_t>(all.size() - counted));

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

std::shared_ptr<LabeledTexts> select_examples(const std::shared_ptr<const LabeledTexts>& from,
                                              const int64_t* rows, int64_t n) {
  auto out = std::make_shared<LabeledTexts>();
  out->parent = from;
  out->label_names = from->label_names;
  out->n_lines = from->n_lines;
  const int64_t size = static_cast<int64_t>(from->texts.size());
  for (int64_t k = 0; k < n; ++k) {
    const int64_t i = rows[k];
    check(i >= 0 && i < size,
          "rows: example " + std::to_string(i) + " outside [0, " + std::to_string(size) + ")");
    out->texts.push_back(from->texts[i]);
    out->lines.push_back(from->lines[i]);
    const int32_t* labels = from->labels.row(i);
    out->labels.values.insert(out->labels.values.end(), labels, labels + from->labels.row_size(i));
    out->labels.offsets.push_back(static_cast<int64_t>(out->labels.values.size()));
  }
  return out;
}

}  // namespace mmfast
