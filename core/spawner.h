// The Spawner: the one interface through which a Process starts a child, with a backend per start
// method (fork_spawner.cc, spawn_spawner.cc, forkserver_spawner.cc). A backend receives the
// bootstrap payload and the handle table and returns a StartedChild the Process watches.
#ifndef MULTIPROC_CORE_SPAWNER_H_
#define MULTIPROC_CORE_SPAWNER_H_

#include <functional>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/bootstrap.h"
#include "core/handle_table.h"
#include "core/start_method.h"
#include "platform/process.h"

namespace multiproc::internal {

// A started child as its parent sees it, whatever started it.
class StartedChild {
 public:
  virtual ~StartedChild() = default;
  virtual platform::ProcessId pid() const = 0;
  // Ready once the child has exited (see platform::WaitForAny).
  virtual platform::NativeHandle sentinel() const = 0;
  // The exit status, or nullopt if still running after `timeout`.
  virtual absl::StatusOr<std::optional<platform::ExitStatus>> Wait(absl::Duration timeout) = 0;
  virtual absl::Status Terminate() = 0;
  virtual absl::Status Kill() = 0;
};

// Everything a backend needs to start one child.
struct ChildRequest {
  // Set for targets that can travel (plain functions, capture-less lambdas).
  std::optional<BootstrapPayload> payload;
  // The handles the payload's arguments refer to, by index.
  HandleTable handles;
  // Set instead of `payload` for callables that cannot travel; only fork can run them.
  std::function<void()> fork_only_target;
  ChildIdentity identity;
  bool daemon = false;
};

class Spawner {
 public:
  virtual ~Spawner() = default;
  virtual absl::StatusOr<std::unique_ptr<StartedChild>> Start(ChildRequest& request) = 0;
};

// The process-wide backend for `method`.
Spawner& SpawnerFor(StartMethod method);

// A child this process can wait for directly (fork and spawn children).
std::unique_ptr<StartedChild> WatchDirectChild(platform::ChildProcess child);

// Runs this program again as `program marker <channel value>`, passing it `channel` and the
// handles `spec` lists and nothing else, with `spec`'s other settings (how spawn children and
// the forkserver begin). `spec`'s executable and arguments are ignored.
absl::StatusOr<platform::ChildProcess> RelaunchSelf(const char* marker,
                                                    platform::NativeHandle channel,
                                                    platform::LaunchSpec spec);

// Rejects requests whose target can only run under fork.
absl::Status RequireTravellingTarget(const ChildRequest& request, StartMethod method);

std::unique_ptr<Spawner> MakeForkSpawner();
std::unique_ptr<Spawner> MakeSpawnSpawner();
std::unique_ptr<Spawner> MakeForkserverSpawner();

// The argv[1] markers main_guard recognizes.
inline constexpr char kSpawnChildMarker[] = "--multiproc-spawn-child";
inline constexpr char kForkserverMarker[] = "--multiproc-forkserver";

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_SPAWNER_H_
