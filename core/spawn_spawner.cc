// The spawn start method: the child is a fresh run of this program with a marker argument naming
// its bootstrap pipe; main_guard in the child reads the payload from that pipe and runs it.
#include "core/spawner.h"
#include "platform/pipe.h"

namespace multiproc::internal {

namespace {

class SpawnSpawner : public Spawner {
 public:
  absl::StatusOr<std::unique_ptr<StartedChild>> Start(ChildRequest& request) override {
    if (absl::Status status = RequireTravellingTarget(request, StartMethod::kSpawn); !status.ok()) {
      return status;
    }
    absl::StatusOr<platform::PipePair> bootstrap = platform::CreateSimplexPipe();
    if (!bootstrap.ok()) return bootstrap.status();
    platform::LaunchSpec spec;
    spec.handles_to_pass = request.handles.values();
    spec.kill_when_parent_dies = request.daemon;
    absl::StatusOr<platform::ChildProcess> child =
        RelaunchSelf(kSpawnChildMarker, bootstrap->first.get(), std::move(spec));
    if (!child.ok()) return child.status();
    bootstrap->first.reset();  // the child's copy is the only reader now

    std::string frame = FrameBootstrap(*request.payload, request.handles.values());
    absl::Status sent = platform::WriteAll(
        bootstrap->second.get(), {reinterpret_cast<const std::byte*>(frame.data()), frame.size()});
    // A child that died before reading its payload is not a start failure: its exit code tells.
    if (!sent.ok() && !absl::IsUnavailable(sent)) return sent;
    return WatchDirectChild(std::move(*child));
  }
};

}  // namespace

std::unique_ptr<Spawner> MakeSpawnSpawner() { return std::make_unique<SpawnSpawner>(); }

}  // namespace multiproc::internal
