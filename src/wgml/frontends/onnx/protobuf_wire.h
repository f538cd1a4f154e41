// A bounds-checked decoder of the protobuf wire format, enough for onnx.proto: varints, 32- and
// 64-bit scalars, length-delimited fields (strings, bytes, nested messages, packed runs). Every
// length is checked against the bytes that remain, nesting is bounded, overflowing varints and
// groups are rejected, and errors name the file and the message path
// ("graph.node[12].attribute[0].ints").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace wgml::onnx::wire {

enum class WireType : uint8_t {
  Varint = 0,
  Fixed64 = 1,
  Len = 2,
  StartGroup = 3,
  EndGroup = 4,
  Fixed32 = 5,
};

// Deeper than any real model (a graph attribute costs three levels), shallow enough for the stack.
inline constexpr int kMaxDepth = 100;

// Reads one message's fields in order. A nested message is a Reader over its bytes that knows its
// parent, so an error can spell the whole path without building it on the happy path.
class Reader {
 public:
  // The top-level message over [data, data + size); `where` (the file) starts every error.
  Reader(const uint8_t* data, size_t size, const std::string& where);

  // Reads the next field's tag; false at the end of the message.
  bool next();
  uint32_t field() const { return field_; }
  WireType wire_type() const { return wire_type_; }

  // The current field as a scalar; `name` is the field's name for errors. The wire type must
  // match the field's type.
  uint64_t read_uint64(const char* name);  // varint
  int64_t read_int64(const char* name);    // varint (int64, enum)
  int32_t read_int32(const char* name);    // varint, truncated to 32 bits as protobuf does
  float read_float(const char* name);      // fixed32
  double read_double(const char* name);    // fixed64
  std::string read_bytes(const char* name);

  // The current field of a repeated scalar, packed (one run) or not (one element); appends.
  void append_int64s(const char* name, std::vector<int64_t>& out);
  void append_int32s(const char* name, std::vector<int32_t>& out);
  void append_uint64s(const char* name, std::vector<uint64_t>& out);
  void append_floats(const char* name, std::vector<float>& out);
  void append_doubles(const char* name, std::vector<double>& out);

  // The current field as a nested message; errors inside it say `name[index]` (or `name` when
  // index < 0). The returned reader refers to this one, which must outlive it.
  Reader read_message(const char* name, int64_t index = -1);

  // Skips the current field (an unknown one).
  void skip();

  // Raises wgml::Error: "<where>: <path>[.<field>]: <problem>".
  [[noreturn]] void fail(const char* field_name, const std::string& problem) const;

 private:
  template <typename T>
  void append_ieee(const char* name, std::vector<T>& out);  // floats or doubles
  Reader(const Reader* parent, const char* name, int64_t index, const uint8_t* begin,
         const uint8_t* end);
  std::string path() const;
  size_t remaining() const { return static_cast<size_t>(end_ - at_); }
  uint64_t varint(const char* name);
  void expect(WireType type, const char* name) const;
  // The byte range of the current length-delimited field; moves past it.
  const uint8_t* take_len(const char* name, size_t& size);
  template <typename T>
  void append_varints(const char* name, std::vector<T>& out);

  const Reader* parent_ = nullptr;
  const std::string* where_ = nullptr;
  const char* name_ = "";
  int64_t index_ = -1;
  int depth_ = 0;
  const uint8_t* at_ = nullptr;
  const uint8_t* end_ = nullptr;
  uint32_t field_ = 0;
  WireType wire_type_ = WireType::Varint;
};

}  // namespace wgml::onnx::wire
