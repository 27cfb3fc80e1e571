#include "core/queue_holders.h"

#include "absl/time/clock.h"
#include "platform/process.h"

namespace multiproc::internal {

namespace {

int64_t NowNanos() { return absl::ToUnixNanos(absl::Now()); }

bool InFlightExpired(const QueueHolders::Entry& entry) {
  return NowNanos() - entry.in_flight_since_ns.load() >
         absl::ToInt64Nanoseconds(QueueHolders::kInFlightLifetime);
}

}  // namespace

QueueHolders::Entry* QueueHolders::Find(int64_t pid) const {
  for (Entry& entry : shared_->entries) {
    if (entry.pid.load() == pid) return &entry;
  }
  return nullptr;
}

// Entries are claimed through kBusy so that no reader sees a value whose companions (the
// in-flight time) are not written yet; `closed` is already zero in every free entry.
QueueHolders::Entry* QueueHolders::ClaimFree(int64_t value) {
  for (Entry& entry : shared_->entries) {
    int64_t expected = 0;
    if (entry.pid.load() == 0 && entry.pid.compare_exchange_strong(expected, kBusy)) {
      entry.in_flight_since_ns.store(NowNanos());
      entry.pid.store(value);
      return &entry;
    }
  }
  return nullptr;
}

void QueueHolders::ReclaimStale() {
  for (Entry& entry : shared_->entries) {
    int64_t value = entry.pid.load();
    bool stale = (value > 0 && !platform::IsProcessAlive(value)) ||
                 (value < kBusy && InFlightExpired(entry));
    if (stale && entry.pid.compare_exchange_strong(value, kBusy)) {
      entry.closed.store(0);
      entry.pid.store(0);
    }
  }
}

QueueHolders::Entry* QueueHolders::Claim(int64_t value) {
  Entry* entry = ClaimFree(value);
  if (entry == nullptr) {
    ReclaimStale();
    entry = ClaimFree(value);
  }
  if (entry == nullptr) shared_->overflowed.store(1);
  return entry;
}

void QueueHolders::RegisterCreator(int64_t pid) {
  if (Find(pid) == nullptr) Claim(pid);
}

void QueueHolders::Register(int64_t pid) {
  shared_->left_its_creator.store(1);
  RegisterCreator(pid);
}

QueueHolders::InFlight QueueHolders::BeginTransfer() {
  shared_->left_its_creator.store(1);
  // Tokens start at 2 so that -token never equals kBusy.
  uint64_t token = shared_->next_token.fetch_add(1) + 2;
  Entry* entry = Claim(-static_cast<int64_t>(token));
  if (entry == nullptr) return {};
  return {static_cast<uint32_t>(entry - shared_->entries), token};
}

void QueueHolders::CompleteTransfer(InFlight copy, int64_t pid) {
  shared_->left_its_creator.store(1);
  Entry* reserved = nullptr;
  if (copy.token != 0 && copy.index < kEntries) reserved = &shared_->entries[copy.index];
  int64_t expected = -static_cast<int64_t>(copy.token);
  if (Find(pid) != nullptr) {
    // This process holds the queue already (a copy sent to itself, or received twice).
    if (reserved != nullptr && reserved->pid.compare_exchange_strong(expected, kBusy)) {
      reserved->pid.store(0);
    }
    return;
  }
  if (reserved != nullptr && reserved->pid.compare_exchange_strong(expected, pid)) return;
  Claim(pid);  // the reservation expired and was reclaimed, or the table was full
}

void QueueHolders::MarkClosed(int64_t pid) {
  Entry* entry = Find(pid);
  if (entry == nullptr) entry = Claim(pid);
  if (entry != nullptr) entry->closed.store(1);
}

bool QueueHolders::SomeoneElseMayPut(int64_t self) const {
  if (shared_->overflowed.load() != 0 || shared_->left_its_creator.load() == 0) return true;
  for (const Entry& entry : shared_->entries) {
    int64_t value = entry.pid.load();
    if (value == 0 || value == self) continue;
    if (value == kBusy) return true;
    if (value < 0) {
      if (!InFlightExpired(entry)) return true;
      continue;
    }
    if (entry.closed.load() == 0 && platform::IsProcessAlive(value)) return true;
  }
  return false;
}

}  // namespace multiproc::internal
