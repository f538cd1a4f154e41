// Errors raised by wgml: one exception type whose message says what went wrong and where.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace wgml {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
template <typename T>
void append_one(std::ostringstream& out, const T& value) {
  out << value;
}
template <typename T>
void append_one(std::ostringstream& out, const std::vector<T>& values) {
  out << '[';
  for (size_t i = 0; i < values.size(); ++i)
    out << (i ? ", " : "") << values[i];
  out << ']';
}
}  // namespace detail

// Concatenates the parts (vectors print as [a, b, c]) into one message.
template <typename... Parts>
std::string str_cat(const Parts&... parts) {
  std::ostringstream out;
  (detail::append_one(out, parts), ...);
  return out.str();
}

template <typename... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  throw Error(str_cat(parts...));
}

}  // namespace wgml

// Checks a condition that bad user input can break; the message parts follow the condition.
#define WGML_CHECK(cond, ...)               \
  do {                                      \
    if (!(cond)) ::wgml::fail(__VA_ARGS__); \
  } while (0)
