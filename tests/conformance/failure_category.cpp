#include "failure_category.h"

#include <set>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_converter.h"
#include "wgml/frontends/onnx/onnx_model.h"

namespace wgml::conformance {
namespace {

bool is_engine_type(int32_t elem_type) {
  try {
    onnx::engine_dtype(elem_type, "");
    return true;
  } catch (const Error&) {
    return false;
  }
}

const char* kind_name(onnx::ValueInfo::Kind kind) {
  switch (kind) {
    case onnx::ValueInfo::Kind::Sequence:
      return "sequence";
    case onnx::ValueInfo::Kind::Map:
      return "map";
    case onnx::ValueInfo::Kind::Optional:
      return "optional";
    case onnx::ValueInfo::Kind::SparseTensor:
      return "sparse tensor";
    default:
      return "tensor";
  }
}

// The first out-of-scope type among the graph's declared values and initializers, "" if none.
std::string out_of_scope_type(const onnx::GraphProto& g) {
  for (const auto* list : {&g.inputs, &g.outputs, &g.value_info}) {
    for (const onnx::ValueInfo& v : *list) {
      if (v.kind != onnx::ValueInfo::Kind::Tensor && v.kind != onnx::ValueInfo::Kind::None)
        return kind_name(v.kind);
      if (v.kind == onnx::ValueInfo::Kind::Tensor && !is_engine_type(v.elem_type))
        return onnx::elem_type_name(v.elem_type);
    }
  }
  for (const onnx::TensorProto& t : g.initializers) {
    if (!is_engine_type(t.data_type)) return onnx::elem_type_name(t.data_type);
  }
  for (const onnx::NodeProto& n : g.nodes) {
    const onnx::AttributeProto* to = n.attribute("to");
    if ((n.op_type == "Cast" || n.op_type == "EyeLike" || n.op_type == "RandomNormal") && to &&
        !is_engine_type(static_cast<int32_t>(to->i)))
      return onnx::elem_type_name(static_cast<int32_t>(to->i));
  }
  return "";
}

}  // namespace

std::string failure_category(const CaseId& id, const std::string& error) {
  onnx::ModelProto model;
  try {
    model = onnx::load_model_file(id.dir + "/model.onnx");
  } catch (const Error&) {
    return error;
  }
  const onnx::GraphProto& g = model.graph;
  const int64_t opset = model.default_opset();
  if (error.find("of the default ONNX domain; wgml supports opsets") != std::string::npos)
    return str_cat("opset ", opset, " (outside the importer's range)");
  static const std::set<std::string> kControlFlow = {"If", "Loop", "Scan"};
  for (const onnx::NodeProto& n : g.nodes) {
    if (kControlFlow.count(n.op_type)) return "control flow (" + n.op_type + ")";
  }
  const std::string type = out_of_scope_type(g);
  if (!type.empty()) return "out-of-scope type: " + type;
  for (const onnx::NodeProto& n : g.nodes) {
    if (n.op_type.find("Sequence") != std::string::npos ||
        n.op_type.find("Optional") != std::string::npos)
      return "out-of-scope type: sequence/optional (" + n.op_type + ")";
  }
  if (model.has_functions) return "model-local functions";
  std::set<std::string> missing;
  for (const onnx::NodeProto& n : g.nodes) {
    if (!n.domain.empty() && n.domain != "ai.onnx") {
      if (!onnx::converter_table().find(n.domain, n.op_type))
        missing.insert(n.domain + "." + n.op_type);
      continue;
    }
    const onnx::Converter* c = onnx::converter_table().find("", n.op_type);
    if (!c)
      missing.insert(n.op_type);
    else if (c->min_opset > opset)
      missing.insert(str_cat(n.op_type, " (opset ", opset, ")"));
  }
  if (!missing.empty()) {
    std::string names;
    for (const std::string& m : missing)
      names += (names.empty() ? "" : ", ") + m;
    return (missing.size() == 1 ? "missing op " : "missing ops ") + names;
  }
  // Imported and ran, but computed something else: a converter or kernel bug to fix.
  if (error.rfind("output ", 0) == 0 || error.find(" outputs, expected ") != std::string::npos)
    return "wrong result: " + error;
  return error;
}

}  // namespace wgml::conformance
