// Timeout: how long a blocking call may wait. Every multiproc call that takes a timeout takes
// this, so callers can pass an absl::Duration, any std::chrono::duration, or std::nullopt (wait
// for as long as it takes, Python's timeout=None) without needing Abseil:
//
//   using namespace std::chrono_literals;
//   queue.get(/*block=*/true, 2s);                 // std::chrono
//   event.wait(absl::Milliseconds(250));           // Abseil
//   lock.acquire(/*block=*/true, std::nullopt);    // no limit
//
// It is a std::optional<absl::Duration>, so it reads like one inside the library.
#ifndef MULTIPROC_CORE_TIMEOUT_H_
#define MULTIPROC_CORE_TIMEOUT_H_

#include <chrono>
#include <optional>

#include "absl/time/time.h"

namespace multiproc {

// A std::chrono duration as an absl::Duration. Durations too long for 64-bit nanoseconds (the
// chrono ::max() values people use for "forever") become absl::InfiniteDuration().
template <typename Rep, typename Period>
absl::Duration FromChronoDuration(std::chrono::duration<Rep, Period> duration) {
  using Seconds = std::chrono::duration<double>;
  constexpr double kLongestSeconds = 9.2e9;  // about 292 years, where int64 nanoseconds end
  double seconds = std::chrono::duration_cast<Seconds>(duration).count();
  if (seconds >= kLongestSeconds) return absl::InfiniteDuration();
  if (seconds <= -kLongestSeconds) return -absl::InfiniteDuration();
  return absl::FromChrono(std::chrono::duration_cast<std::chrono::nanoseconds>(duration));
}

class Timeout : public std::optional<absl::Duration> {
 public:
  using std::optional<absl::Duration>::optional;  // none, std::nullopt, an absl::Duration
  Timeout(std::optional<absl::Duration> timeout)  // NOLINT: converts, as optional does
      : std::optional<absl::Duration>(timeout) {}
  template <typename Rep, typename Period>
  Timeout(std::chrono::duration<Rep, Period> timeout)  // NOLINT: converts, as optional does
      : std::optional<absl::Duration>(FromChronoDuration(timeout)) {}
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_TIMEOUT_H_
