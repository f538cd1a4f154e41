#include "wgml/frontends/onnx/protobuf_wire.h"

#include <cstring>

#include "wgml/core/error.h"

namespace wgml::onnx::wire {

namespace {

const char* wire_type_name(WireType type) {
  switch (type) {
    case WireType::Varint:
      return "varint";
    case WireType::Fixed64:
      return "64-bit";
    case WireType::Len:
      return "length-delimited";
    case WireType::StartGroup:
      return "group start";
    case WireType::EndGroup:
      return "group end";
    case WireType::Fixed32:
      return "32-bit";
  }
  return "unknown";
}

// Little-endian loads that do not care about the host's byte order or alignment.
uint32_t load_le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint64_t load_le64(const uint8_t* p) {
  return uint64_t(load_le32(p)) | uint64_t(load_le32(p + 4)) << 32;
}

}  // namespace

Reader::Reader(const uint8_t* data, size_t size, const std::string& where)
    : where_(&where), at_(data), end_(data + size) {}

Reader::Reader(const Reader* parent, const char* name, int64_t index, const uint8_t* begin,
               const uint8_t* end)
    : parent_(parent),
      where_(parent->where_),
      name_(name),
      index_(index),
      depth_(parent->depth_ + 1),
      at_(begin),
      end_(end) {}

std::string Reader::path() const {
  if (!parent_) return "";
  std::string prefix = parent_->path();
  if (!prefix.empty()) prefix += '.';
  prefix += name_;
  if (index_ >= 0) prefix += str_cat('[', index_, ']');
  return prefix;
}

void Reader::fail(const char* field_name, const std::string& problem) const {
  std::string where_in = path();
  if (field_name && *field_name)
    where_in += (where_in.empty() ? "" : ".") + std::string(field_name);
  if (where_in.empty()) ::wgml::fail(*where_, ": ", problem);
  ::wgml::fail(*where_, ": ", where_in, ": ", problem);
}

uint64_t Reader::varint(const char* name) {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (at_ == end_) fail(name, "truncated varint");
    const uint8_t byte = *at_++;
    // The tenth byte holds bit 63 only; anything more does not fit in 64 bits.
    if (shift == 63 && byte > 1) fail(name, "varint overflows 64 bits");
    value |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return value;
  }
  fail(name, "varint overflows 64 bits");
}

bool Reader::next() {
  if (at_ == end_) return false;
  const uint64_t tag = varint("a field tag");
  const uint64_t type = tag & 7;
  const uint64_t number = tag >> 3;
  if (number == 0 || number > 0x1fffffff) fail("", str_cat("invalid field number ", number));
  if (type > 5) fail("", str_cat("field ", number, " has invalid wire type ", type));
  field_ = static_cast<uint32_t>(number);
  wire_type_ = static_cast<WireType>(type);
  if (wire_type_ == WireType::StartGroup || wire_type_ == WireType::EndGroup)
    fail("", str_cat("field ", number, " is a group (deprecated, not used by ONNX)"));
  return true;
}

void Reader::expect(WireType type, const char* name) const {
  if (wire_type_ != type)
    fail(name, str_cat("expected a ", wire_type_name(type), " field, got ",
                       wire_type_name(wire_type_), " (field ", field_, ")"));
}

uint64_t Reader::read_uint64(const char* name) {
  expect(WireType::Varint, name);
  return varint(name);
}

int64_t Reader::read_int64(const char* name) {
  return static_cast<int64_t>(read_uint64(name));
}

int32_t Reader::read_int32(const char* name) {
  return static_cast<int32_t>(static_cast<uint32_t>(read_uint64(name)));
}

