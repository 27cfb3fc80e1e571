#include "core/main_guard.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "core/bootstrap.h"
#include "core/errors.h"
#include "core/forkserver.h"
#include "core/spawner.h"

namespace multiproc {

namespace {

std::atomic<bool> guard_passed{false};

platform::NativeHandle ParseHandleOrExit(const char* text) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    std::cerr << "multiproc: bad bootstrap handle '" << text << "'" << std::endl;
    std::exit(internal::kBootstrapFailureExitCode);
  }
  return static_cast<platform::NativeHandle>(value);
}

// Runs the payload sent down the bootstrap pipe and exits (running this child's own atexit
// handlers, as a Python spawn child does).
[[noreturn]] void RunSpawnedChild(const char* pipe_text) {
  platform::OwnedHandle pipe(ParseHandleOrExit(pipe_text));
  absl::StatusOr<internal::ReceivedBootstrap> received = internal::ReadBootstrap(pipe.get());
  pipe.reset();
  if (!received.ok()) {
    std::cerr << "multiproc: spawned child cannot start: " << received.status().message()
              << std::endl;
    std::exit(internal::kBootstrapFailureExitCode);
  }
  std::vector<platform::OwnedHandle> handles;
  for (platform::NativeHandle value : received->handle_values) {
    // They arrived inheritable (that is how they got here); they must not leak any further.
    (void)platform::SetInheritable(value, false);
    handles.emplace_back(value);
  }
  HandleTable table(std::move(handles));
  std::exit(internal::RunChild(received->payload, table));
}

constexpr const char* kGuardExample =
    "    int main(int argc, char** argv) {\n"
    "      multiproc::main_guard(argc, argv);\n"
    "      ...\n"
    "    }\n";

bool IsMarkedAsSpawnedChild() {
  absl::StatusOr<std::vector<std::string>> arguments = platform::CurrentCommandLine();
  return arguments.ok() && arguments->size() >= 3 &&
         ((*arguments)[1] == internal::kSpawnChildMarker ||
          (*arguments)[1] == internal::kForkserverMarker);
}

}  // namespace

void main_guard(int argc, char** argv) {
  guard_passed = true;
  if (argc < 3) return;
  if (std::strcmp(argv[1], internal::kSpawnChildMarker) == 0) RunSpawnedChild(argv[2]);
  if (std::strcmp(argv[1], internal::kForkserverMarker) == 0) {
    internal::RunForkserver(ParseHandleOrExit(argv[2]));
  }
}

namespace internal {

void RequireMainGuard() {
  if (guard_passed) return;
  if (IsMarkedAsSpawnedChild()) {
    throw BootstrapError(
        "multiproc: this process is a child started with the 'spawn' or 'forkserver' method, and "
        "it reached Process::start without calling multiproc::main_guard(argc, argv). A spawned "
        "child runs main() from the top, so make the guard the first statement of main:\n" +
        std::string(kGuardExample) +
        "It is the C++ form of Python's `if __name__ == '__main__':`; without it every child "
        "would start children of its own.");
  }
  // Checked under every start method: a program that forgot the guard would work with 'fork'
  // and fail only once run with 'spawn', the one method Windows has.
  throw BootstrapError(
      "multiproc: Process::start in a program whose main() has not called "
      "multiproc::main_guard(argc, argv). Under 'spawn' (the only start method on Windows) and "
      "'forkserver' a child runs main() from the top, so the guard must be the first statement "
      "of main, under every start method:\n" +
      std::string(kGuardExample) + "It is the C++ form of Python's `if __name__ == '__main__':`.");
}

}  // namespace internal
}  // namespace multiproc
