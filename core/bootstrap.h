// What a child needs to become the process its parent asked for, and how it travels. The payload
// names the target function and its argument decoder by CodeLocation (the child is the same
// program, possibly loaded at another address), carries the encoded arguments and the child's
// identity. The same payload drives fork, spawn and forkserver children; only its transport
// differs (inherited memory, the bootstrap pipe of a spawned child, the forkserver's socket).
#ifndef MULTIPROC_CORE_BOOTSTRAP_H_
#define MULTIPROC_CORE_BOOTSTRAP_H_

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "core/current_process.h"
#include "core/handle_table.h"
#include "platform/code_location.h"
#include "platform/handle.h"

namespace multiproc::internal {

// Decodes `arguments` (taking handles from `handles`) and calls the function at `target`.
using TargetInvoker = void (*)(const void* target, const std::string& arguments,
                               HandleTable& handles);

struct BootstrapPayload {
  platform::CodeLocation invoker;  // a TargetInvoker instantiated for the target's signature
  platform::CodeLocation target;
  std::string arguments;
  ChildIdentity identity;
  // The parent's get_start_method(), which becomes the child's (Python's preparation data
  // carries it too): a fresh program would otherwise fall back to the platform default.
  std::string start_method;

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(invoker, target, arguments, identity, start_method);
  }
};

// A spawned child whose bootstrap payload is missing, truncated or corrupt exits with this code
// after saying why on stderr; it never runs user code.
inline constexpr int kBootstrapFailureExitCode = 121;

// The largest bootstrap message a child accepts.
inline constexpr size_t kMaxBootstrapBytes = size_t{256} << 20;

// Runs the payload's target in this child and returns the exit code: 0, the code given to
// multiproc::exit, 1 after an uncaught exception (reported on stderr), or
// kBootstrapFailureExitCode if the target cannot be resolved here.
int RunChild(const BootstrapPayload& payload, HandleTable& handles);

// Flushes C and C++ standard streams (before fork, and before a child exits).
void FlushStandardStreams();

// Runs `target` as a child process's main and returns its exit code (see RunChild).
int RunAsChildMain(absl::FunctionRef<void()> target);

// The bootstrap pipe's framing: a magic string, a length, then the payload and the values under
// which the listed handles arrive in the child.
std::string FrameBootstrap(const BootstrapPayload& payload,
                           const std::vector<platform::NativeHandle>& handle_values);

struct ReceivedBootstrap {
  BootstrapPayload payload;
  std::vector<platform::NativeHandle> handle_values;
};

// Reads one framed bootstrap message. DataLoss for anything but a whole, well-formed message.
absl::StatusOr<ReceivedBootstrap> ReadBootstrap(platform::NativeHandle pipe);

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_BOOTSTRAP_H_
