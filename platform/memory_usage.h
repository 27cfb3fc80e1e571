// How much memory a process has to itself: its unique set size (USS), the resident pages no
// other process maps. This is what copy-on-write saves: a fork child reading inherited memory
// shares those pages with its parent, so its USS does not grow (seed 000).
//
//   absl::StatusOr<uint64_t> before = platform::UniqueSetSize();
//   ... read a large inherited buffer ...
//   absl::StatusOr<uint64_t> after = platform::UniqueSetSize();  // about *before
#ifndef MULTIPROC_PLATFORM_MEMORY_USAGE_H_
#define MULTIPROC_PLATFORM_MEMORY_USAGE_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace multiproc::platform {

// The calling process's USS in bytes (Linux: Private_Clean + Private_Dirty of
// /proc/self/smaps_rollup). Unimplemented where the system does not tell.
absl::StatusOr<uint64_t> UniqueSetSize();

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_MEMORY_USAGE_H_
