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

int32_t Dictionary::add(std::string_view word, uint64_t h, int64_t count) {
  const int64_t slot = slot_of(word, h);
  if (table_[slot] >= 0) {
    counts_[table_[slot]] += count;
    return table_[slot];
  }
  check(n_words() < INT32_MAX, "vocabulary exceeds 2^31 words");
  const auto id = static_cast<int32_t>(n_words());
  table_[slot] = id;
  words_.emplace_back(word);
  hashes_.push_back(h);
  counts_.push_back(count);
  if (2 * n_words() > static_cast<int64_t>(table_.size())) rebuild_table(2 * table_.size());
  return id;
}

// A thread's share of the texts counted: texts [begin, end) counted into
// `counts` alone; with words, text begin + i's words, as ids into counts,
// are words[word_ends[i - 1] .. word_ends[i]) (from 0), and its texts have
// n_ngrams word n-grams in all.
struct Dictionary::CountedPart {
  Dictionary counts;  // empty until its worker runs
  int64_t begin = 0, end = 0;
  std::vector<int32_t> words;
  std::vector<int64_t> word_ends;
  int64_t n_ngrams = 0;
};

namespace {

// Word n-grams (2 <= n <= word_ngrams) of a text of n words: for_each_ngram's count.
int64_t ngram_count(int64_t n, int word_ngrams) {
  const int64_t longest = word_ngrams - 1;  // n-grams that start at a word, at most
  if (n <= longest) return n * (n - 1) / 2;
  return longest * (n - longest) + longest * (longest - 1) / 2;
}

}  // namespace

std::vector<Dictionary::CountedPart> Dictionary::count_parts(
    const std::vector<std::string_view>& texts, int threads, bool with_words) const {
  // Each worker counts a contiguous chunk of the texts; merging the chunks in
  // order keeps words in order of first appearance, whatever the threads.
  const int64_t n = static_cast<int64_t>(texts.size());
  threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n)));
  std::vector<CountedPart> parts(threads);
  const bool sizing = buckets_ == kAutoBuckets && word_ngrams_ > 1 && !ngrams_.saturated();
  parallel_for(n, threads, [&](int64_t begin, int64_t end, int worker) {
    CountedPart& part = parts[worker];
    part.counts = Dictionary(word_ngrams_, buckets_);
    part.begin = begin;
    part.end = end;
    Dictionary& counts = part.counts;
    if (with_words) part.word_ends.reserve(end - begin);
    StopCheck stop_check(kStopCheckBytes);
    std::vector<uint64_t> hashes;
    for (int64_t i = begin; i < end; ++i) {
      stop_check.done(static_cast<int64_t>(texts[i].size()) + 1);
      hashes.clear();
      const auto first_word = static_cast<int64_t>(part.words.size());
      for_each_token(texts[i], [&](std::string_view token) {
        const uint64_t h = hash_word(token);
        const int32_t id = counts.add(token, h, 1);
        if (with_words) part.words.push_back(id);
        if (sizing) hashes.push_back(h);
      });
      if (with_words) {
        part.word_ends.push_back(static_cast<int64_t>(part.words.size()));
        part.n_ngrams += ngram_count(part.word_ends.back() - first_word, word_ngrams_);
      }
      if (sizing && !counts.ngrams_.saturated()) {
        for_each_ngram(hashes, word_ngrams_,
                       [&](int64_t, int64_t, uint64_t h) { counts.ngrams_.add(h); });
      }
    }
  });
  return parts;
}

void Dictionary::count(const std::vector<std::string_view>& texts, int threads) {
  for (const CountedPart& part : count_parts(texts, threads, /*with_words=*/false)) {
    if (!part.counts.table_.empty()) merge_counts(part.counts);  // empty: its worker never ran
  }
}

