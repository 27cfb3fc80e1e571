// Turning platform errors (absl::Status) into the public exceptions of errors.h, at the boundary
// between platform/ and the public API.
#ifndef MULTIPROC_CORE_STATUS_ERRORS_H_
#define MULTIPROC_CORE_STATUS_ERRORS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace multiproc::internal {

// Throws the exception matching `status` (OSError unless the code says otherwise), its message
// prefixed with `context`. Does nothing for an OK status.
void ThrowIfError(const absl::Status& status, absl::string_view context);

template <typename T>
T ValueOrThrow(absl::StatusOr<T> result, absl::string_view context) {
  ThrowIfError(result.status(), context);
  return std::move(*result);
}

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_STATUS_ERRORS_H_
