// The forkserver start method, parent side. A server started by spawn (so it is a clean,
// single-threaded copy of the program) forks every child on request; the request carries the
// bootstrap payload, and the handle table travels with it by SCM_RIGHTS. The server reports each
// child's exit status on a pipe of that child's own, which is also its sentinel.
#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "core/forkserver.h"
#include "core/spawner.h"
#include "platform/handle_passing.h"
#include "platform/pipe.h"

namespace multiproc::internal {

namespace {

class ForkserverChild : public StartedChild {
 public:
  ForkserverChild(platform::ProcessId pid, platform::OwnedHandle status_pipe)
      : pid_(pid), status_pipe_(std::move(status_pipe)) {}

  platform::ProcessId pid() const override { return pid_; }
  platform::NativeHandle sentinel() const override { return status_pipe_.get(); }

  absl::StatusOr<std::optional<platform::ExitStatus>> Wait(absl::Duration timeout) override {
    if (exit_status_.has_value()) return exit_status_;
    absl::StatusOr<bool> ready = platform::WaitReadable(status_pipe_.get(), timeout);
    if (!ready.ok()) return ready.status();
    if (!*ready) return std::optional<platform::ExitStatus>();
    absl::StatusOr<platform::ExitStatus> status = ReadExitStatus(status_pipe_.get());
    // No status means the server died; its children died with it (they are killed with it).
    exit_status_ = status.ok() ? *status : platform::ExitStatus{0, platform::kSignalKill};
    AwaitEndOfReports();
    return exit_status_;
  }

  absl::Status Terminate() override { return Signal(platform::kSignalTerminate); }

  // The server closes the pipe right after the report; until it does, the pipe (the sentinel)
  // is not readable. Reading to its end here means that once Wait has reported an exit, the
  // sentinel stays ready, as a process handle does.
  void AwaitEndOfReports() {
    std::byte rest[16];
    for (;;) {
      absl::StatusOr<size_t> got = platform::ReadSome(status_pipe_.get(), rest);
      if (!got.ok() || *got == 0) return;
    }
  }
  absl::Status Kill() override { return Signal(platform::kSignalKill); }

 private:
  absl::Status Signal(int signal) {
    if (exit_status_.has_value()) return absl::OkStatus();
    return platform::SignalProcess(pid_, signal);
  }

  platform::ProcessId pid_;
  platform::OwnedHandle status_pipe_;
  std::optional<platform::ExitStatus> exit_status_;
};

class ForkserverSpawner : public Spawner {
 public:
  absl::StatusOr<std::unique_ptr<StartedChild>> Start(ChildRequest& request) override {
    if (absl::Status status = RequireTravellingTarget(request, StartMethod::kForkserver);
        !status.ok()) {
      return status;
    }
    std::lock_guard<std::mutex> lock(mutex_);  // one request/reply exchange at a time
    if (absl::Status status = EnsureServer(); !status.ok()) return status;
    absl::StatusOr<platform::PipePair> status_pipe = platform::CreateSimplexPipe();
    if (!status_pipe.ok()) return status_pipe.status();

    std::vector<platform::NativeHandle> handles = request.handles.values();
    handles.push_back(status_pipe->second.get());
    std::string bytes = EncodeForkRequest(ForkRequest{*request.payload, request.daemon});
    absl::Status sent = platform::SendHandleMessage(
        channel_.get(), server_->pid(),
        {reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()}, handles);
    if (!sent.ok()) return ServerLost(sent);
    status_pipe->second.reset();  // the server holds the writing end now
    int64_t pid = 0;
    absl::Status replied =
        platform::ReadExact(channel_.get(), {reinterpret_cast<std::byte*>(&pid), sizeof(pid)});
    if (!replied.ok()) return ServerLost(replied);
    if (pid <= 0) return absl::InternalError("the forkserver could not fork the child");
    return std::make_unique<ForkserverChild>(pid, std::move(status_pipe->first));
  }

 private:
  absl::Status EnsureServer() {
    if (server_.has_value()) {
      absl::StatusOr<std::optional<platform::ExitStatus>> exited =
          server_->Wait(absl::ZeroDuration());
      if (exited.ok() && !exited->has_value()) return absl::OkStatus();
      server_.reset();  // it died: start a new one
    }
    absl::StatusOr<platform::PipePair> channel = platform::CreateDuplexPipe();
    if (!channel.ok()) return channel.status();
    platform::LaunchSpec spec;
    spec.kill_when_parent_dies = true;
    // Every child the server forks calls library functions the server itself never called;
    // bound at the server's load, they are bound in every child already.
    spec.bind_symbols_at_load = true;
    absl::StatusOr<platform::ChildProcess> server =
        RelaunchSelf(kForkserverMarker, channel->second.get(), std::move(spec));
    if (!server.ok()) return server.status();
    server_ = std::move(*server);
    channel_ = std::move(channel->first);
    return absl::OkStatus();
  }

  // The usual reason a fresh server dies at once is a main() that does not begin with
  // main_guard: the server then runs the program's main instead of serving.
  absl::Status ServerLost(const absl::Status& cause) {
    std::string exit_note = "still running";
    absl::StatusOr<std::optional<platform::ExitStatus>> exited = server_->Wait(absl::Seconds(1));
    if (exited.ok() && exited->has_value()) {
      exit_note = absl::StrCat("exit code ", (*exited)->python_exitcode());
    }
    server_.reset();
    channel_.reset();
    return absl::UnavailableError(absl::StrCat(
        "the forkserver went away while starting a child (", cause.message(), "; server ",
        exit_note, "). Does main() begin with multiproc::main_guard(argc, argv)?"));
  }

  std::mutex mutex_;
  std::optional<platform::ChildProcess> server_;
  platform::OwnedHandle channel_;
};

}  // namespace

absl::StatusOr<platform::ExitStatus> ReadExitStatus(platform::NativeHandle pipe) {
  int32_t fields[2];
  absl::Status status =
      platform::ReadExact(pipe, {reinterpret_cast<std::byte*>(fields), sizeof(fields)});
  if (!status.ok()) return status;
  return platform::ExitStatus{fields[0], fields[1]};
}

std::unique_ptr<Spawner> MakeForkserverSpawner() { return std::make_unique<ForkserverSpawner>(); }

}  // namespace multiproc::internal
