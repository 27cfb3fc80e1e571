#include "core/process.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "core/current_process.h"
#include "core/main_guard.h"
#include "core/spawner.h"
#include "core/start_method.h"
#include "core/starting_child.h"
#include "core/status_errors.h"

namespace multiproc {

namespace internal {

struct ProcessState {
  TargetRecipe recipe;
  ChildIdentity identity;
  StartMethod method = DefaultStartMethod();
  std::unique_ptr<StartedChild> child;
  std::optional<int> exitcode;
  bool closed = false;
};

}  // namespace internal

namespace {

using internal::ProcessState;

// Children started and not yet known to have ended, for active_children() and exit-time cleanup.
struct ChildRegistry {
  std::mutex mutex;
  std::vector<std::shared_ptr<ProcessState>> running;
};

ChildRegistry& Registry() {
  static ChildRegistry* registry = new ChildRegistry();  // used by the atexit handler
  return *registry;
}

void Forget(const ProcessState* state) {
  ChildRegistry& registry = Registry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  std::erase_if(registry.running, [state](const auto& entry) { return entry.get() == state; });
}

// Records the exit status if the child ended within `timeout`. True once it has ended.
bool PollExit(ProcessState& state, absl::Duration timeout) {
  if (state.exitcode.has_value()) return true;
  if (state.child == nullptr) return false;
  absl::StatusOr<std::optional<platform::ExitStatus>> status = state.child->Wait(timeout);
  internal::ThrowIfError(status.status(), absl::StrCat("waiting for ", state.identity.name));
  if (!status->has_value()) return false;
  state.exitcode = (*status)->python_exitcode();
  Forget(&state);
  return true;
}

// Python's exit function: daemon children are terminated, the others joined.
void FinalizeChildrenAtExit() {
  std::vector<std::shared_ptr<ProcessState>> running;
  {
    ChildRegistry& registry = Registry();
    std::lock_guard<std::mutex> lock(registry.mutex);
    running = registry.running;
  }
  for (const auto& state : running) {
    try {
      if (state->identity.daemon && !PollExit(*state, absl::ZeroDuration())) {
        (void)state->child->Terminate();
      }
      PollExit(*state, absl::InfiniteDuration());
    } catch (const Error&) {
      // Nothing to report to at exit.
    }
  }
}

void Register(std::shared_ptr<ProcessState> state) {
  static std::once_flag at_exit_registered;
  std::call_once(at_exit_registered, [] { std::atexit(FinalizeChildrenAtExit); });
  ChildRegistry& registry = Registry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  registry.running.push_back(std::move(state));
}

internal::BootstrapPayload MakePayload(ProcessState& state, HandleTable& handles) {
  internal::BootstrapPayload payload;
  payload.invoker = internal::ValueOrThrow(
      platform::LocateCode(reinterpret_cast<const void*>(state.recipe.invoker)),
      "locating the target's argument decoder");
  payload.target = internal::ValueOrThrow(platform::LocateCode(state.recipe.target),
                                          "locating the target function");
  {
    internal::StartingChild starting;  // a manager proxy's authkey travels only to a new child
    payload.arguments = state.recipe.encode_arguments(handles);
  }
  payload.identity = state.identity;
  payload.start_method = get_start_method();
  return payload;
}

}  // namespace

Process::Process(internal::TargetRecipe recipe) : state_(std::make_shared<ProcessState>()) {
  state_->recipe = std::move(recipe);
  state_->identity = internal::NextChildIdentity();
}

internal::ProcessState& Process::state() const {
  if (state_->closed) throw ValueError("process object is closed");
  return *state_;
}

void Process::start() {
  ProcessState& state = this->state();
  internal::RequireMainGuard();
  if (state.child != nullptr) throw ProcessError("cannot start a process twice");
  if (state.recipe.target == nullptr && !state.recipe.fork_only) {
    throw ProcessError("the process has no target");
  }
  internal::ChildRequest request;
  request.identity = state.identity;
  request.daemon = state.identity.daemon;
  if (state.recipe.target != nullptr) {
    request.payload = MakePayload(state, request.handles);
  } else {
    request.fork_only_target = state.recipe.fork_only;
  }
  absl::StatusOr<std::unique_ptr<internal::StartedChild>> child =
      internal::SpawnerFor(state.method).Start(request);
  if (absl::IsFailedPrecondition(child.status())) {
    throw SerializationError(std::string(child.status().message()));
  }
  state.child = internal::ValueOrThrow(std::move(child),
                                       absl::StrCat("starting ", state.identity.name, " with '",
                                                    StartMethodName(state.method), "'"));
  // As Python deletes _target and _args after start(): the parent must not keep open the
  // handles it passed (a pipe end held here would keep the child's reader from ever seeing EOF).
  state.recipe = internal::TargetRecipe();
  Register(state_);
}

void Process::join() { join(absl::InfiniteDuration()); }

void Process::join(absl::Duration timeout) {
  ProcessState& state = this->state();
  if (state.child == nullptr) throw ProcessError("can only join a started process");
  PollExit(state, timeout);
}

bool Process::is_alive() {
  ProcessState& state = this->state();
  return state.child != nullptr && !PollExit(state, absl::ZeroDuration());
}

void Process::terminate() {
  ProcessState& state = this->state();
  if (state.child == nullptr) return;
  internal::ThrowIfError(state.child->Terminate(), "terminate");
}

void Process::kill() {
  ProcessState& state = this->state();
  if (state.child == nullptr) return;
  internal::ThrowIfError(state.child->Kill(), "kill");
}

void Process::close() {
  if (state_->closed) return;
  if (state_->child != nullptr && !PollExit(*state_, absl::ZeroDuration())) {
    throw ValueError(
        "Cannot close a process while it is still running. You should first call join() or "
        "terminate().");
  }
  state_->child.reset();
  state_->closed = true;
}

std::optional<int> Process::exitcode() {
  ProcessState& state = this->state();
  PollExit(state, absl::ZeroDuration());
  return state.exitcode;
}

std::optional<ProcessId> Process::pid() const {
  const ProcessState& state = this->state();
  if (state.child == nullptr) return std::nullopt;
  return state.child->pid();
}

platform::NativeHandle Process::sentinel() const {
  const ProcessState& state = this->state();
  if (state.child == nullptr) throw ValueError("process not started");
  return state.child->sentinel();
}

const std::string& Process::name() const { return state().identity.name; }
void Process::set_name(std::string name) { state().identity.name = std::move(name); }
bool Process::daemon() const { return state().identity.daemon; }

void Process::set_daemon(bool daemon) {
  if (state().child != nullptr) throw ProcessError("process has already started");
  state().identity.daemon = daemon;
}

const std::string& Process::authkey() const { return state().identity.authkey; }
void Process::set_authkey(std::string authkey) { state().identity.authkey = std::move(authkey); }
StartMethod Process::start_method() const { return state().method; }

void Process::set_start_method(StartMethod method) {
  if (state().child != nullptr) throw ProcessError("process has already started");
  state().method = method;
}

std::vector<Process> active_children() {
  std::vector<std::shared_ptr<ProcessState>> running;
  {
    ChildRegistry& registry = Registry();
    std::lock_guard<std::mutex> lock(registry.mutex);
    running = registry.running;
  }
  std::vector<Process> alive;
  for (const auto& state : running) {
    if (!PollExit(*state, absl::ZeroDuration())) alive.push_back(Process(state));
  }
  return alive;
}

}  // namespace multiproc
