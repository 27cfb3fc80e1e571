// The forkserver process: single-threaded, it waits on its parent's channel and on its
// children's sentinels. A request is answered with the new child's pid; a child's exit is reported
// as (exit code, signal) on that child's status pipe. When the parent closes the channel (it
// exited or died) the server exits, and daemon children die with it.
#include "core/forkserver.h"

#include <cstdlib>
#include <iostream>
#include <vector>

#include "core/serialization.h"
#include "core/shared_heap.h"
#include "platform/handle_passing.h"
#include "platform/pipe.h"
#include "platform/wait.h"

namespace multiproc::internal {

namespace {

struct ServedChild {
  platform::ChildProcess process;
  platform::OwnedHandle status_pipe;
};

void ReportExit(ServedChild& child) {
  absl::StatusOr<std::optional<platform::ExitStatus>> status =
      child.process.Wait(absl::ZeroDuration());
  if (!status.ok() || !status->has_value()) return;
  int32_t fields[2] = {(*status)->exit_code, (*status)->signal};
  // The parent may be gone or have closed its end; nothing to do about a failed report.
  (void)platform::WriteAll(child.status_pipe.get(),
                           {reinterpret_cast<const std::byte*>(fields), sizeof(fields)});
}

void Reply(platform::NativeHandle channel, int64_t pid) {
  (void)platform::WriteAll(channel, {reinterpret_cast<const std::byte*>(&pid), sizeof(pid)});
}

class Forkserver {
 public:
  explicit Forkserver(platform::NativeHandle channel) : channel_(channel) {}

  [[noreturn]] void Run() {
    for (;;) {
      std::vector<platform::NativeHandle> watched = {channel_.get()};
      for (const ServedChild& child : children_) watched.push_back(child.process.sentinel());
      absl::StatusOr<std::vector<size_t>> ready =
          platform::WaitForAny(watched, absl::InfiniteDuration());
      if (!ready.ok()) Exit(1);
      // Children first, highest index first, so erasing keeps the other indices valid.
      for (auto it = ready->rbegin(); it != ready->rend(); ++it) {
        if (*it == 0) continue;
        ReportExit(children_[*it - 1]);
        children_.erase(children_.begin() + static_cast<ptrdiff_t>(*it - 1));
      }
      if (ready->front() == 0 && !ServeOneRequest()) Exit(0);
    }
  }

 private:
  // False when the parent has gone.
  bool ServeOneRequest() {
    absl::StatusOr<platform::HandleMessage> message =
        platform::ReceiveHandleMessage(channel_.get());
    if (!message.ok()) return false;
    if (message->handles.empty()) {
      Reply(channel_.get(), 0);
      return true;
    }
    platform::OwnedHandle status_pipe = std::move(message->handles.back());
    message->handles.pop_back();
    HandleTable handles(std::move(message->handles));
    ForkRequest request;
    try {
      Decode(message->bytes, handles, request);
    } catch (const SerializationError& error) {
      std::cerr << "multiproc forkserver: bad request: " << error.what() << std::endl;
      Reply(channel_.get(), 0);
      return true;
    }
    HeapForkGuard heap;
    absl::StatusOr<platform::ChildProcess> child = platform::ForkAndRun(
        [&]() -> int {
          heap.InChild();
          CloseServerHandles(status_pipe);
          return RunChild(request.payload, handles);
        },
        request.daemon);
    heap.InParent(child.ok());
    if (!child.ok()) {
      Reply(channel_.get(), 0);
      return true;
    }
    Reply(channel_.get(), child->pid());
    children_.push_back(ServedChild{std::move(*child), std::move(status_pipe)});
    return true;
  }

  // In a freshly forked child: it must not hold the server's channel or any status pipe, or the
  // parent would not see end-of-stream when the server or a sibling goes away; nor its siblings'
  // process handles, or each child would hold one per running sibling (CPython's
  // test_child_fd_inflation).
  void CloseServerHandles(platform::OwnedHandle& own_status_pipe) {
    channel_.reset();
    own_status_pipe.reset();
    children_.clear();
  }

  [[noreturn]] static void Exit(int code) { platform::ExitImmediately(code); }

  platform::OwnedHandle channel_;
  std::vector<ServedChild> children_;
};

}  // namespace

std::string EncodeForkRequest(const ForkRequest& request) {
  HandleTable no_handles;
  return Encode(no_handles, request);
}

void RunForkserver(platform::NativeHandle channel) {
  platform::ForgetBindSymbolsAtLoad();  // the children's own launches load as usual
  Forkserver(channel).Run();
}

}  // namespace multiproc::internal
