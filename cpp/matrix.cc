#include "matrix.h"

#include <algorithm>

#include "common.h"
#include "serialization.h"

namespace mmfast {

void Matrix::fill_uniform(float bound, uint64_t seed, int threads) {
  constexpr int64_t kBlock = 1 << 16;  // floats per RNG stream
  const int64_t size = static_cast<int64_t>(data_.size());
  const int64_t blocks = (size + kBlock - 1) / kBlock;
  parallel_for(blocks, threads, [&](int64_t begin, int64_t end, int) {
    for (int64_t b = begin; b < end; ++b) {
      Rng rng(seed, static_cast<uint64_t>(b));
      const int64_t stop = std::min(size, (b + 1) * kBlock);
      for (int64_t i = b * kBlock; i < stop; ++i) data_[i] = rng.uniform(-bound, bound);
    }
  });
}

void Matrix::write(BinaryWriter& out) const {
  out.write<int64_t>(rows_);
  out.write<int64_t>(cols_);
  out.write_bytes(data_.data(), data_.size() * sizeof(float));
}

Matrix Matrix::read(BinaryReader& in) {
  const int64_t rows = in.read<int64_t>();
  const int64_t cols = in.read<int64_t>();
  in.expect(rows >= 0 && cols >= 0, "negative matrix shape");
  in.expect_available(static_cast<uint64_t>(rows) * cols * sizeof(float));
  Matrix m(rows, cols);
  in.read_bytes(m.data_.data(), m.data_.size() * sizeof(float));
  return m;
}

}  // namespace mmfast
