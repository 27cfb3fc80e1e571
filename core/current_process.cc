#include "core/current_process.h"

#include <array>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_errors.h"
#include "platform/crypto.h"

namespace multiproc {

namespace {

constexpr size_t kAuthkeyBytes = 32;

struct SelfState {
  std::mutex mutex;
  std::optional<internal::ChildIdentity> identity;  // set in children; lazily in the main process
  int children_started = 0;
};

SelfState& Self() {
  static SelfState* state = new SelfState();  // never destroyed: children may exit at any time
  return *state;
}

std::string RandomAuthkey() {
  std::array<std::byte, kAuthkeyBytes> key;
  internal::ThrowIfError(platform::FillRandom(absl::MakeSpan(key)), "making the authkey");
  return std::string(reinterpret_cast<const char*>(key.data()), key.size());
}

// The main process's identity, made on first use. Caller holds the mutex.
internal::ChildIdentity& IdentityLocked(SelfState& self) {
  if (!self.identity.has_value()) {
    self.identity = internal::ChildIdentity{"MainProcess", {}, RandomAuthkey(), false, 0, ""};
  }
  return *self.identity;
}

}  // namespace

ProcessInfo current_process() {
  SelfState& self = Self();
  std::lock_guard<std::mutex> lock(self.mutex);
  const internal::ChildIdentity& identity = IdentityLocked(self);
  return ProcessInfo{identity.name, platform::CurrentProcessId(), identity.authkey,
                     identity.daemon};
}

std::optional<ParentProcessInfo> parent_process() {
  SelfState& self = Self();
  std::lock_guard<std::mutex> lock(self.mutex);
  const internal::ChildIdentity& identity = IdentityLocked(self);
  if (identity.parent_pid == 0) return std::nullopt;
  return ParentProcessInfo{identity.parent_name, identity.parent_pid};
}

int cpu_count() {
  unsigned count = std::thread::hardware_concurrency();
  return count == 0 ? 1 : static_cast<int>(count);
}

namespace internal {

ChildIdentity NextChildIdentity() {
  SelfState& self = Self();
  std::lock_guard<std::mutex> lock(self.mutex);
  const ChildIdentity& parent = IdentityLocked(self);
  ChildIdentity child;
  child.position = parent.position;
  child.position.push_back(++self.children_started);
  child.name = absl::StrCat("Process-", absl::StrJoin(child.position, ":"));
  child.authkey = parent.authkey;
  child.daemon = parent.daemon;  // as Python: a process made inside a daemon is a daemon too
  child.parent_pid = platform::CurrentProcessId();
  child.parent_name = parent.name;
  return child;
}

void AdoptIdentity(const ChildIdentity& identity) {
  SelfState& self = Self();
  std::lock_guard<std::mutex> lock(self.mutex);
  self.identity = identity;
  self.children_started = 0;
}

}  // namespace internal
}  // namespace multiproc
