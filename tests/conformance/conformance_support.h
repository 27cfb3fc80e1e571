// Shared pieces of the conformance suite: a test fixture parameterized by start method, and small
// helpers for children that report back through a pipe end they received as an argument.
#ifndef MULTIPROC_TESTS_CONFORMANCE_CONFORMANCE_SUPPORT_H_
#define MULTIPROC_TESTS_CONFORMANCE_CONFORMANCE_SUPPORT_H_

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/multiproc.h"
#include "gtest/gtest.h"
#include "platform/pipe.h"

namespace multiproc::testing {

// Every test of a suite derived from this runs once per start method this platform offers.
class StartMethodTest : public ::testing::TestWithParam<std::string> {
 protected:
  template <typename Target, typename... Args>
  Process MakeProcess(Target&& target, Args&&... args) {
    return get_context(GetParam())
        .process(std::forward<Target>(target), std::forward<Args>(args)...);
  }
  bool IsFork() const { return GetParam() == "fork"; }
};

inline std::string StartMethodTestName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

#define MULTIPROC_FOR_EVERY_START_METHOD(suite)                                       \
  INSTANTIATE_TEST_SUITE_P(StartMethods, suite,                                       \
                           ::testing::ValuesIn(::multiproc::get_all_start_methods()), \
                           ::multiproc::testing::StartMethodTestName)

// In a child: sends `text` to the parent through a pipe end received as an argument.
inline void Send(const platform::OwnedHandle& pipe_end, const std::string& text) {
  absl::Status status = platform::WriteAll(
      pipe_end.get(), {reinterpret_cast<const std::byte*>(text.data()), text.size()});
  if (!status.ok()) throw OSError(std::string(status.message()));
}

// In the parent: everything the children wrote, once every writer has closed its end.
inline std::string ReceiveAll(const platform::OwnedHandle& pipe_end) {
  std::string text;
  std::byte buffer[4096];
  for (;;) {
    absl::StatusOr<size_t> got = platform::ReadSome(pipe_end.get(), buffer);
    if (!got.ok() || *got == 0) return text;
    text.append(reinterpret_cast<const char*>(buffer), *got);
  }
}

// A simplex pipe: `reader` stays in the parent, `writer` goes to children as an argument.
struct ReportPipe {
  platform::OwnedHandle reader;
  platform::OwnedHandle writer;
};

inline ReportPipe MakeReportPipe() {
  absl::StatusOr<platform::PipePair> pipe = platform::CreateSimplexPipe();
  if (!pipe.ok()) throw OSError(std::string(pipe.status().message()));
  return {std::move(pipe->first), std::move(pipe->second)};
}

// This process's open descriptors (Linux: the entries of /proc/self/fd; 0 where there is none).
inline size_t OpenDescriptorCount() {
  std::error_code error;
  size_t count = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++count;
  }
  return count;
}

// Polls `condition` every 10 ms until it holds (true) or `within` has passed (false): for
// something another process does in its own time, such as a tracker removing a dead process's
// files.
inline bool HoldsWithin(const std::function<bool()>& condition, absl::Duration within) {
  const absl::Time deadline = absl::Now() + within;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

// Runs `work` on a std::thread that then ends, and returns once the thread has left the kernel
// as well (on Linux its /proc entry is gone), which is after the kernel sent any signal tied to
// the thread's death (PR_SET_PDEATHSIG). Elsewhere it returns when the thread is joined.
inline void RunOnAThreadThatEnds(const std::function<void()>& work) {
  std::filesystem::path task;
  std::thread([&] {
    std::error_code no_proc;
    task = std::filesystem::read_symlink("/proc/thread-self", no_proc);
    work();
  }).join();
  if (task.empty()) return;
  const std::filesystem::path entry = std::filesystem::path("/proc") / task;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (std::filesystem::exists(entry) && absl::Now() < deadline) std::this_thread::yield();
}

}  // namespace multiproc::testing

#endif  // MULTIPROC_TESTS_CONFORMANCE_CONFORMANCE_SUPPORT_H_
