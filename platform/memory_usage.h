// How much of a buffer a process holds privately: the resident pages of the mappings holding the
// buffer that no other process maps. This is what copy-on-write saves: a fork child reading an
// inherited buffer shares those pages with its parent, and a child reading a shared array maps
// the same pages as every other process, so in both the figure does not grow (seed 000).
//
// It measures the buffer's own mappings, not the whole process: a sanitizer's shadow memory,
// which grows as a process touches memory, lives in mappings of its own and is not counted.
//
//   absl::StatusOr<uint64_t> before = platform::PrivateBytesOf(buffer, size);
//   ... read the buffer ...
//   absl::StatusOr<uint64_t> after = platform::PrivateBytesOf(buffer, size);  // about *before
#ifndef MULTIPROC_PLATFORM_MEMORY_USAGE_H_
#define MULTIPROC_PLATFORM_MEMORY_USAGE_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"

namespace multiproc::platform {

// Private resident bytes (Linux: Private_Clean + Private_Dirty in /proc/self/smaps) of every
// mapping that overlaps [data, data + size). A mapping larger than the buffer counts whole.
// Unimplemented where the system does not tell (Windows).
absl::StatusOr<uint64_t> PrivateBytesOf(const void* data, size_t size);

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_MEMORY_USAGE_H_