float Reader::read_float(const char* name) {
  expect(WireType::Fixed32, name);
  if (remaining() < 4) fail(name, "truncated 32-bit value");
  const uint32_t bits = load_le32(at_);
  at_ += 4;
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

double Reader::read_double(const char* name) {
  expect(WireType::Fixed64, name);
  if (remaining() < 8) fail(name, "truncated 64-bit value");
  const uint64_t bits = load_le64(at_);
  at_ += 8;
  double value;
  std::memcpy(&value, &bits, 8);
  return value;
}

const uint8_t* Reader::take_len(const char* name, size_t& size) {
  expect(WireType::Len, name);
  const uint64_t length = varint(name);
  if (length > remaining())
    fail(name,
         str_cat("declared length ", length, " exceeds the ", remaining(), " bytes that remain"));
  const uint8_t* begin = at_;
  size = static_cast<size_t>(length);
  at_ += size;
  return begin;
}

std::string Reader::read_bytes(const char* name) {
  size_t size = 0;
  const uint8_t* begin = take_len(name, size);
  return std::string(reinterpret_cast<const char*>(begin), size);
}

Reader Reader::read_message(const char* name, int64_t index) {
  size_t size = 0;
  const uint8_t* begin = take_len(name, size);
  if (depth_ + 1 > kMaxDepth) fail(name, str_cat("messages nested deeper than ", kMaxDepth));
  return Reader(this, name, index, begin, begin + size);
}

template <typename T>
void Reader::append_varints(const char* name, std::vector<T>& out) {
  if (wire_type_ == WireType::Varint) {
    out.push_back(static_cast<T>(varint(name)));
    return;
  }
  size_t size = 0;
  const uint8_t* begin = take_len(name, size);
  // Every element ends with one byte below 0x80: count them to reserve once.
  size_t count = 0;
  for (size_t i = 0; i < size; ++i)
    count += begin[i] < 0x80;
  out.reserve(out.size() + count);
  Reader run(this, name, -1, begin, begin + size);
  run.depth_ = depth_;  // a packed run is not a message level
  while (run.at_ != run.end_)
    out.push_back(static_cast<T>(run.varint("")));
}

void Reader::append_int64s(const char* name, std::vector<int64_t>& out) {
  append_varints(name, out);
}

void Reader::append_int32s(const char* name, std::vector<int32_t>& out) {
  std::vector<uint64_t> wide;
  append_varints(name, wide);
  out.reserve(out.size() + wide.size());
  for (uint64_t v : wide)
    out.push_back(static_cast<int32_t>(static_cast<uint32_t>(v)));
}

void Reader::append_uint64s(const char* name, std::vector<uint64_t>& out) {
  append_varints(name, out);
}

// Packed or single IEEE values: a float is 4 little-endian bytes, a double 8.
template <typename T>
void Reader::append_ieee(const char* name, std::vector<T>& out) {
  constexpr size_t kBytes = sizeof(T);
  if (wire_type_ == (kBytes == 4 ? WireType::Fixed32 : WireType::Fixed64)) {
    if constexpr (kBytes == 4) {
      out.push_back(read_float(name));
    } else {
      out.push_back(read_double(name));
    }
    return;
  }
  size_t size = 0;
  const uint8_t* begin = take_len(name, size);
  if (size % kBytes)
    fail(name, str_cat("packed ", kBytes == 4 ? "floats" : "doubles", " of ", size,
                       " bytes (not a multiple of ", kBytes, ")"));
  out.reserve(out.size() + size / kBytes);
  for (size_t i = 0; i < size; i += kBytes) {
    T value;
    if constexpr (kBytes == 4) {
      const uint32_t bits = load_le32(begin + i);
      std::memcpy(&value, &bits, 4);
    } else {
      const uint64_t bits = load_le64(begin + i);
      std::memcpy(&value, &bits, 8);
    }
    out.push_back(value);
  }
}

void Reader::append_floats(const char* name, std::vector<float>& out) {
  append_ieee(name, out);
}

void Reader::append_doubles(const char* name, std::vector<double>& out) {
  append_ieee(name, out);
}

void Reader::skip() {
  const std::string name = str_cat("field ", field_);
  switch (wire_type_) {
    case WireType::Varint:
      varint(name.c_str());
      return;
    case WireType::Fixed64:
      if (remaining() < 8) fail(name.c_str(), "truncated 64-bit value");
      at_ += 8;
      return;
    case WireType::Fixed32:
      if (remaining() < 4) fail(name.c_str(), "truncated 32-bit value");
      at_ += 4;
      return;
    case WireType::Len: {
      size_t size = 0;
      take_len(name.c_str(), size);
      return;
    }
    case WireType::StartGroup:
    case WireType::EndGroup:
      break;
  }
  fail(name.c_str(), "groups are not supported");
}

}  // namespace wgml::onnx::wire
