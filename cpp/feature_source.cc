#include "feature_source.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "common.h"

namespace mmfast {

namespace {

constexpr int64_t kRowChunk = 65536;  // rows scanned together

// Calls fn(T{}) with T the C++ type of an integer dtype.
template <typename Fn>
void with_code_type(FeatureDtype dtype, Fn&& fn) {
  switch (dtype) {
    case FeatureDtype::kUint8: fn(uint8_t{}); break;
    case FeatureDtype::kUint16: fn(uint16_t{}); break;
    case FeatureDtype::kInt32: fn(int32_t{}); break;
    case FeatureDtype::kInt64: fn(int64_t{}); break;
    case FeatureDtype::kFloat32: throw std::logic_error("float features are not codes");
  }
}

}  // namespace

FeatureDtype parse_feature_dtype(const std::string& code) {
  if (code == "f4") return FeatureDtype::kFloat32;
  if (code == "u1") return FeatureDtype::kUint8;
  if (code == "u2") return FeatureDtype::kUint16;
  if (code == "i4") return FeatureDtype::kInt32;
  if (code == "i8") return FeatureDtype::kInt64;
  throw std::invalid_argument("features: unsupported dtype '" + code +
                              "' (floats must be float32; codes uint8, uint16, int32 or int64)");
}

size_t item_size(FeatureDtype dtype) {
  switch (dtype) {
    case FeatureDtype::kUint8: return 1;
    case FeatureDtype::kUint16: return 2;
    case FeatureDtype::kFloat32:
    case FeatureDtype::kInt32: return 4;
    case FeatureDtype::kInt64: return 8;
  }
  throw std::logic_error("bad feature dtype");
}

FeatureReader::FeatureReader(const FeatureSource& source)
    : source_(source), row_bytes_(item_size(source.dtype) * source.cols) {
  check_path(source.path);
  in_.open(source.path, std::ios::binary | std::ios::ate);
  check(static_cast<bool>(in_), "features: cannot open file '" + source.path + "'");
  const auto size = static_cast<uint64_t>(in_.tellg());
  check(source.cols >= 1 && source.rows >= 0 &&
            size >= source.offset + row_bytes_ * static_cast<uint64_t>(source.rows),
        "features: file '" + source.path + "' is shorter than " + std::to_string(source.rows) +
            " rows of " + std::to_string(source.cols) + " values");
  in_.seekg(static_cast<std::streamoff>(source.offset));
}

const std::vector<char>& FeatureReader::next(int64_t rows) {
  buffer_.resize(rows * row_bytes_);
  in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  check(static_cast<bool>(in_), "features: cannot read file '" + source_.path + "'");
  return buffer_;
}

void scan_codes(const FeatureSource& source, int64_t& low, int64_t& high) {
  FeatureReader reader(source);
  low = INT64_MAX;
  high = INT64_MIN;
  for (int64_t row = 0; row < source.rows; row += kRowChunk) {
    const int64_t rows = std::min(kRowChunk, source.rows - row);
    const std::vector<char>& raw = reader.next(rows);
    const size_t count = static_cast<size_t>(rows * source.cols);
    with_code_type(source.dtype, [&](auto zero) {
      using T = decltype(zero);
      for (size_t k = 0; k < count; ++k) {
        T value;
        std::memcpy(&value, raw.data() + k * sizeof(T), sizeof(T));
        low = std::min<int64_t>(low, static_cast<int64_t>(value));
        high = std::max<int64_t>(high, static_cast<int64_t>(value));
      }
    });
  }
}

template <typename Code>
void convert_codes(const std::vector<char>& raw, FeatureDtype dtype, size_t count,
                   std::vector<Code>& out) {
  out.resize(count);
  with_code_type(dtype, [&](auto zero) {
    using T = decltype(zero);
    for (size_t k = 0; k < count; ++k) {
      T value;
      std::memcpy(&value, raw.data() + k * sizeof(T), sizeof(T));
      out[k] = static_cast<Code>(value);
    }
  });
}

template void convert_codes(const std::vector<char>&, FeatureDtype, size_t, std::vector<uint8_t>&);
template void convert_codes(const std::vector<char>&, FeatureDtype, size_t, std::vector<uint16_t>&);

}  // namespace mmfast
