// Windows only: the unique set size would need a walk of the working set
// (QueryWorkingSetEx per page); nothing in multiproc needs it on Windows yet.
#include "platform/memory_usage.h"

namespace multiproc::platform {

absl::StatusOr<uint64_t> UniqueSetSize() {
  return absl::UnimplementedError("the unique set size is not measured on Windows");
}

}  // namespace multiproc::platform
