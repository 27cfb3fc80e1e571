#include "core/context.h"

namespace multiproc {

Context get_context(absl::string_view method) {
  return Context(method.empty() ? DefaultStartMethod() : ParseStartMethod(method));
}

}  // namespace multiproc
