#include "core/async_result.h"

#include <iostream>

#include "core/task_error.h"

namespace multiproc::internal {

void RunCallbackGuarded(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::exception& error) {
    std::cerr << "multiproc: a Pool callback raised (ignored): " << error.what() << std::endl;
  } catch (...) {
    std::cerr << "multiproc: a Pool callback raised a non-standard exception (ignored)"
              << std::endl;
  }
}

void CallErrorCallback(const std::function<void(const Error&)>& callback, const Failure& error) {
  RunCallbackGuarded([&] {
    try {
      error.Raise();
    } catch (const Error& typed) {
      callback(typed);
    } catch (...) {
      CapturedError captured = CaptureCurrentError();
      callback(TaskError(captured.type_name, captured.message));
    }
  });
}

std::chrono::steady_clock::time_point DeadlineAfter(Timeout timeout) {
  auto now = std::chrono::steady_clock::now();
  if (!timeout.has_value()) return std::chrono::steady_clock::time_point::max();
  if (*timeout <= absl::ZeroDuration()) return now;
  // Caps a huge timeout well below the clock's range instead of overflowing.
  absl::Duration capped = std::min(*timeout, absl::Hours(24 * 365 * 100));
  return now + absl::ToChronoNanoseconds(capped);
}

}  // namespace multiproc::internal
