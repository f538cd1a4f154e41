#include "wgml/core/attrs.h"

#include "wgml/core/error.h"

namespace wgml {

const char* attr_type_name(AttrType type) {
  switch (type) {
    case AttrType::Int:
      return "int";
    case AttrType::Float:
      return "float";
    case AttrType::String:
      return "string";
    case AttrType::IntList:
      return "ints";
    case AttrType::FloatList:
      return "floats";
  }
  return "?";
}

AttrType attr_type_of(const AttrValue& value) {
  return static_cast<AttrType>(value.index());
}

std::string attr_value_str(const AttrValue& value) {
  return std::visit([](const auto& v) { return str_cat(v); }, value);
}

const AttrValue& Attrs::at(const std::string& name) const {
  auto it = values_.find(name);
  WGML_CHECK(it != values_.end(), "attribute '", name, "' is not set");
  return it->second;
}

template <typename T>
static const T& get_as(const AttrValue& value, const std::string& name) {
  const T* v = std::get_if<T>(&value);
  WGML_CHECK(v != nullptr, "attribute '", name, "' has type ", attr_type_name(attr_type_of(value)));
  return *v;
}

int64_t Attrs::i(const std::string& name) const {
  return get_as<int64_t>(at(name), name);
}
double Attrs::f(const std::string& name) const {
  return get_as<double>(at(name), name);
}
const std::string& Attrs::s(const std::string& name) const {
  return get_as<std::string>(at(name), name);
}
const Ints& Attrs::ints(const std::string& name) const {
  return get_as<Ints>(at(name), name);
}
const Floats& Attrs::floats(const std::string& name) const {
  return get_as<Floats>(at(name), name);
}

}  // namespace wgml
