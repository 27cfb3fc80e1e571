// Helpers shared by the platform tests: launching the child helper and byte conversions.
#ifndef MULTIPROC_TESTS_PLATFORM_TEST_SUPPORT_H_
#define MULTIPROC_TESTS_PLATFORM_TEST_SUPPORT_H_

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "platform/pipe.h"
#include "platform/process.h"

namespace multiproc::testing {

inline absl::Span<const std::byte> AsBytes(const std::string& text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

inline std::string HandleArgument(platform::NativeHandle handle) { return absl::StrCat(handle); }

// The child helper lives beside the test binary.
inline std::string ChildHelperPath() {
  absl::StatusOr<std::string> self = platform::CurrentExecutablePath();
  if (!self.ok()) return "";
  return std::filesystem::path(*self).replace_filename(MULTIPROC_TEST_CHILD_NAME).string();
}

inline absl::StatusOr<platform::ChildProcess> LaunchHelper(
    std::vector<std::string> arguments, std::vector<platform::NativeHandle> handles = {},
    bool kill_when_parent_dies = false) {
  platform::LaunchSpec spec;
  spec.executable = ChildHelperPath();
  spec.arguments = std::move(arguments);
  spec.handles_to_pass = std::move(handles);
  spec.kill_when_parent_dies = kill_when_parent_dies;
  return platform::Launch(spec);
}

// Reads until the peer closes its end; the whole stream as text.
inline absl::StatusOr<std::string> ReadToEnd(platform::NativeHandle pipe_end) {
  std::string text;
  std::byte buffer[4096];
  for (;;) {
    absl::StatusOr<size_t> got = platform::ReadSome(pipe_end, buffer);
    if (!got.ok()) return got.status();
    if (*got == 0) return text;
    text.append(reinterpret_cast<const char*>(buffer), *got);
  }
}

// Waits for a helper that should finish promptly; its exit status.
inline absl::StatusOr<platform::ExitStatus> WaitBriefly(platform::ChildProcess& child) {
  absl::StatusOr<std::optional<platform::ExitStatus>> status = child.Wait(absl::Seconds(30));
  if (!status.ok()) return status.status();
  if (!status->has_value()) return absl::DeadlineExceededError("child still running after 30 s");
  return **status;
}

}  // namespace multiproc::testing

#endif  // MULTIPROC_TESTS_PLATFORM_TEST_SUPPORT_H_