RaggedArray Dictionary::build(const std::vector<std::string_view>& texts, int64_t min_count,
                              int threads) {
  check(min_count >= 1, "min_count must be >= 1");
  words_.clear();
  hashes_.clear();
  counts_.clear();
  ngrams_ = DistinctNgrams();
  rebuild_table(1024);
  std::vector<CountedPart> parts = count_parts(texts, threads, /*with_words=*/true);
  // Each part's word ids in the merged counts, then its words' rows.
  std::vector<std::vector<int32_t>> rows(parts.size());
  for (size_t p = 0; p < parts.size(); ++p) {
    if (!parts[p].counts.table_.empty()) rows[p] = merge_counts(parts[p].counts);
  }
  const std::vector<int32_t> kept = keep_frequent(min_count);
  // Where each part's rows start in the result: its kept words' occurrences
  // and its n-grams come before the next part's.
  std::vector<int64_t> starts(parts.size() + 1, 0);
  for (size_t p = 0; p < parts.size(); ++p) {
    const Dictionary& counts = parts[p].counts;
    int64_t n_rows = buckets_ > 0 ? parts[p].n_ngrams : 0;
    for (int64_t id = 0; id < counts.n_words(); ++id) {
      rows[p][id] = row_of(kept[rows[p][id]], counts.hashes_[id]);
      if (rows[p][id] >= 0) n_rows += counts.counts_[id];
    }
    starts[p + 1] = starts[p] + n_rows;
  }
  RaggedArray out;
  out.offsets.resize(texts.size() + 1);
  out.values.resize(starts.back());
  int32_t* values = out.values.data();
  int64_t* offsets = out.offsets.data();
  const auto n_parts = static_cast<int64_t>(parts.size());
  // As encode(), text by text, each part on its own thread straight into its place.
  parallel_for(n_parts, static_cast<int>(n_parts), [&](int64_t first, int64_t last, int) {
    std::vector<uint64_t> hashes;
    for (int64_t p = first; p < last; ++p) {
      const CountedPart& part = parts[p];
      int64_t at = starts[p];
      int64_t word = 0;
      for (int64_t i = part.begin; i < part.end; ++i) {
        if ((i - part.begin) % kStopCheckEvery == 0) check_stop();
        hashes.clear();
        for (const int64_t end = part.word_ends[i - part.begin]; word < end; ++word) {
          const int32_t id = part.words[word];
          hashes.push_back(part.counts.hashes_[id]);
          if (rows[p][id] >= 0) values[at++] = rows[p][id];
        }
        if (buckets_ > 0) {
          for_each_ngram(hashes, word_ngrams_,
                         [&](int64_t, int64_t, uint64_t h) { values[at++] = ngram_row(h); });
        }
        offsets[i + 1] = at;
      }
      check(at == starts[p + 1], "encoding: rows miscounted");
    }
  });
  return out;
}

std::vector<int32_t> Dictionary::merge_counts(const Dictionary& other) {
  check(other.word_ngrams_ == word_ngrams_ && other.buckets_ == buckets_,
        "word counts: merging counts made with other settings (word_ngrams, buckets)");
  std::vector<int32_t> ids(other.n_words());
  for (int64_t id = 0; id < other.n_words(); ++id) {
    ids[id] = add(other.words_[id], other.hashes_[id], other.counts_[id]);
  }
  ngrams_.merge(other.ngrams_);
  return ids;
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

std::vector<int32_t> Dictionary::keep_frequent(int64_t min_count) {
  check(min_count >= 1, "min_count must be >= 1");
  // Keep frequent words, in order of first appearance.
  std::vector<int32_t> kept_ids(n_words(), -1);
  int64_t kept = 0;
  for (int64_t id = 0; id < n_words(); ++id) {
    if (counts_[id] < min_count) continue;
    kept_ids[id] = static_cast<int32_t>(kept);
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
  rebuild_table(table_capacity(kept));
  return kept_ids;
}

int32_t Dictionary::row_of(int32_t id, uint64_t h) const {
  if (id >= 0 || unknown_words_ == UnknownWords::kDropped || buckets_ == 0) return id;
  return ngram_row(mix_hash(h));
}

int32_t Dictionary::word_row(std::string_view word, uint64_t h) const {
  return row_of(find(word, h), h);
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
    emit(ngram_row(h), static_cast<int32_t>(first), static_cast<int32_t>(last));
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
