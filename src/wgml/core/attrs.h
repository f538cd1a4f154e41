// Op attributes: named, typed values (ints, floats, strings and lists of them).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace wgml {

using Ints = std::vector<int64_t>;
using Floats = std::vector<double>;
using AttrValue = std::variant<int64_t, double, std::string, Ints, Floats>;

enum class AttrType : uint8_t { Int, Float, String, IntList, FloatList };
const char* attr_type_name(AttrType type);
AttrType attr_type_of(const AttrValue& value);
std::string attr_value_str(const AttrValue& value);

class Attrs {
 public:
  Attrs() = default;
  Attrs(std::initializer_list<std::pair<const std::string, AttrValue>> values) : values_(values) {}

  bool has(const std::string& name) const { return values_.count(name) != 0; }
  void set(const std::string& name, AttrValue value) { values_[name] = std::move(value); }
  const std::map<std::string, AttrValue>& values() const { return values_; }

  // Typed getters; the runtime validated names and types against the op's schema, so a wrong
  // name here is a programming error and throws.
  int64_t i(const std::string& name) const;
  double f(const std::string& name) const;
  const std::string& s(const std::string& name) const;
  const Ints& ints(const std::string& name) const;
  const Floats& floats(const std::string& name) const;

 private:
  const AttrValue& at(const std::string& name) const;
  std::map<std::string, AttrValue> values_;
};

}  // namespace wgml
