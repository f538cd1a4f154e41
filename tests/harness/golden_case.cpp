#include "golden_case.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "wgml/core/error.h"
#include "wgml/io/npy.h"
#include "wgml/runtime/dispatch.h"

namespace wgml::harness {

namespace {

using json = nlohmann::json;

AttrValue attr_from_json(const std::string& name, const json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) return v.get<double>();
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return int64_t{v.get<bool>()};
  if (v.is_array()) {
    bool all_int = true;
    for (const json& e : v)
      all_int = all_int && e.is_number_integer();
    if (all_int) return v.get<Ints>();
    return v.get<Floats>();
  }
  fail("manifest: attribute '", name, "' has an unsupported JSON type");
}

Attrs attrs_from_json(const json& object) {
  Attrs attrs;
  for (const auto& [name, value] : object.items())
    attrs.set(name, attr_from_json(name, value));
  return attrs;
}

}  // namespace

std::vector<GoldenCase> load_manifest(const std::string& dir) {
  const std::string path = dir + "/manifest.json";
  std::ifstream in(path);
  WGML_CHECK(in.good(), path, ": cannot open (were the goldens generated?)");
  const json manifest = json::parse(in);
  std::vector<GoldenCase> cases;
  for (const json& c : manifest.at("cases")) {
    GoldenCase gc;
    gc.id = c.at("id");
    gc.op = c.at("op");
    gc.note = c.value("note", "");
    gc.attrs = attrs_from_json(c.at("attrs"));
    for (const json& i : c.at("inputs")) {
      if (i.is_null()) {
        gc.inputs.emplace_back(std::nullopt);
        continue;
      }
      GoldenInput input{i.at("file"), {}};
      for (const json& v : i.at("views"))
        input.views.push_back({v.at(0), attrs_from_json(v.at(1))});
      gc.inputs.emplace_back(std::move(input));
    }
    for (const json& o : c.at("outputs"))
      gc.outputs.push_back(o);
    if (c.contains("grad_output")) {
      gc.grad_output = c.at("grad_output");
      for (const json& g : c.at("grads")) {
        gc.grads.push_back(g.is_null() ? std::nullopt : std::optional<std::string>(g));
      }
    }
    cases.push_back(std::move(gc));
  }
  return cases;
}

Tensor load_input(const std::string& dir, const GoldenInput& input, Device& device) {
  Tensor t = load_npy(dir + "/" + input.file, device);
  for (const ViewStep& step : input.views)
    t = run_op1(step.op, {t}, step.attrs);
  return t;
}

}  // namespace wgml::harness
