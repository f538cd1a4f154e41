// The op families: each ops/table/<family>.cpp declares its ops in one function.
#pragma once

#include <vector>

namespace wgml {

class OpTable;

struct OpFamily {
  const char* name;
  void (*declare)(OpTable&);
};

void declare_unary_ops(OpTable& t);
void declare_binary_ops(OpTable& t);
void declare_reduce_ops(OpTable& t);
void declare_view_ops(OpTable& t);
void declare_movement_ops(OpTable& t);
void declare_index_ops(OpTable& t);
void declare_linalg_ops(OpTable& t);
void declare_conv_ops(OpTable& t);
void declare_pool_ops(OpTable& t);
void declare_norm_ops(OpTable& t);
void declare_scan_ops(OpTable& t);
void declare_resize_ops(OpTable& t);
void declare_sample_ops(OpTable& t);
void declare_detection_ops(OpTable& t);
void declare_attention_ops(OpTable& t);

inline const std::vector<OpFamily>& op_families() {
  static const std::vector<OpFamily> families = {
      {"unary", declare_unary_ops},         {"binary", declare_binary_ops},
      {"reduce", declare_reduce_ops},       {"view", declare_view_ops},
      {"movement", declare_movement_ops},   {"index", declare_index_ops},
      {"linalg", declare_linalg_ops},       {"conv", declare_conv_ops},
      {"pool", declare_pool_ops},           {"norm", declare_norm_ops},
      {"scan", declare_scan_ops},           {"resize", declare_resize_ops},
      {"sample", declare_sample_ops},       {"detection", declare_detection_ops},
      {"attention", declare_attention_ops},
  };
  return families;
}

}  // namespace wgml
