// Process-shared synchronization primitives reachable through one handle each, so they travel to
// child processes like any other handle: a counting Semaphore and a manual-reset Event.
// Linux: a futex word in a small memfd mapping (acquire and release make no system call when
// nobody waits); Windows: kernel semaphore and event objects.
//
//   absl::StatusOr<platform::Semaphore> slots = platform::Semaphore::Create(2);
//   absl::StatusOr<bool> got = slots->Acquire(absl::Milliseconds(100));  // false on timeout
//   RETURN_IF_ERROR(slots->Release());
#ifndef MULTIPROC_PLATFORM_SEMAPHORE_H_
#define MULTIPROC_PLATFORM_SEMAPHORE_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "platform/handle.h"

namespace multiproc::platform {

struct SyncState;  // the platform's representation (shared memory word or kernel object)

// A counting semaphore shared between processes.
class Semaphore {
 public:
  static absl::StatusOr<Semaphore> Create(uint32_t initial_count);
  // Adopts a handle received from another process (see handle()).
  static absl::StatusOr<Semaphore> FromHandle(OwnedHandle handle);

  Semaphore(Semaphore&&) noexcept;
  Semaphore& operator=(Semaphore&&) noexcept;
  ~Semaphore();

  // True when a unit was taken; false when `timeout` expired first (absl::InfiniteDuration()
  // blocks, absl::ZeroDuration() only tries).
  absl::StatusOr<bool> Acquire(absl::Duration timeout);
  absl::Status Release();

  NativeHandle handle() const;

 private:
  explicit Semaphore(std::unique_ptr<SyncState> state);
  std::unique_ptr<SyncState> state_;
};

// A manual-reset event shared between processes: Set wakes every waiter and stays set until Clear.
class Event {
 public:
  static absl::StatusOr<Event> Create();
  static absl::StatusOr<Event> FromHandle(OwnedHandle handle);

  Event(Event&&) noexcept;
  Event& operator=(Event&&) noexcept;
  ~Event();

  absl::Status Set();
  absl::Status Clear();
  bool IsSet() const;
  // True once the event is set; false when `timeout` expired first.
  absl::StatusOr<bool> Wait(absl::Duration timeout);

  NativeHandle handle() const;

 private:
  explicit Event(std::unique_ptr<SyncState> state);
  std::unique_ptr<SyncState> state_;
};

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_SEMAPHORE_H_
