// libFuzzer target for wgml's ONNX reader: any bytes, read as a ModelProto and as a TensorProto,
// must give a result or a wgml::Error; never a crash, a leak, undefined behaviour, or another
// exception. Every tensor the model holds (initializers, attribute tensors, nested graphs) also
// goes through the engine-free data check. Built and run by run_fuzz.sh with ASan + UBSan.
#include <cstddef>
#include <cstdint>
#include <string>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_model.h"

namespace {

using namespace wgml::onnx;

void check_tensor(const TensorProto& tensor) {
  try {
    check_tensor_data(tensor, "fuzz");
  } catch (const wgml::Error&) {
  }
  (void)elem_type_name(tensor.data_type);
  (void)elem_type_size(tensor.data_type);
}

void check_graph(const GraphProto& graph) {
  for (const TensorProto& tensor : graph.initializers)
    check_tensor(tensor);
  for (const NodeProto& node : graph.nodes) {
    for (const AttributeProto& attribute : node.attributes) {
      if (node.attribute(attribute.name) == nullptr) __builtin_trap();  // lookup must find it
      for (const TensorProto& tensor : attribute.tensors)
        check_tensor(tensor);
      for (const auto& subgraph : attribute.graphs)
        check_graph(*subgraph);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const ModelProto model = parse_model(data, size, "fuzz");
    (void)model.default_opset();
    check_graph(model.graph);
  } catch (const wgml::Error&) {
  }
  try {
    check_tensor(parse_tensor(data, size, "fuzz"));
  } catch (const wgml::Error&) {
  }
  return 0;
}
