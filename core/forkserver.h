// The forkserver: the server's loop and the messages it exchanges with its parent.
#ifndef MULTIPROC_CORE_FORKSERVER_H_
#define MULTIPROC_CORE_FORKSERVER_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/bootstrap.h"
#include "platform/handle.h"
#include "platform/process.h"

namespace multiproc::internal {

// One request: start a child running `payload`. Its handles, followed by the child's status
// pipe, travel beside it.
struct ForkRequest {
  BootstrapPayload payload;
  bool daemon = false;

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(payload, daemon);
  }
};

std::string EncodeForkRequest(const ForkRequest& request);

// An exit status as the server writes it on a child's status pipe.
absl::StatusOr<platform::ExitStatus> ReadExitStatus(platform::NativeHandle pipe);

// Serves fork requests arriving on `channel` until the parent closes it, then exits. Runs in the
// server process, entered from main_guard.
[[noreturn]] void RunForkserver(platform::NativeHandle channel);

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_FORKSERVER_H_
