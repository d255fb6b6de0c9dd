#include "text_file.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "common.h"

namespace mmfast {

namespace {

bool is_label(std::string_view token) { return token.substr(0, kLabelPrefix.size()) == kLabelPrefix; }

}  // namespace

std::unique_ptr<LabeledTexts> read_fasttext_file(const std::string& path, bool keep_unlabeled) {
  auto result = std::make_unique<LabeledTexts>();
  LabeledTexts& out = *result;
  {
    std::ifstream in(path, std::ios::binary);
    check(static_cast<bool>(in), "texts: cannot open file '" + path + "'");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    out.contents = std::move(buffer).str();
  }
  std::unordered_map<std::string_view, int32_t> label_ids;  // first-appearance ids
  std::vector<std::string_view> names;
  std::string_view all(out.contents);
  size_t pos = 0;
  while (pos < all.size()) {
    size_t end = all.find('\n', pos);
    if (end == std::string_view::npos) end = all.size();
    std::string_view line = all.substr(pos, end - pos);
    pos = end + 1;

    // Labels usually lead the line; the text is then the rest of it, as is.
    std::vector<int32_t> line_labels;
    size_t text_start = line.size();
    bool labels_in_front = true;
    bool has_token = false;
    for_each_token(line, [&](std::string_view token) {
      has_token = true;
      if (!is_label(token)) {
        if (text_start == line.size()) text_start = token.data() - line.data();
        return;
      }
      if (text_start != line.size()) labels_in_front = false;
      auto [it, inserted] = label_ids.emplace(token.substr(kLabelPrefix.size()),
                                              static_cast<int32_t>(names.size()));
      if (inserted) names.push_back(it->first);
      line_labels.push_back(it->second);
    });
    if (!has_token || (line_labels.empty() && !keep_unlabeled)) {
      out.skipped_lines += has_token ? 1 : 0;
      continue;
    }
    if (labels_in_front) {
      out.texts.push_back(line.substr(text_start));
    } else {
      std::string text;
      for_each_token(line, [&](std::string_view token) {
        if (is_label(token)) return;
        if (!text.empty()) text += ' ';
        text += token;
      });
      out.rewritten.push_back(std::move(text));
      out.texts.push_back(out.rewritten.back());
    }
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
