// The fork start method: the child is a copy of the parent and runs the target from inherited
// memory. Handles in the table keep their values in the child.
#include <atomic>
#include <iostream>

#include "core/memory_streams.h"
#include "core/shared_heap.h"
#include "core/spawner.h"

namespace multiproc::internal {

namespace {

// Python 3.12 warns too: in the child only the forking thread exists, and locks other threads
// held stay locked forever.
void WarnIfMultithreaded() {
  static std::atomic<bool> warned{false};
  int threads = platform::CountThreads();
  if (threads > 1 && !warned.exchange(true)) {
    std::cerr << "multiproc: warning: forking a process that runs " << threads
              << " threads; the child may deadlock. Prefer the 'spawn' or 'forkserver' start "
                 "method."
              << std::endl;
  }
}

int RunTarget(ChildRequest& request) {
  if (request.payload.has_value()) return RunChild(*request.payload, request.handles);
  AdoptIdentity(request.identity);
  return RunAsChildMain(request.fork_only_target);
}

class ForkSpawner : public Spawner {
 public:
  absl::StatusOr<std::unique_ptr<StartedChild>> Start(ChildRequest& request) override {
    if (!platform::SupportsFork()) {
      return absl::UnimplementedError("the 'fork' start method does not exist on this platform");
    }
    WarnIfMultithreaded();
    FlushStandardStreams();  // or the child would print the parent's buffered output again
    PrepareReadingStream();
    HeapForkGuard heap;
    absl::StatusOr<platform::ChildProcess> child = platform::ForkAndRun(
        [&request, &heap]() -> int {
          heap.InChild();
          return RunTarget(request);
        },
        request.daemon);
    heap.InParent(child.ok());
    if (!child.ok()) return child.status();
    return WatchDirectChild(std::move(*child));
  }
};

}  // namespace

std::unique_ptr<Spawner> MakeForkSpawner() { return std::make_unique<ForkSpawner>(); }

}  // namespace multiproc::internal
