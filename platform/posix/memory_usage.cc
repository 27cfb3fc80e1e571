// POSIX only (Linux): the kernel sums every mapping's private pages in /proc/self/smaps_rollup.
#include "platform/memory_usage.h"

#include <fstream>
#include <sstream>
#include <string>

namespace multiproc::platform {

absl::StatusOr<uint64_t> UniqueSetSize() {
  std::ifstream rollup("/proc/self/smaps_rollup");
  if (!rollup) return absl::UnimplementedError("/proc/self/smaps_rollup is not readable");
  uint64_t total_kib = 0;
  bool found = false;
  std::string line;
  while (std::getline(rollup, line)) {
    if (line.rfind("Private_Clean:", 0) != 0 && line.rfind("Private_Dirty:", 0) != 0) continue;
    std::istringstream fields(line.substr(line.find(':') + 1));
    uint64_t kib = 0;
    if (!(fields >> kib)) return absl::DataLossError("unreadable smaps_rollup line: " + line);
    total_kib += kib;
    found = true;
  }
  if (!found) return absl::UnimplementedError("smaps_rollup lists no private pages");
  return total_kib * 1024;
}

}  // namespace multiproc::platform
