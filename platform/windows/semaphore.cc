// Windows only: Semaphore and Event as kernel semaphore and manual-reset event objects.
#include "platform/semaphore.h"

#include <windows.h>

#include <climits>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "platform/windows/errors.h"
#include "platform/windows/native_handle.h"
#include "platform/windows/wait.h"

namespace multiproc::platform {

using windows::LastErrorStatus;
using windows::ToNativeHandle;
using windows::ToWin32Handle;
using windows::WaitForObject;

// On Windows the kernel object is all the state there is; the handle is what travels.
struct SyncState {
  OwnedHandle handle;
};

namespace {

// A semaphore's count may reach LONG_MAX, the most ReleaseSemaphore can represent.
constexpr LONG kMaximumSemaphoreCount = LONG_MAX;

absl::Status MovedFromError(const char* type) {
  return absl::FailedPreconditionError(absl::StrCat(type, " used after it was moved from"));
}

absl::StatusOr<std::unique_ptr<SyncState>> AdoptHandle(OwnedHandle handle, const char* type) {
  if (windows::IsInvalid(handle.get())) {
    return absl::InvalidArgumentError(absl::StrCat(type, "::FromHandle needs a valid handle"));
  }
  return std::make_unique<SyncState>(SyncState{std::move(handle)});
}

}  // namespace

// ---- Semaphore ----

Semaphore::Semaphore(std::unique_ptr<SyncState> state) : state_(std::move(state)) {}
Semaphore::Semaphore(Semaphore&&) noexcept = default;
Semaphore& Semaphore::operator=(Semaphore&&) noexcept = default;
Semaphore::~Semaphore() = default;

absl::StatusOr<Semaphore> Semaphore::Create(uint32_t initial_count) {
  if (initial_count > static_cast<uint32_t>(kMaximumSemaphoreCount)) {
    return absl::InvalidArgumentError(
        absl::StrCat("semaphore count ", initial_count, " exceeds ", kMaximumSemaphoreCount));
  }
  // No security attributes: the handle is not inheritable, like every handle multiproc creates.
  HANDLE semaphore =
      CreateSemaphoreW(nullptr, static_cast<LONG>(initial_count), kMaximumSemaphoreCount, nullptr);
  if (semaphore == nullptr) return LastErrorStatus("CreateSemaphoreW");
  return Semaphore(std::make_unique<SyncState>(SyncState{OwnedHandle(ToNativeHandle(semaphore))}));
}

absl::StatusOr<Semaphore> Semaphore::FromHandle(OwnedHandle handle) {
  absl::StatusOr<std::unique_ptr<SyncState>> state = AdoptHandle(std::move(handle), "Semaphore");
  if (!state.ok()) return state.status();
  return Semaphore(std::move(*state));
}

// The kernel object holds all the state, so the shared memory is not used on Windows.
absl::StatusOr<Semaphore> Semaphore::CreateAt(void* /*shared_state*/, uint32_t initial_count,
                                              uint32_t maximum_count) {
  if (initial_count > maximum_count ||
      maximum_count > static_cast<uint32_t>(kMaximumSemaphoreCount) || maximum_count == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("semaphore counts ", initial_count, "/", maximum_count, " out of range"));
  }
  HANDLE semaphore = CreateSemaphoreW(nullptr, static_cast<LONG>(initial_count),
                                      static_cast<LONG>(maximum_count), nullptr);
  if (semaphore == nullptr) return LastErrorStatus("CreateSemaphoreW");
  return Semaphore(std::make_unique<SyncState>(SyncState{OwnedHandle(ToNativeHandle(semaphore))}));
}

absl::StatusOr<Semaphore> Semaphore::AttachAt(void* /*shared_state*/, OwnedHandle handle) {
  return FromHandle(std::move(handle));
}

absl::StatusOr<bool> Semaphore::Acquire(absl::Duration timeout) {
  if (state_ == nullptr) return MovedFromError("Semaphore");
  return WaitForObject(state_->handle.get(), timeout);
}

absl::Status Semaphore::Release() {
  if (state_ == nullptr) return MovedFromError("Semaphore");
  if (!ReleaseSemaphore(ToWin32Handle(state_->handle.get()), 1, nullptr)) {
    if (GetLastError() == ERROR_TOO_MANY_POSTS) {
      return absl::OutOfRangeError("semaphore or lock released too many times");
    }
    return LastErrorStatus("ReleaseSemaphore");
  }
  return absl::OkStatus();
}

NativeHandle Semaphore::handle() const {
  return state_ == nullptr ? kInvalidHandle : state_->handle.get();
}

// ---- Event ----

Event::Event(std::unique_ptr<SyncState> state) : state_(std::move(state)) {}
Event::Event(Event&&) noexcept = default;
Event& Event::operator=(Event&&) noexcept = default;
Event::~Event() = default;

absl::StatusOr<Event> Event::Create() {
  HANDLE event = CreateEventW(nullptr, /*bManualReset=*/TRUE, /*bInitialState=*/FALSE, nullptr);
  if (event == nullptr) return LastErrorStatus("CreateEventW");
  return Event(std::make_unique<SyncState>(SyncState{OwnedHandle(ToNativeHandle(event))}));
}

absl::StatusOr<Event> Event::FromHandle(OwnedHandle handle) {
  absl::StatusOr<std::unique_ptr<SyncState>> state = AdoptHandle(std::move(handle), "Event");
  if (!state.ok()) return state.status();
  return Event(std::move(*state));
}

absl::Status Event::Set() {
  if (state_ == nullptr) return MovedFromError("Event");
  if (!SetEvent(ToWin32Handle(state_->handle.get()))) return LastErrorStatus("SetEvent");
  return absl::OkStatus();
}

absl::Status Event::Clear() {
  if (state_ == nullptr) return MovedFromError("Event");
  if (!ResetEvent(ToWin32Handle(state_->handle.get()))) return LastErrorStatus("ResetEvent");
  return absl::OkStatus();
}

bool Event::IsSet() const {
  // A zero-timeout wait is the only way to read an event; it does not change a manual-reset one.
  return state_ != nullptr &&
         WaitForSingleObject(ToWin32Handle(state_->handle.get()), 0) == WAIT_OBJECT_0;
}

absl::StatusOr<bool> Event::Wait(absl::Duration timeout) {
  if (state_ == nullptr) return MovedFromError("Event");
  return WaitForObject(state_->handle.get(), timeout);
}

NativeHandle Event::handle() const {
  return state_ == nullptr ? kInvalidHandle : state_->handle.get();
}

}  // namespace multiproc::platform
