// The nn converters that live in files of their own, registered by register_nn_converters
// (onnx_ops_nn.cpp).
#pragma once

#include "wgml/frontends/onnx/onnx_converter.h"

namespace wgml::onnx {

void register_rnn_converters(ConverterTable& t);   // LSTM, GRU, RNN: onnx_ops_rnn.cpp
void register_loss_converters(ConverterTable& t);  // NLL, softmax cross-entropy: onnx_ops_loss.cpp

}  // namespace wgml::onnx
