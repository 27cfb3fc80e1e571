#include "core/manager_client.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/awake_wait.h"
#include "core/current_process.h"
#include "core/listener.h"
#include "core/manager_errors.h"
#include "platform/process.h"

namespace multiproc::internal::manager {
namespace {

struct Registered {
  platform::ProcessId pid = 0;
  std::shared_ptr<ManagerClient> client;
};

// Leaked on purpose: proxies held by static objects decref while the program exits.
std::mutex& RegistryMutex() {
  static auto* mutex = new std::mutex;
  return *mutex;
}
std::map<std::string, Registered>& Registry() {
  static auto* registry = new std::map<std::string, Registered>;
  return *registry;
}

[[noreturn]] void ThrowGone(const std::string& address, const std::exception& error) {
  throw EOFError(absl::StrCat("the manager at ", address, " is gone: ", error.what()));
}

}  // namespace

std::shared_ptr<ManagerClient> ManagerClient::For(const std::string& address,
                                                  std::optional<std::string> known_authkey) {
  platform::ProcessId pid = platform::CurrentProcessId();
  std::lock_guard<std::mutex> hold(RegistryMutex());
  Registered& entry = Registry()[address];
  const std::string authkey = known_authkey             ? std::move(*known_authkey)
                              : entry.client != nullptr ? entry.client->authkey()
                                                        : current_process().authkey;
  // A fork child finds its parent's client: it makes its own, never sharing a connection.
  if (entry.client == nullptr || entry.pid != pid || entry.client->authkey() != authkey) {
    entry = {pid, std::make_shared<ManagerClient>(address, authkey)};
  }
  return entry.client;
}

ManagerClient::ManagerClient(std::string address, std::string authkey)
    : address_(std::move(address)),
      authkey_(std::move(authkey)),
      pid_(platform::CurrentProcessId()) {}

Connection ManagerClient::Connect() {
  try {
    return Client(address_, authkey_, kHandshakeTimeout);
  } catch (const AuthenticationError&) {
    throw;
  } catch (const OSError& error) {
    ThrowGone(address_, error);
  }
}

Connection ManagerClient::Take() {
  {
    std::lock_guard<std::mutex> hold(mutex_);
    platform::ProcessId pid = platform::CurrentProcessId();
    if (pid != pid_) {
      // A fork child inherited these; the parent keeps using them. Closing our copies of the
      // descriptors leaves the parent's connections open.
      idle_.clear();
      pid_ = pid;
    }
    if (!idle_.empty()) {
      Connection connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
  }
  return Connect();
}

Reply ManagerClient::Roundtrip(const Request& request) {
  Connection connection = Take();
  Reply reply;
  try {
    connection.send(request);
    PollAwakeBriefly(connection);
    reply = connection.recv<Reply>();
  } catch (const EOFError& error) {
    ThrowGone(address_, error);
  } catch (const OSError& error) {
    ThrowGone(address_, error);
  }
  std::lock_guard<std::mutex> hold(mutex_);
  idle_.push_back(std::move(connection));
  return reply;
}

std::string ManagerClient::Call(const Request& request) {
  Reply reply = Roundtrip(request);
  if (!reply.ok) ThrowReplyError(reply);
  return std::move(reply.payload);
}

void ManagerClient::Decref(const std::vector<uint64_t>& ids) noexcept {
  for (uint64_t id : ids) {
    try {
      Request request;
      request.op = Op::kDecref;
      request.id = id;
      Roundtrip(request);
    } catch (...) {
      return;  // the manager is gone, and its objects with it
    }
  }
}

void ThrowReplyError(const Reply& reply) {
  const std::string& type = reply.error_type;
  const std::string& message = reply.message;
  if (type == "KeyError") throw KeyError(message);
  if (type == "IndexError") throw IndexError(message);
  if (type == "AttributeError") throw AttributeError(message);
  if (type == "TypeError") throw TypeError(message);
  if (type == "Empty") throw Empty(message);
  if (type == "Full") throw Full(message);
  if (type == "ValueError") throw ValueError(message);
  if (type == "AssertionError") throw AssertionError(message);
  if (type == "BrokenBarrierError") throw BrokenBarrierError(message);
  if (type == "TimeoutError") throw TimeoutError(message);
  throw RemoteError(message);
}

}  // namespace multiproc::internal::manager
