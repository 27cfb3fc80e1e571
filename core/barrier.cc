#include "core/barrier.h"

#include <mutex>
#include <new>

#include "core/errors.h"
#include "core/status_errors.h"
#include "platform/code_location.h"
#include "platform/process.h"

namespace multiproc {

namespace {

// threading.Barrier's states.
enum BarrierState : int32_t { kFilling = 0, kDraining = 1, kResetting = -1, kBroken = -2 };

// How often a waiting party checks whether the others inside wait() still live.
constexpr absl::Duration kLivenessCheckInterval = absl::Milliseconds(100);

}  // namespace

// Guarded by the condition's lock. `party_pids[parties]` follows: the pid of each party inside
// wait() (0 for a free slot), so that a party killed inside wait() can be noticed; count can never
// exceed parties, so there is always a free slot for an arriving party.
struct Barrier::State {
  int32_t phase;
  uint32_t count;  // parties inside wait()
  int64_t* party_pids() { return reinterpret_cast<int64_t*>(this + 1); }
};

namespace {

size_t StateBytes(size_t parties) { return sizeof(Barrier::State) + parties * sizeof(int64_t); }

}  // namespace

Barrier::Barrier(size_t parties, Action action, Timeout timeout)
    : condition_(Lock()), parties_(parties), action_(action), timeout_(timeout) {
  if (parties == 0 || parties > kMaxParties) {
    throw ValueError("multiproc::Barrier: parties must be between 1 and kMaxParties");
  }
  state_ = internal::SharedBlock::Allocate(StateBytes(parties), alignof(State));
  new (state_.data()) State{kFilling, 0};
  for (size_t i = 0; i < parties; ++i) state().party_pids()[i] = 0;
}

Barrier::State& Barrier::state() const {
  if (!state_.valid()) throw ValueError("use of an empty Barrier");
  return *static_cast<State*>(state_.data());
}

// Caller holds the lock and has counted itself in.
int64_t& Barrier::ClaimSlot() {
  int64_t* pids = state().party_pids();
  for (size_t i = 0; i < parties_; ++i) {
    if (pids[i] == 0) {
      pids[i] = platform::CurrentProcessId();
      return pids[i];
    }
  }
  throw ValueError("multiproc::Barrier: more parties inside wait() than it has");  // not reached
}

// Caller holds the lock. A party killed inside wait() (CPython's barrier then hangs forever):
// in the filling phase the round can never complete, so the barrier breaks, as on a timeout;
// while draining it just stops counting.
void Barrier::ForgetDeadParties() {
  State& shared = state();
  int64_t* pids = shared.party_pids();
  int64_t self = platform::CurrentProcessId();
  for (size_t i = 0; i < parties_; ++i) {
    if (pids[i] == 0 || pids[i] == self || platform::IsProcessAlive(pids[i])) continue;
    pids[i] = 0;
    --shared.count;
    if (shared.phase == kFilling) {
      Break();
    } else {
      Exit();
    }
  }
}

size_t Barrier::wait(Timeout timeout) {
  if (!timeout.has_value()) timeout = timeout_;
  std::lock_guard<Condition> hold(condition_);
  Enter();  // waits while the barrier drains
  State& shared = state();
  size_t index = shared.count++;
  int64_t& slot = ClaimSlot();
  auto leave = [&] {
    slot = 0;
    --shared.count;
    Exit();
  };
  try {
    if (index + 1 == parties_) {
      Release();
    } else {
      Await(timeout);
    }
  } catch (...) {
    leave();
    throw;
  }
  leave();
  return index;
}

void Barrier::Enter() {
  State& shared = state();
  while (shared.phase == kDraining || shared.phase == kResetting) {
    condition_.wait(kLivenessCheckInterval);
    ForgetDeadParties();
  }
  if (shared.phase < 0) throw BrokenBarrierError("the barrier is broken");
}

// The last party to arrive runs the action and lets the others go.
void Barrier::Release() {
  try {
    if (action_ != nullptr) action_();
    state().phase = kDraining;
    condition_.notify_all();
  } catch (...) {
    Break();
    throw;
  }
}

void Barrier::Await(Timeout timeout) {
  State& shared = state();
  absl::Time deadline = timeout.has_value() ? absl::Now() + *timeout : absl::InfiniteFuture();
  while (shared.phase == kFilling) {
    absl::Duration remaining = deadline - absl::Now();
    if (remaining <= absl::ZeroDuration()) {
      Break();
      throw BrokenBarrierError("timed out waiting at the barrier; it is now broken");
    }
    condition_.wait(std::min(remaining, kLivenessCheckInterval));
    ForgetDeadParties();
  }
  if (shared.phase < 0) throw BrokenBarrierError("the barrier was aborted, reset or lost a party");
}

// The last party out lets a new round fill.
void Barrier::Exit() {
  State& shared = state();
  if (shared.count == 0 && (shared.phase == kResetting || shared.phase == kDraining)) {
    shared.phase = kFilling;
    condition_.notify_all();
  }
}

void Barrier::Break() {
  state().phase = kBroken;
  condition_.notify_all();
}

void Barrier::reset() {
  std::lock_guard<Condition> hold(condition_);
  State& shared = state();
  if (shared.count > 0) {
    if (shared.phase == kFilling || shared.phase == kBroken) shared.phase = kResetting;
  } else {
    shared.phase = kFilling;
  }
  condition_.notify_all();
}

void Barrier::abort() {
  std::lock_guard<Condition> hold(condition_);
  Break();
}

size_t Barrier::n_waiting() const {
  std::lock_guard<Condition> hold(condition_);
  return state().phase == kFilling ? state().count : 0;
}

bool Barrier::broken() const {
  std::lock_guard<Condition> hold(condition_);
  return state().phase == kBroken;
}

// The action travels as where it lives in the program, like a Process target.
void Barrier::save(cereal::PortableBinaryOutputArchive& archive) const {
  std::optional<platform::CodeLocation> action;
  if (action_ != nullptr) {
    action = internal::ValueOrThrow(platform::LocateCode(reinterpret_cast<const void*>(action_)),
                                    "locating a Barrier's action");
  }
  std::optional<int64_t> timeout_ns;
  if (timeout_.has_value()) timeout_ns = absl::ToInt64Nanoseconds(*timeout_);
  archive(condition_, state_, static_cast<uint64_t>(parties_), action, timeout_ns);
}

void Barrier::load(cereal::PortableBinaryInputArchive& archive) {
  std::optional<platform::CodeLocation> action;
  std::optional<int64_t> timeout_ns;
  uint64_t parties = 0;
  condition_ = Condition::LoadFromArchive(static_cast<internal::InputArchive&>(archive));
  archive(state_, parties, action, timeout_ns);
  if (parties == 0 || parties > kMaxParties || state_.size() < StateBytes(parties)) {
    throw SerializationError("a received Barrier's state is malformed");
  }
  parties_ = static_cast<size_t>(parties);
  action_ = nullptr;
  if (action.has_value()) {
    absl::StatusOr<const void*> code = platform::ResolveCode(*action);
    if (!code.ok()) {
      throw SerializationError(absl::StrCat("a received Barrier's action cannot be found here: ",
                                            code.status().message()));
    }
    action_ = reinterpret_cast<Action>(const_cast<void*>(*code));
  }
  timeout_.reset();
  if (timeout_ns.has_value()) timeout_ = absl::Nanoseconds(*timeout_ns);
}

Barrier Barrier::LoadFromArchive(internal::InputArchive& archive) {
  Barrier barrier{Received{}};
  barrier.load(archive);
  return barrier;
}

}  // namespace multiproc
