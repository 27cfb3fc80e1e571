// POSIX only (Linux): Semaphore and Event are futex words in a small memfd mapping, so they reach
// children as one descriptor and their uncontended paths are plain atomic operations.
#include "platform/semaphore.h"

#include <atomic>
#include <climits>
#include <new>

#include "absl/time/clock.h"
#include "platform/posix/futex.h"
#include "platform/shared_memory.h"

namespace multiproc::platform {

namespace {

// The layout both processes see in the shared page. `waiters` lets the releasing side skip the
// wake-up system call when nobody sleeps.
struct SyncWord {
  std::atomic<uint32_t> value;
  std::atomic<uint32_t> waiters;
  uint32_t maximum;  // the largest value Release may reach
  uint32_t reserved;
};
static_assert(sizeof(SyncWord) == Semaphore::kSharedStateBytes);

absl::Time DeadlineAfter(absl::Duration timeout) {
  return timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
}

// Calls `try_once` until it succeeds, sleeping on the futex while the value reads `blocked_value`.
// Why no lost wake-up: a sleeper counts itself in `waiters` before the kernel re-checks the value,
// and a releaser changes the value before it reads `waiters` (both sequentially consistent).
template <typename TryOnce>
absl::StatusOr<bool> WaitUntil(SyncWord& word, uint32_t blocked_value, absl::Duration timeout,
                               TryOnce try_once) {
  if (try_once()) return true;  // the uncontended path reads no clock
  absl::Time deadline = DeadlineAfter(timeout);
  for (;;) {
    if (try_once()) return true;
    if (absl::Now() >= deadline) return false;
    word.waiters.fetch_add(1);
    absl::Status status = posix::FutexWait(&word.value, blocked_value, deadline);
    word.waiters.fetch_sub(1);
    if (!status.ok()) return status;
  }
}

void WakeIfAnyoneWaits(SyncWord& word, int count) {
  if (word.waiters.load() > 0) posix::FutexWake(&word.value, count);
}

}  // namespace

// Either owns a small mapping of its own (Create/FromHandle) or points into the caller's shared
// memory (CreateAt/AttachAt).
struct SyncState {
  SharedMemory memory;
  SyncWord* shared_word = nullptr;
  SyncWord& word() const {
    return shared_word != nullptr ? *shared_word : *static_cast<SyncWord*>(memory.data());
  }
};

namespace {

absl::StatusOr<std::unique_ptr<SyncState>> CreateState(uint32_t initial_value) {
  absl::StatusOr<SharedMemory> memory = SharedMemory::CreateUnnamed(sizeof(SyncWord));
  if (!memory.ok()) return memory.status();
  new (memory->data()) SyncWord{{initial_value}, {0}, UINT32_MAX, 0};
  return std::make_unique<SyncState>(SyncState{std::move(*memory)});
}

absl::StatusOr<std::unique_ptr<SyncState>> AdoptState(OwnedHandle handle) {
  absl::StatusOr<SharedMemory> memory =
      SharedMemory::FromHandle(std::move(handle), sizeof(SyncWord));
  if (!memory.ok()) return memory.status();
  return std::make_unique<SyncState>(SyncState{std::move(*memory)});
}

}  // namespace

// ---- Semaphore ----

Semaphore::Semaphore(std::unique_ptr<SyncState> state) : state_(std::move(state)) {}
Semaphore::Semaphore(Semaphore&&) noexcept = default;
Semaphore& Semaphore::operator=(Semaphore&&) noexcept = default;
Semaphore::~Semaphore() = default;

absl::StatusOr<Semaphore> Semaphore::Create(uint32_t initial_count) {
  absl::StatusOr<std::unique_ptr<SyncState>> state = CreateState(initial_count);
  if (!state.ok()) return state.status();
  return Semaphore(std::move(*state));
}

absl::StatusOr<Semaphore> Semaphore::FromHandle(OwnedHandle handle) {
  absl::StatusOr<std::unique_ptr<SyncState>> state = AdoptState(std::move(handle));
  if (!state.ok()) return state.status();
  return Semaphore(std::move(*state));
}

absl::StatusOr<Semaphore> Semaphore::CreateAt(void* shared_state, uint32_t initial_count,
                                              uint32_t maximum_count) {
  if (initial_count > maximum_count) {
    return absl::InvalidArgumentError("semaphore initial count exceeds its maximum");
  }
  auto* word = new (shared_state) SyncWord{{initial_count}, {0}, maximum_count, 0};
  auto state = std::make_unique<SyncState>();
  state->shared_word = word;
  return Semaphore(std::move(state));
}

absl::StatusOr<Semaphore> Semaphore::AttachAt(void* shared_state, OwnedHandle /*handle*/) {
  auto state = std::make_unique<SyncState>();
  state->shared_word = static_cast<SyncWord*>(shared_state);
  return Semaphore(std::move(state));
}

absl::StatusOr<bool> Semaphore::Acquire(absl::Duration timeout) {
  SyncWord& word = state_->word();
  return WaitUntil(word, 0, timeout, [&word] {
    uint32_t count = word.value.load();
    while (count > 0) {
      if (word.value.compare_exchange_weak(count, count - 1)) return true;
    }
    return false;
  });
}

absl::Status Semaphore::Release() {
  SyncWord& word = state_->word();
  uint32_t count = word.value.load();
  do {
    if (count >= word.maximum) {
      return absl::OutOfRangeError("semaphore or lock released too many times");
    }
  } while (!word.value.compare_exchange_weak(count, count + 1));
  WakeIfAnyoneWaits(word, 1);
  return absl::OkStatus();
}

NativeHandle Semaphore::handle() const {
  return state_->shared_word != nullptr ? kInvalidHandle : state_->memory.handle();
}

// ---- Event ----

Event::Event(std::unique_ptr<SyncState> state) : state_(std::move(state)) {}
Event::Event(Event&&) noexcept = default;
Event& Event::operator=(Event&&) noexcept = default;
Event::~Event() = default;

absl::StatusOr<Event> Event::Create() {
  absl::StatusOr<std::unique_ptr<SyncState>> state = CreateState(0);
  if (!state.ok()) return state.status();
  return Event(std::move(*state));
}

absl::StatusOr<Event> Event::FromHandle(OwnedHandle handle) {
  absl::StatusOr<std::unique_ptr<SyncState>> state = AdoptState(std::move(handle));
  if (!state.ok()) return state.status();
  return Event(std::move(*state));
}

absl::Status Event::Set() {
  state_->word().value.store(1);
  WakeIfAnyoneWaits(state_->word(), INT_MAX);
  return absl::OkStatus();
}

absl::Status Event::Clear() {
  state_->word().value.store(0);
  return absl::OkStatus();
}

bool Event::IsSet() const { return state_->word().value.load() == 1; }

absl::StatusOr<bool> Event::Wait(absl::Duration timeout) {
  return WaitUntil(state_->word(), 0, timeout, [this] { return IsSet(); });
}

NativeHandle Event::handle() const { return state_->memory.handle(); }

}  // namespace multiproc::platform
