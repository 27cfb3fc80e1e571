#include "core/proxy.h"

#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "platform/process.h"

namespace multiproc {
namespace internal::manager {

HeldCollector*& CurrentHeldCollector() {
  thread_local HeldCollector* collector = nullptr;
  return collector;
}

std::string ThreadToken() {
  return absl::StrCat(platform::CurrentProcessId(), ":",
                      std::hash<std::thread::id>()(std::this_thread::get_id()));
}

}  // namespace internal::manager

BaseProxy::State::~State() {
  if (pid == platform::CurrentProcessId()) client->Decref({id});
}

BaseProxy::BaseProxy(std::shared_ptr<internal::manager::ManagerClient> client, uint64_t id,
                     std::string type)
    : state_(MakeState(std::move(client), id, std::move(type))) {}

// Built in place: State's destructor drops the reference, so it is never copied or moved.
std::shared_ptr<BaseProxy::State> BaseProxy::MakeState(
    std::shared_ptr<internal::manager::ManagerClient> client, uint64_t id, std::string type) {
  auto state = std::make_shared<State>();
  state->client = std::move(client);
  state->id = id;
  state->type = std::move(type);
  state->pid = platform::CurrentProcessId();
  return state;
}

const BaseProxy::State& BaseProxy::state() const {
  if (state_ == nullptr) throw ValueError("the proxy refers to no managed object");
  return *state_;
}

void BaseProxy::Arrive(std::string address, std::string authkey, uint64_t id, std::string type) {
  auto client = internal::manager::ManagerClient::For(
      address, authkey.empty() ? std::nullopt : std::optional<std::string>(std::move(authkey)));
  internal::manager::Request request;
  request.op = internal::manager::Op::kIncref;
  request.id = id;
  client->Call(request);
  state_ = MakeState(std::move(client), id, std::move(type));
}

internal::manager::Reply BaseProxy::InvokeEncoded(const char* method, std::string args) const {
  const State& s = state();
  internal::manager::Request request;
  request.op = internal::manager::Op::kCall;
  request.id = s.id;
  request.type = s.type;
  request.method = method;
  request.args = std::move(args);
  internal::manager::Reply reply = s.client->Roundtrip(request);
  if (!reply.ok) internal::manager::ThrowReplyError(reply);
  return reply;
}

}  // namespace multiproc
