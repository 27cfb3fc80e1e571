#include "core/status_errors.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "core/errors.h"

namespace multiproc::internal {

void ThrowIfError(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return;
  std::string message = absl::StrCat(context, ": ", status.message());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      throw ValueError(message);
    case absl::StatusCode::kDeadlineExceeded:
      throw TimeoutError(message);
    case absl::StatusCode::kDataLoss:
      throw SerializationError(message);
    default:
      throw OSError(message);
  }
}

}  // namespace multiproc::internal
