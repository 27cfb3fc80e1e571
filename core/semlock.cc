#include "core/semlock.h"

#include <atomic>
#include <new>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/errors.h"
#include "core/status_errors.h"
#include "platform/process.h"

namespace multiproc::internal {

namespace {

// How often a blocked acquirer looks at whether the lock's owner still lives.
constexpr absl::Duration kOwnerCheckInterval = absl::Milliseconds(100);

// Identifies the calling thread within its process (std::thread::id cannot be stored in shared
// memory); fork children inherit the value, but their pid differs.
uint64_t ThreadToken() {
  static std::atomic<uint64_t> next{1};
  thread_local uint64_t token = next.fetch_add(1);
  return token;
}

}  // namespace

struct SemLock::State {
  alignas(8) unsigned char semaphore[platform::Semaphore::kSharedStateBytes];
  std::atomic<int64_t> owner_pid;
  std::atomic<uint64_t> owner_thread;
  std::atomic<uint32_t> recursion;
  uint32_t kind;
};

SemLock::SemLock(Kind kind, uint32_t value, uint32_t maximum) : kind_(kind) {
  block_ = SharedBlock::Allocate(sizeof(State), alignof(State));
  State* state = new (block_.data()) State{};
  state->kind = static_cast<uint32_t>(kind);
  semaphore_ = std::make_shared<platform::Semaphore>(ValueOrThrow(
      platform::Semaphore::CreateAt(state->semaphore, value, maximum), "creating a semaphore"));
}

SemLock::SemLock(SharedBlock block, std::shared_ptr<platform::Semaphore> semaphore, Kind kind)
    : block_(std::move(block)), semaphore_(std::move(semaphore)), kind_(kind) {}

SemLock::State& SemLock::state() const {
  if (!block_.valid()) throw ValueError("use of an empty lock object");
  return *static_cast<State*>(block_.data());
}

bool SemLock::IsMine() const {
  const State& shared = state();
  return shared.owner_pid.load() == platform::CurrentProcessId() &&
         shared.owner_thread.load() == ThreadToken();
}

uint32_t SemLock::RecursionCount() const { return IsMine() ? state().recursion.load() : 0; }

int64_t SemLock::OwnerPid() const { return state().owner_pid.load(); }

// Relaxed: taking the semaphore unit already ordered us after the previous owner, and only the
// owner reads owner_thread and recursion. Sequentially consistent stores would cost a locked
// instruction each on the uncontended path.
void SemLock::BecomeOwner() {
  State& shared = state();
  shared.owner_thread.store(ThreadToken(), std::memory_order_relaxed);
  shared.recursion.store(1, std::memory_order_relaxed);
  shared.owner_pid.store(platform::CurrentProcessId(), std::memory_order_relaxed);
}

// The owner died holding the lock: its unit of the semaphore is gone with it, so the lock passes
// to us as it stands. The compare-exchange makes exactly one waiter the heir.
bool SemLock::TryTakeOverFromDeadOwner() {
  State& shared = state();
  int64_t owner = shared.owner_pid.load();
  if (owner == 0 || owner == platform::CurrentProcessId() || platform::IsProcessAlive(owner)) {
    return false;
  }
  if (!shared.owner_pid.compare_exchange_strong(owner, platform::CurrentProcessId())) return false;
  shared.owner_thread.store(ThreadToken());
  shared.recursion.store(1);
  return true;
}

bool SemLock::TakeUnit(absl::Duration timeout) {
  if (!ValueOrThrow(semaphore_->Acquire(timeout), "acquiring a lock")) return false;
  owner_died_->store(false, std::memory_order_relaxed);
  if (OwnerIsTracked()) BecomeOwner();
  return true;
}

bool SemLock::Acquire(bool block, Timeout timeout) {
  if (kind_ == Kind::kRecursiveLock && IsMine()) {
    state().recursion.fetch_add(1);
    return true;
  }
  // Uncontended: one atomic operation, no clock read and no system call.
  if (TakeUnit(absl::ZeroDuration())) return true;
  absl::Duration limit = !block                ? absl::ZeroDuration()
                         : timeout.has_value() ? std::max(*timeout, absl::ZeroDuration())
                                               : absl::InfiniteDuration();
  absl::Time deadline =
      limit == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + limit;
  for (;;) {
    absl::Duration slice = OwnerIsTracked() ? std::min(kOwnerCheckInterval, deadline - absl::Now())
                                            : deadline - absl::Now();
    if (limit == absl::ZeroDuration() || slice < absl::ZeroDuration()) slice = absl::ZeroDuration();
    if (TakeUnit(slice)) return true;
    if (OwnerIsTracked() && TryTakeOverFromDeadOwner()) {
      owner_died_->store(true, std::memory_order_relaxed);
      return true;
    }
    if (absl::Now() >= deadline) return false;
  }
}

void SemLock::Release() {
  State& shared = state();
  if (kind_ == Kind::kRecursiveLock) {
    if (!IsMine()) throw AssertionError("attempt to release recursive lock not owned by thread");
    if (shared.recursion.fetch_sub(1) > 1) return;
  }
  int64_t previous_owner = 0;
  if (OwnerIsTracked()) {
    // The holder alone writes here (and the semaphore's release below orders it), so no
    // read-modify-write is needed.
    previous_owner = shared.owner_pid.load(std::memory_order_relaxed);
    shared.owner_pid.store(0, std::memory_order_relaxed);
  }
  absl::Status status = semaphore_->Release();
  if (absl::IsOutOfRange(status)) {
    if (OwnerIsTracked()) shared.owner_pid.store(previous_owner);
    throw ValueError("semaphore or lock released too many times");
  }
  ThrowIfError(status, "releasing a lock");
}

void SemLock::Save(OutputArchive& archive) const {
  platform::OwnedHandle borrowed(semaphore_->handle());
  archive(block_, static_cast<uint32_t>(kind_), borrowed);
  borrowed.release();  // still owned by the semaphore
}

SemLock SemLock::Load(InputArchive& archive) {
  SharedBlock block;
  uint32_t kind = 0;
  platform::OwnedHandle handle;
  archive(block, kind, handle);
  if (block.size() < sizeof(State) || kind > static_cast<uint32_t>(Kind::kRecursiveLock)) {
    throw SerializationError("a received lock's state is malformed");
  }
  auto* state = static_cast<State*>(block.data());
  auto semaphore = std::make_shared<platform::Semaphore>(ValueOrThrow(
      platform::Semaphore::AttachAt(state->semaphore, std::move(handle)), "attaching a lock"));
  return SemLock(std::move(block), std::move(semaphore), static_cast<Kind>(kind));
}

}  // namespace multiproc::internal
