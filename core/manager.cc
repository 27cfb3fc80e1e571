#include "core/manager.h"

#include <cstddef>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/context.h"
#include "core/current_process.h"
#include "core/listener.h"
#include "core/manager_server.h"
#include "core/process.h"
#include "core/status_errors.h"
#include "platform/code_location.h"
#include "platform/listener.h"

namespace multiproc {
namespace {

using internal::ValueOrThrow;

// How long start() waits for the server to listen (a spawned child starts in well under this).
constexpr absl::Duration kStartTimeout = absl::Seconds(60);
// How long shutdown() waits for a started server to exit before terminating it.
constexpr absl::Duration kExitTimeout = absl::Seconds(5);

ManagerTypes TypesOf(const std::vector<RegisterTypes>& registrations) {
  ManagerTypes types;
  internal::manager::AddBuiltinTypes(types);
  for (RegisterTypes registration : registrations) registration(types);
  return types;
}

// The server process: listens (reporting the address to the parent), then serves.
void RunServer(Connection report, std::string address, std::string authkey,
               std::vector<platform::CodeLocation> registrations) {
  std::vector<RegisterTypes> resolved;
  for (const platform::CodeLocation& location : registrations) {
    const void* code = ValueOrThrow(platform::ResolveCode(location), "manager type registration");
    resolved.push_back(reinterpret_cast<RegisterTypes>(const_cast<void*>(code)));
  }
  internal::manager::Server server(TypesOf(resolved));
  Listener listener(std::move(address), std::move(authkey));
  report.send(listener.address());
  report.close();
  server.ServeForever(listener);
}

}  // namespace

struct BaseManager::State {
  std::string address;
  std::string authkey;
  std::string start_method;
  std::vector<RegisterTypes> registrations;
  std::optional<Process> server;     // when started here
  std::optional<Listener> listener;  // when serving here
  std::shared_ptr<internal::manager::ManagerClient> client;
};

BaseManager::BaseManager(std::string address, std::optional<std::string> authkey,
                         std::string start_method)
    : state_(std::make_unique<State>()) {
  state_->address = std::move(address);
  state_->authkey = authkey ? std::move(*authkey) : current_process().authkey;
  state_->start_method = std::move(start_method);
}

BaseManager::BaseManager(BaseManager&&) noexcept = default;
BaseManager& BaseManager::operator=(BaseManager&& other) noexcept {
  if (this != &other) {
    if (state_ != nullptr && state_->server) {
      try {
        shutdown();
      } catch (...) {
      }
    }
    state_ = std::move(other.state_);
  }
  return *this;
}

BaseManager::~BaseManager() {
  if (state_ != nullptr && state_->server) {
    try {
      shutdown();
    } catch (...) {
    }
  }
}

void BaseManager::register_types(RegisterTypes registration) {
  state_->registrations.push_back(registration);
}

void BaseManager::start() {
  State& s = *state_;
  if (s.server || s.client) throw ProcessError("the manager is already started or connected");
  std::vector<platform::CodeLocation> registrations;
  for (RegisterTypes registration : s.registrations) {
    registrations.push_back(ValueOrThrow(
        platform::LocateCode(reinterpret_cast<const void*>(registration)), "manager types"));
  }
  auto [reader, writer] = Pipe(false);
  Process server =
      get_context(s.start_method).process(&RunServer, writer, s.address, s.authkey, registrations);
  server.set_daemon(true);  // never outlives the program that started it
  server.set_name("SyncManager");
  server.start();
  writer.close();
  std::string address;
  try {
    if (!reader.poll(kStartTimeout)) throw TimeoutError("the manager server did not start");
    address = reader.recv<std::string>();
  } catch (const Error& error) {
    server.terminate();
    server.join();
    throw ProcessError(absl::StrCat("the manager server could not start: ", error.what()));
  }
  s.address = std::move(address);
  s.server = std::move(server);
  s.client = internal::manager::ManagerClient::For(s.address, s.authkey);
}

void BaseManager::connect() {
  State& s = *state_;
  auto client = internal::manager::ManagerClient::For(s.address, s.authkey);
  internal::manager::Request request;
  request.op = internal::manager::Op::kObjectCount;  // proves the server is there and the key
  client->Call(request);
  s.client = std::move(client);
}

void BaseManager::shutdown() {
  State& s = *state_;
  if (s.client != nullptr) {
    internal::manager::Request request;
    request.op = internal::manager::Op::kShutdown;
    try {
      s.client->Roundtrip(request);
    } catch (const Error&) {
      // already gone
    }
    s.client.reset();
  }
  if (s.server) {
    s.server->join(kExitTimeout);
    if (!s.server->exitcode()) {
      s.server->terminate();
      s.server->join();
    }
    // A server that was killed could not remove its socket; it is gone now, so we do.
    platform::RemoveAbandonedAddress(s.address);
    s.server.reset();
  }
}

void BaseManager::listen() {
  State& s = *state_;
  if (!s.listener) {
    s.listener.emplace(s.address, s.authkey);
    s.address = s.listener->address();
  }
}

void BaseManager::serve_forever() {
  listen();
  internal::manager::Server server(TypesOf(state_->registrations));
  server.ServeForever(*state_->listener);
}

const std::string& BaseManager::address() const { return state_->address; }
const std::string& BaseManager::authkey() const { return state_->authkey; }
std::optional<Process> BaseManager::process() const { return state_->server; }

internal::manager::ManagerClient& BaseManager::client() const { return *client_shared(); }

std::shared_ptr<internal::manager::ManagerClient> BaseManager::client_shared() const {
  if (state_ == nullptr || state_->client == nullptr) {
    throw ProcessError("the manager is not started or connected (or was shut down)");
  }
  return state_->client;
}

size_t BaseManager::object_count() {
  internal::manager::Request request;
  request.op = internal::manager::Op::kObjectCount;
  return internal::manager::Load<uint64_t>(client().Call(request));
}

SyncManager Manager(std::string start_method) {
  SyncManager manager("", std::nullopt, std::move(start_method));
  manager.start();
  return manager;
}

}  // namespace multiproc
