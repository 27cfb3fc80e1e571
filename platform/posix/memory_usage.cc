// POSIX only (Linux): /proc/self/smaps lists each mapping's range followed by its page counts.
#include "platform/memory_usage.h"

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <string>

namespace multiproc::platform {
namespace {

// A mapping's header line: "7f12a0000000-7f12a8000000 rw-s 00000000 00:01 1234  /memfd:x".
// Count lines ("Private_Dirty:  4 kB") never scan as two hex numbers joined by '-'.
bool ParseRange(const std::string& line, uintptr_t& begin, uintptr_t& end) {
  return std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR, &begin, &end) == 2 && begin < end;
}

bool IsPrivateCount(const std::string& line) {
  return line.rfind("Private_Clean:", 0) == 0 || line.rfind("Private_Dirty:", 0) == 0;
}

}  // namespace

absl::StatusOr<uint64_t> PrivateBytesOf(const void* data, size_t size) {
  std::ifstream smaps("/proc/self/smaps");
  if (!smaps) return absl::UnimplementedError("/proc/self/smaps is not readable");
  const uintptr_t first = reinterpret_cast<uintptr_t>(data);
  const uintptr_t last = first + (size == 0 ? 1 : size);
  uint64_t total_kib = 0;
  bool overlapping = false;
  bool found = false;
  std::string line;
  while (std::getline(smaps, line)) {
    uintptr_t begin = 0, end = 0;
    if (ParseRange(line, begin, end)) {
      overlapping = begin < last && first < end;
      found |= overlapping;
      continue;
    }
    if (!overlapping || !IsPrivateCount(line)) continue;
    uint64_t kib = 0;
    if (std::sscanf(line.c_str() + line.find(':') + 1, "%" SCNu64, &kib) != 1) {
      return absl::DataLossError("unreadable smaps line: " + line);
    }
    total_kib += kib;
  }
  if (!found) return absl::NotFoundError("no mapping holds the buffer");
  return total_kib * 1024;
}

}  // namespace multiproc::platform
