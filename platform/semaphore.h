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

  // The in-memory form, for many semaphores in one shared mapping: the state lives in
  // kSharedStateBytes bytes at `shared_state` (8-byte aligned shared memory that every process
  // using the semaphore keeps mapped). Release beyond `maximum_count` is OutOfRange. handle() is
  // what must travel besides the memory: the kernel semaphore on Windows, nothing
  // (kInvalidHandle) on Linux, where the futex word is all the state there is.
  static constexpr size_t kSharedStateBytes = 16;
  static absl::StatusOr<Semaphore> CreateAt(void* shared_state, uint32_t initial_count,
                                            uint32_t maximum_count);
  static absl::StatusOr<Semaphore> AttachAt(void* shared_state, OwnedHandle handle);

  Semaphore(Semaphore&&) noexcept;
  Semaphore& operator=(Semaphore&&) noexcept;
  ~Semaphore();

  // True when a unit was taken; false when `timeout` expired first (absl::InfiniteDuration()
  // blocks, absl::ZeroDuration() only tries).
  absl::StatusOr<bool> Acquire(absl::Duration timeout);
  // OutOfRange if the count would pass the maximum (in-memory form) or overflow.
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
