#include "core/spawner.h"

#include "absl/strings/str_cat.h"

namespace multiproc::internal {

namespace {

class DirectChild : public StartedChild {
 public:
  explicit DirectChild(platform::ChildProcess child) : child_(std::move(child)) {}
  platform::ProcessId pid() const override { return child_.pid(); }
  platform::NativeHandle sentinel() const override { return child_.sentinel(); }
  absl::StatusOr<std::optional<platform::ExitStatus>> Wait(absl::Duration timeout) override {
    return child_.Wait(timeout);
  }
  absl::Status Terminate() override { return child_.Terminate(); }
  absl::Status Kill() override { return child_.Kill(); }

 private:
  platform::ChildProcess child_;
};

}  // namespace

std::unique_ptr<StartedChild> WatchDirectChild(platform::ChildProcess child) {
  return std::make_unique<DirectChild>(std::move(child));
}

absl::StatusOr<platform::ChildProcess> RelaunchSelf(const char* marker,
                                                    platform::NativeHandle channel,
                                                    platform::LaunchSpec spec) {
  absl::StatusOr<std::string> program = platform::CurrentExecutablePath();
  if (!program.ok()) return program.status();
  spec.executable = *program;
  spec.arguments = {marker, absl::StrCat(channel)};
  spec.handles_to_pass.push_back(channel);
  return platform::Launch(spec);
}

absl::Status RequireTravellingTarget(const ChildRequest& request, StartMethod method) {
  if (request.payload.has_value()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "the target cannot be sent to a child started with '", StartMethodName(method),
      "': only a function travels (by its code address, the same in every run of the program), "
      "and a capturing or generic lambda, a function object or std::function is none (Python "
      "raises PicklingError here); pass a plain function or a non-generic capture-less lambda "
      "and give it arguments, or use the 'fork' start method"));
}

Spawner& SpawnerFor(StartMethod method) {
  // Never destroyed: children started during static destruction still need their backend.
  static Spawner* fork = MakeForkSpawner().release();
  static Spawner* spawn = MakeSpawnSpawner().release();
  static Spawner* forkserver = MakeForkserverSpawner().release();
  switch (method) {
    case StartMethod::kFork:
      return *fork;
    case StartMethod::kSpawn:
      return *spawn;
    case StartMethod::kForkserver:
      return *forkserver;
  }
  return *spawn;
}

}  // namespace multiproc::internal
