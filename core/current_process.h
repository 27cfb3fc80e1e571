// What a process knows about itself and its parent, as Python's current_process() and
// parent_process() tell it: name ("MainProcess", "Process-1", "Process-1:2" for a grandchild),
// pid, authkey (32 random bytes made by the main process and inherited by its children) and
// whether it is a daemon.
//
//   std::cout << multiproc::current_process().name << " " << multiproc::current_process().pid;
//   if (auto parent = multiproc::parent_process()) std::cout << " child of " << parent->pid;
#ifndef MULTIPROC_CORE_CURRENT_PROCESS_H_
#define MULTIPROC_CORE_CURRENT_PROCESS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "platform/process.h"

namespace multiproc {

using ProcessId = platform::ProcessId;

struct ProcessInfo {
  std::string name;
  ProcessId pid = 0;
  std::string authkey;
  bool daemon = false;
};

struct ParentProcessInfo {
  std::string name;
  ProcessId pid = 0;
};

// This process. In a child started by multiproc: the name, authkey and daemon flag its parent
// gave it.
ProcessInfo current_process();

// The process that started this one, or nullopt in the main process.
std::optional<ParentProcessInfo> parent_process();

// The number of CPUs (Python's os.cpu_count()); at least 1.
int cpu_count();

namespace internal {

// What a parent hands a child about who it is; part of the bootstrap payload.
struct ChildIdentity {
  std::string name;
  std::vector<int> position;  // Python's _identity: 1-based child counters from the main process
  std::string authkey;
  bool daemon = false;
  ProcessId parent_pid = 0;
  std::string parent_name;

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(name, position, authkey, daemon, parent_pid, parent_name);
  }
};

// The identity of the next child this process starts: the next counter under this process's
// position, and its name (or "Process-<position>").
ChildIdentity NextChildIdentity();

// Makes `identity` this process's own (in a child, before its target runs).
void AdoptIdentity(const ChildIdentity& identity);

}  // namespace internal
}  // namespace multiproc

#endif  // MULTIPROC_CORE_CURRENT_PROCESS_H_
