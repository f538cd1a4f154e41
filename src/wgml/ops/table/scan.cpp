// scan ops (declared by a later change).
#include "wgml/ops/op_table.h"
#include "wgml/ops/table/families.h"

namespace wgml {

void declare_scan_ops(OpTable& t) { (void)t; }

}  // namespace wgml
