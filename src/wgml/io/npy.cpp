#include "wgml/io/npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "wgml/core/error.h"
#include "wgml/io/files.h"

namespace wgml {

namespace {

const char kMagic[] = "\x93NUMPY";

struct DescrEntry {
  const char* descr;
  DType dtype;
};
constexpr DescrEntry kDescrs[] = {
    {"<f4", DType::Float32}, {"<f2", DType::Float16}, {"<i4", DType::Int32},
    {"<i8", DType::Int64},   {"|u1", DType::UInt8},   {"|i1", DType::Int8},
    {"|b1", DType::Bool},    {"<f8", DType::Float64}, {"<u2", DType::UInt16},
    {"<u4", DType::UInt32},  {"<u8", DType::UInt64},  {"<i2", DType::Int16},
};

// The value text of `'key': value` in the header dict.
std::string dict_value(const std::string& header, const std::string& key, const std::string& what) {
  const std::string quoted = "'" + key + "'";
  size_t at = header.find(quoted);
  WGML_CHECK(at != std::string::npos, what, ": .npy header lacks ", quoted, ": ", header);
  at = header.find(':', at + quoted.size());
  WGML_CHECK(at != std::string::npos, what, ": .npy header is malformed: ", header);
  ++at;
  while (at < header.size() && header[at] == ' ')
    ++at;
  size_t end = at;
  if (at < header.size() && header[at] == '(') {
    end = header.find(')', at);
    WGML_CHECK(end != std::string::npos, what, ": unterminated shape in .npy header");
    return header.substr(at, end - at + 1);
  }
  while (end < header.size() && header[end] != ',' && header[end] != '}')
    ++end;
  return header.substr(at, end - at);
}

Shape parse_shape(const std::string& text, const std::string& what) {
  Shape shape;
  size_t i = 1;  // past '('
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ','))
      ++i;
    if (i >= text.size() || text[i] == ')') break;
    WGML_CHECK(text[i] >= '0' && text[i] <= '9', what, ": bad shape ", text, " in .npy header");
    int64_t d = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      WGML_CHECK(d < (int64_t(1) << 40), what, ": absurd dimension in .npy shape ", text);
      d = d * 10 + (text[i++] - '0');
    }
    shape.push_back(d);
  }
  return shape;
}

}  // namespace

Tensor parse_npy(const std::string& bytes, const std::string& what, Device& device) {
  WGML_CHECK(bytes.size() >= 10 && std::memcmp(bytes.data(), kMagic, 6) == 0, what,
             ": not a .npy file (bad magic)");
  const int major = static_cast<uint8_t>(bytes[6]);
  size_t header_len, header_at;
  if (major == 1) {
    header_len = uint8_t(bytes[8]) | (size_t(uint8_t(bytes[9])) << 8);
    header_at = 10;
  } else {
    WGML_CHECK(major <= 3 && bytes.size() >= 12, what, ": unsupported .npy version ", major);
    header_len = 0;
    for (int i = 0; i < 4; ++i)
      header_len |= size_t(uint8_t(bytes[8 + i])) << (8 * i);
    header_at = 12;
  }
  WGML_CHECK(header_at + header_len <= bytes.size(), what, ": truncated .npy header");
  const std::string header = bytes.substr(header_at, header_len);
  std::string descr = dict_value(header, "descr", what);
  if (descr.size() >= 2) descr = descr.substr(1, descr.size() - 2);  // strip quotes
  if (descr == "<b1") descr = "|b1";
  const DescrEntry* entry = nullptr;
  for (const DescrEntry& e : kDescrs) {
    if (descr == e.descr) entry = &e;
  }
  WGML_CHECK(entry != nullptr, what, ": unsupported .npy dtype '", descr,
             "' (wgml reads float32, float16, int32, int64, uint8, int8, bool)");
  WGML_CHECK(dict_value(header, "fortran_order", what).find("False") != std::string::npos, what,
             ": Fortran-order .npy files are not supported; save with C order");
  const Shape shape = parse_shape(dict_value(header, "shape", what), what);
  const size_t data_at = header_at + header_len;
  const int64_t numel = shape_numel(shape);
  const size_t nbytes = static_cast<size_t>(numel) * dtype_size(entry->dtype);
  WGML_CHECK(numel >= 0 && bytes.size() - data_at == nbytes, what, ": .npy holds ",
             bytes.size() - data_at, " data bytes but shape ", shape, " of ",
             dtype_name(entry->dtype), " needs ", nbytes);
  return Tensor::from_bytes(bytes.data() + data_at, shape, entry->dtype, device);
}

Tensor load_npy(const std::string& path, Device& device) {
  return parse_npy(read_regular_file(path, ".npy file"), path, device);
}

void save_npy(const std::string& path, const Tensor& tensor) {
  const char* descr = nullptr;
  for (const DescrEntry& e : kDescrs) {
    if (e.dtype == tensor.dtype()) descr = e.descr;
  }
  std::string shape = "(";
  for (size_t i = 0; i < tensor.rank(); ++i) {
    shape += (i ? ", " : "") + std::to_string(tensor.shape()[i]);
  }
  shape += tensor.rank() == 1 ? ",)" : ")";  // Python's one-element tuple
  std::string header =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so the data starts on a 64-byte boundary, ending the header with a newline.
  while ((10 + header.size() + 1) % 64 != 0)
    header += ' ';
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  WGML_CHECK(out.good(), path, ": cannot open for writing");
  out.write(kMagic, 6);
  const char version[2] = {1, 0};
  out.write(version, 2);
  const char len[2] = {char(header.size() & 0xff), char(header.size() >> 8)};
  out.write(len, 2);
  out << header;
  const std::vector<uint8_t> data = tensor.to_bytes();
  out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
  WGML_CHECK(out.good(), path, ": write failed");
}

}  // namespace wgml
