// The nn converters that live in files of their own, registered by register_nn_converters
// (onnx_ops_nn.cpp).
#pragma once

#include <string>

#include "wgml/frontends/onnx/onnx_converter.h"

namespace wgml::onnx {

void register_rnn_converters(ConverterTable& t);  // LSTM, GRU, RNN: onnx_ops_rnn.cpp
// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, ConvInteger,
// QLinearMatMul, QLinearConv: onnx_ops_quantized.cpp
void register_quantized_converters(ConverterTable& t);
void register_loss_converters(ConverterTable& t);  // NLL, softmax cross-entropy: onnx_ops_loss.cpp

// Helpers of onnx_ops_nn.cpp shared with the other nn files.
// The value's whole shape when every dim is static.
bool static_shape(const NodeContext& ctx, ValueId v, Ints* out);
// `axis` counted from the end when negative, checked against `rank` (errors name `what`).
int64_t normalize(const NodeContext& ctx, int64_t axis, int64_t rank, const std::string& what);
// Conv's attributes as the engine's conv takes them.
Attrs conv_attrs(const NodeContext& ctx);

// The QDQ form (onnx_ops_quantized.cpp): when `b` (MatMul's B, or Gemm's B with `transposed`)
// or `w` (Conv's W) is DequantizeLinear of an int8/uint8 weight in a form the engine's
// matmul_dequant/conv_dequant read in place, emits that op and returns its output; else
// kNoValue, and the caller emits the float op.
ValueId dequant_matmul(NodeContext& ctx, ValueId a, ValueId b, bool transposed);
ValueId dequant_conv(NodeContext& ctx, ValueId x, ValueId w, ValueId bias, const Attrs& attrs);

}  // namespace wgml::onnx
