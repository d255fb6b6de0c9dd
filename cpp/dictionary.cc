#include "dictionary.h"

#include <algorithm>

#include "common.h"
#include "serialization.h"

namespace mmfast {

namespace {

constexpr uint64_t kFnvOffset = 0xCBF29CE484222325ULL;

// Slots of the word table for n words: at most half full.
int64_t table_capacity(int64_t n_words) {
  int64_t capacity = 1024;
  while (capacity < 2 * n_words) capacity *= 2;
  return capacity;
}

}  // namespace

uint64_t hash_word(std::string_view word) {
  uint64_t h = kFnvOffset;
  for (unsigned char c : word) h = (h ^ c) * kFnvPrime;
  return h;
}

Dictionary::Dictionary(int word_ngrams, int64_t buckets)
    : word_ngrams_(word_ngrams), buckets_(buckets) {
  check(word_ngrams >= 1, "word_ngrams must be >= 1");
  check(buckets == kAutoBuckets || (buckets >= 0 && buckets < INT32_MAX),
        "buckets must be in [0, 2^31 - 1), or sized by the data");
  rebuild_table(1024);
}

int64_t Dictionary::slot_of(std::string_view word, uint64_t h) const {
  const int64_t mask = static_cast<int64_t>(table_.size()) - 1;
  int64_t slot = static_cast<int64_t>(h) & mask;
  while (table_[slot] >= 0) {
    const int32_t id = table_[slot];
    if (hashes_[id] == h && words_[id] == word) break;
    slot = (slot + 1) & mask;
  }
  return slot;
}

void Dictionary::rebuild_table(int64_t capacity) {
  table_.assign(capacity, -1);
  for (int64_t id = 0; id < n_words(); ++id) {
    table_[slot_of(words_[id], hashes_[id])] = static_cast<int32_t>(id);
  }
}

int32_t Dictionary::find(std::string_view word, uint64_t h) const {
  return table_[slot_of(word, h)];
}

void Dictionary::add(std::string_view word, uint64_t h, int64_t count) {
  const int64_t slot = slot_of(word, h);
  if (table_[slot] >= 0) {
    counts_[table_[slot]] += count;
    return;
  }
  check(n_words() < INT32_MAX, "vocabulary exceeds 2^31 words");
  table_[slot] = static_cast<int32_t>(n_words());
  words_.emplace_back(word);
  hashes_.push_back(h);
  counts_.push_back(count);
  if (2 * n_words() > static_cast<int64_t>(table_.size())) rebuild_table(2 * table_.size());
}

void Dictionary::build(const std::vector<std::string_view>& texts, int64_t min_count, int threads) {
  check(min_count >= 1, "min_count must be >= 1");
  words_.clear();
  hashes_.clear();
  counts_.clear();
  ngrams_ = DistinctNgrams();
  rebuild_table(1024);
  count(texts, threads);
  keep_frequent(min_count);
}

void Dictionary::count(const std::vector<std::string_view>& texts, int threads) {
  // Each worker counts a contiguous chunk of the texts; merging the chunks in
  // order keeps words in order of first appearance, whatever the threads.
  const int64_t n = static_cast<int64_t>(texts.size());
  threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n)));
  // Empty until their worker runs: no table is allocated for threads that
  // fail to start.
  std::vector<Dictionary> parts(threads);
  const bool sizing = buckets_ == kAutoBuckets && word_ngrams_ > 1 && !ngrams_.saturated();
  parallel_for(n, threads, [&](int64_t begin, int64_t end, int worker) {
    Dictionary& part = parts[worker];
    part = Dictionary(word_ngrams_, buckets_);
    StopCheck stop_check(kStopCheckBytes);
    std::vector<uint64_t> hashes;
    for (int64_t i = begin; i < end; ++i) {
      stop_check.done(static_cast<int64_t>(texts[i].size()) + 1);
      hashes.clear();
      for_each_token(texts[i], [&](std::string_view token) {
        const uint64_t h = hash_word(token);
        part.add(token, h, 1);
        if (sizing) hashes.push_back(h);
      });
      if (sizing && !part.ngrams_.saturated()) {
        for_each_ngram(hashes, word_ngrams_,
                       [&](int64_t, int64_t, uint64_t h) { part.ngrams_.add(h); });
      }
    }
  });
  for (const Dictionary& part : parts) {
    if (!part.table_.empty()) merge_counts(part);  // a part whose worker never ran is empty
  }
}

void Dictionary::merge_counts(const Dictionary& other) {
  check(other.word_ngrams_ == word_ngrams_ && other.buckets_ == buckets_,
        "word counts: merging counts made with other settings (word_ngrams, buckets)");
  for (int64_t id = 0; id < other.n_words(); ++id) {
    add(other.words_[id], other.hashes_[id], other.counts_[id]);
  }
  ngrams_.merge(other.ngrams_);
}

void Dictionary::write_counts(BinaryWriter& out) const {
  out.write<int32_t>(word_ngrams_);
  out.write<int64_t>(buckets_);
  out.write<uint64_t>(words_.size());
  for (const auto& w : words_) out.write_string(w);
  out.write_vector(counts_);
  ngrams_.write(out);
}

