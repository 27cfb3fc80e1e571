// Windows only: a buffer's private pages would need a walk of the working set
// (QueryWorkingSetEx per page, its ShareCount); nothing in multiproc needs it on Windows yet.
#include "platform/memory_usage.h"

namespace multiproc::platform {

absl::StatusOr<uint64_t> PrivateBytesOf(const void*, size_t) {
  return absl::UnimplementedError("private pages of a buffer are not measured on Windows");
}

}  // namespace multiproc::platform
