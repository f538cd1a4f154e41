// Why a conformance case fails, in the words the expected-failures list uses: an out-of-scope
// type, control flow, sequences, a missing op, an old opset, or (for anything else) the error.
#pragma once

#include <string>

#include "conformance_case.h"

namespace wgml::conformance {

// Looks at the case's model (ops, opset, value types) to name the cause of `error`, the failure
// the runner saw; falls back to `error` itself.
std::string failure_category(const CaseId& id, const std::string& error);

}  // namespace wgml::conformance