Dictionary Dictionary::read_counts(BinaryReader& in) {
  const int32_t word_ngrams = in.read<int32_t>();
  const int64_t buckets = in.read<int64_t>();
  in.expect(word_ngrams >= 1 && (buckets == kAutoBuckets || (buckets >= 0 && buckets < INT32_MAX)),
            "bad word counts header");
  Dictionary counts(word_ngrams, buckets);
  const uint64_t n = in.read<uint64_t>();
  in.expect(n < INT32_MAX, "bad vocabulary size");
  std::vector<std::string> words;
  words.reserve(n);
  for (uint64_t i = 0; i < n; ++i) words.push_back(in.read_string());
  const std::vector<int64_t> word_counts = in.read_vector<int64_t>();
  in.expect(word_counts.size() == n, "word counts: one count per word");
  for (uint64_t i = 0; i < n; ++i) {
    in.expect(word_counts[i] > 0, "word counts: a count below 1");
    counts.add(words[i], hash_word(words[i]), word_counts[i]);
  }
  in.expect(counts.n_words() == static_cast<int64_t>(n), "word counts: a word twice");
  counts.ngrams_ = DistinctNgrams::read(in);
  return counts;
}

void Dictionary::keep_frequent(int64_t min_count) {
  check(min_count >= 1, "min_count must be >= 1");
  // Keep frequent words, in order of first appearance.
  int64_t kept = 0;
  for (int64_t id = 0; id < n_words(); ++id) {
    if (counts_[id] < min_count) continue;
    if (kept != id) {
      words_[kept] = std::move(words_[id]);
      hashes_[kept] = hashes_[id];
    }
    ++kept;
  }
  words_.resize(kept);
  hashes_.resize(kept);
  counts_.clear();
  counts_.shrink_to_fit();
  if (buckets_ == kAutoBuckets) {
    buckets_ = word_ngrams_ > 1 ? buckets_for(ngrams_.recurring()) : 0;
    ngrams_ = DistinctNgrams();
  }
  check(n_rows() <= INT32_MAX, "words + buckets exceed the 2^31 - 1 rows of the embedding table");
  int64_t capacity = 1024;
  while (capacity < 2 * kept) capacity *= 2;
  rebuild_table(capacity);
}

int32_t Dictionary::word_row(std::string_view word, uint64_t h) const {
  const int32_t id = find(word, h);
  if (id >= 0 || unknown_words_ == UnknownWords::kDropped || buckets_ == 0) return id;
  return static_cast<int32_t>(n_words() + static_cast<int64_t>(mix_hash(h) % buckets_));
}

template <typename Emit>
void Dictionary::for_each_row(std::string_view text, std::vector<uint64_t>& hashes,
                              Emit&& emit) const {
  hashes.clear();
  for_each_token(text, [&](std::string_view token) {
    const uint64_t h = hash_word(token);
    const int32_t row = word_row(token, h);
    const auto position = static_cast<int32_t>(hashes.size());
    hashes.push_back(h);
    if (row >= 0) emit(row, position, position + 1);
  });
  if (buckets_ == 0) return;
  for_each_ngram(hashes, word_ngrams_, [&](int64_t first, int64_t last, uint64_t h) {
    emit(static_cast<int32_t>(n_words() + static_cast<int64_t>(h % buckets_)),
         static_cast<int32_t>(first), static_cast<int32_t>(last));
  });
}

void Dictionary::encode(std::string_view text, std::vector<int32_t>& ids,
                        std::vector<uint64_t>& hashes) const {
  ids.clear();
  for_each_row(text, hashes, [&](int32_t row, int32_t, int32_t) { ids.push_back(row); });
}

void Dictionary::encode_spans(std::string_view text, std::vector<std::string_view>& words,
                              std::vector<TokenRow>& rows) const {
  words.clear();
  rows.clear();
  for_each_token(text, [&](std::string_view word) { words.push_back(word); });
  std::vector<uint64_t> hashes;
  for_each_row(text, hashes, [&](int32_t row, int32_t first, int32_t last) {
    rows.push_back(TokenRow{row, first, last});
  });
}

Dictionary Dictionary::keep_words(const std::vector<bool>& keep) const {
  check(static_cast<int64_t>(keep.size()) == n_words(), "keep: one flag per word");
  Dictionary kept(word_ngrams_, buckets_);
  kept.unknown_words_ = unknown_words_;
  for (int64_t id = 0; id < n_words(); ++id) {
    if (!keep[id]) continue;
    kept.words_.push_back(words_[id]);
    kept.hashes_.push_back(hashes_[id]);
  }
  kept.rebuild_table(table_capacity(kept.n_words()));
  return kept;
}

void Dictionary::write(BinaryWriter& out) const {
  out.write<int32_t>(word_ngrams_);
  out.write<int64_t>(buckets_);
  out.write<uint64_t>(words_.size());
  for (const auto& w : words_) out.write_string(w);
}

Dictionary Dictionary::read(BinaryReader& in) {
  const int32_t word_ngrams = in.read<int32_t>();
  const int64_t buckets = in.read<int64_t>();
  in.expect(word_ngrams >= 1 && buckets >= 0 && buckets < INT32_MAX, "bad dictionary header");
  Dictionary dict(word_ngrams, buckets);
  const uint64_t n = in.read<uint64_t>();
  in.expect(n < INT32_MAX, "bad vocabulary size");
  in.expect_available(n * sizeof(uint64_t));
  dict.words_.reserve(n);
  dict.hashes_.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    dict.words_.push_back(in.read_string());
    dict.hashes_.push_back(hash_word(dict.words_.back()));
  }
  dict.rebuild_table(table_capacity(dict.n_words()));
  return dict;
}

}  // namespace mmfast
