#include "core/manager_server.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <system_error>
#include <thread>
#include <typeinfo>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/awake_wait.h"
#include "core/manager_errors.h"
#include "core/managers/builtin_referents.h"
#include "core/type_name.h"
#include "platform/listener.h"

namespace multiproc::internal::manager {
namespace {

// More concurrent clients than this are turned away at once (a flood of connections must not
// exhaust the server's threads).
constexpr int kMaxClients = 512;

Reply Error(std::string type, std::string message) {
  Reply reply;
  reply.ok = false;
  reply.error_type = std::move(type);
  reply.message = std::move(message);
  return reply;
}

// The current exception as a reply: the types a proxy re-raises as themselves keep their name;
// undecodable arguments are a TypeError; anything else is a RemoteError naming its type.
Reply CurrentErrorReply() {
  try {
    throw;
  } catch (const KeyError& e) {
    return Error("KeyError", e.what());
  } catch (const IndexError& e) {
    return Error("IndexError", e.what());
  } catch (const AttributeError& e) {
    return Error("AttributeError", e.what());
  } catch (const TypeError& e) {
    return Error("TypeError", e.what());
  } catch (const SerializationError& e) {
    return Error("TypeError", absl::StrCat("arguments of the wrong types: ", e.what()));
  } catch (const Empty& e) {
    return Error("Empty", e.what());
  } catch (const Full& e) {
    return Error("Full", e.what());
  } catch (const ValueError& e) {
    return Error("ValueError", e.what());
  } catch (const AssertionError& e) {
    return Error("AssertionError", e.what());
  } catch (const BrokenBarrierError& e) {
    return Error("BrokenBarrierError", e.what());
  } catch (const TimeoutError& e) {
    return Error("TimeoutError", e.what());
  } catch (const RemoteError& e) {
    return Error("RemoteError", e.what());
  } catch (const std::exception& e) {
    return Error("RemoteError", absl::StrCat(PortableClassName(typeid(e)), ": ", e.what()));
  } catch (...) {
    return Error("RemoteError", "an exception of unknown type");
  }
}

}  // namespace

void AddBuiltinTypes(ManagerTypes& types) {
  AddContainerTypes(types);
  AddSyncTypes(types);
  AddQueueTypes(types);
}

class Server::Context : public CallContext {
 public:
  Context(Server& server, uint64_t client) : server_(server), client_(client) {}
  ~Context() override {
    if (!dropped_.empty()) server_.Decref(std::move(dropped_));
  }
  uint64_t client() const override { return client_; }
  void Adopt(const Stored& value) override {
    for (size_t i = 0; i < value.held.size(); ++i) {
      try {
        server_.Incref(value.held[i]);
      } catch (...) {
        server_.Decref({value.held.begin(), value.held.begin() + static_cast<ptrdiff_t>(i)});
        throw;
      }
    }
  }
  void Drop(const Stored& value) override {
    dropped_.insert(dropped_.end(), value.held.begin(), value.held.end());
  }
  void Transfer(const Stored& value) override {
    transferred_.insert(transferred_.end(), value.held.begin(), value.held.end());
  }
  std::vector<uint64_t>& transferred() { return transferred_; }

 private:
  Server& server_;
  uint64_t client_;
  std::vector<uint64_t> dropped_;
  std::vector<uint64_t> transferred_;
};

std::shared_ptr<Referent> Server::Find(uint64_t id, const std::string& type) {
  std::lock_guard<std::mutex> hold(mutex_);
  auto found = objects_.find(id);
  if (found == objects_.end()) throw KeyError(absl::StrCat("no managed object has id ", id));
  if (found->second.type != type) {
    throw TypeError(
        absl::StrCat("object ", id, " is a '", found->second.type, "', not a '", type, "'"));
  }
  return found->second.referent;
}

void Server::Incref(uint64_t id) {
  std::lock_guard<std::mutex> hold(mutex_);
  auto found = objects_.find(id);
  if (found == objects_.end()) throw KeyError(absl::StrCat("no managed object has id ", id));
  ++found->second.refs;
}

void Server::Decref(std::vector<uint64_t> ids) {
  // Releasing an object drops the references its stored values held: a work list, not recursion,
  // so deeply nested proxies cannot overflow the stack. Referents are destroyed outside the lock.
  while (!ids.empty()) {
    uint64_t id = ids.back();
    ids.pop_back();
    std::shared_ptr<Referent> released;
    {
      std::lock_guard<std::mutex> hold(mutex_);
      auto found = objects_.find(id);
      if (found == objects_.end() || --found->second.refs > 0) continue;
      released = std::move(found->second.referent);
      objects_.erase(found);
    }
    for (Stored& value : released->TakeStored()) {
      ids.insert(ids.end(), value.held.begin(), value.held.end());
    }
  }
}

size_t Server::object_count() {
  std::lock_guard<std::mutex> hold(mutex_);
  return objects_.size();
}

void Server::ClientGone(uint64_t client) {
  std::vector<std::shared_ptr<Referent>> referents;
  {
    std::lock_guard<std::mutex> hold(mutex_);
    for (auto& [id, entry] : objects_) referents.push_back(entry.referent);
  }
  for (auto& referent : referents) referent->ClientGone(client);
}

Reply Server::Handle(const Request& request, uint64_t client) {
  try {
    switch (request.op) {
      case Op::kCall: {
        std::shared_ptr<Referent> referent = Find(request.id, request.type);
        Context context(*this, client);
        Reply reply;
        reply.payload = referent->Call(context, request.method, request.args);
        reply.transferred = std::move(context.transferred());
        return reply;
      }
      case Op::kCreate: {
        const Factory* factory = types_.find(request.type);
        if (factory == nullptr) {
          throw RemoteError(absl::StrCat("no type named '", request.type, "' is registered"));
        }
        std::shared_ptr<Referent> referent = (*factory)(request.type, request.args);
        std::lock_guard<std::mutex> hold(mutex_);
        uint64_t id = next_id_++;
        objects_[id] = Entry{std::move(referent), request.type, 1};
        Reply reply;
        reply.payload = EncodeResult(id);
        return reply;
      }
      case Op::kIncref:
        Incref(request.id);
        return Reply();
      case Op::kDecref:
        Decref({request.id});
        return Reply();
      case Op::kObjectCount: {
        Reply reply;
        reply.payload = EncodeResult(static_cast<uint64_t>(object_count()));
        return reply;
      }
      case Op::kShutdown:
        return Reply();
    }
    throw RemoteError(absl::StrCat("unknown request kind ", static_cast<int>(request.op)));
  } catch (...) {
    return CurrentErrorReply();
  }
}

Server::Answer Server::Respond(const std::string& message, uint64_t client) {
  Request request;
  try {
    HandleTable no_handles;
    Decode(message, no_handles, request);
  } catch (const SerializationError& error) {
    return {Error("RemoteError", absl::StrCat("malformed request: ", error.what()))};
  }
  return {Handle(request, client), request.op == Op::kShutdown};
}

void Server::Serve(Connection connection, uint64_t client) {
  connection.set_max_message_size(kMaxRequestSize);
  for (;;) {
    try {
      PollAwakeBriefly(connection);
      Answer answer = Respond(connection.recv_bytes(), client);
      connection.send(answer.reply);
      if (answer.shutdown) {
        // Removes the socket file and its directory, but leaves the listening handle alone: the
        // main thread is blocked in accept() on it (closing it here was a data race). The
        // process ends at once, which closes it.
        if (listener_ != nullptr) platform::RemoveAbandonedAddress(listener_->address());
        std::fflush(nullptr);
        std::_Exit(0);
      }
    } catch (const std::exception&) {
      break;  // the client went away (also mid-request) or sent a frame too large to read
    }
  }
  connection.close();
  ClientGone(client);
  --clients_;
}

void Server::ServeForever(Listener& listener) {
  listener_ = &listener;
  for (uint64_t client = 1;; ++client) {
    Connection connection;
    try {
      connection = listener.accept_unauthenticated();
    } catch (const OSError&) {
      // Out of descriptors, say: wait a little rather than spin, then keep serving.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (clients_.fetch_add(1) >= kMaxClients) {
      --clients_;
      connection.close();
      continue;
    }
    try {
      std::thread([this, connection = std::move(connection), client]() mutable {
        if (Admitted(connection)) {
          Serve(std::move(connection), client);
        } else {
          --clients_;
        }
      }).detach();
    } catch (const std::system_error&) {
      --clients_;  // no thread to be had: this client is dropped, the server serves on
    }
  }
}

// The handshake runs on the client's own thread, as CPython's manager does it: whatever a peer
// does there (connect and close, stall, send half a frame or garbage, die mid-handshake) costs
// that thread and that connection only, never the accept loop or the server.
bool Server::Admitted(Connection& connection) const {
  try {
    listener_->authenticate(connection, kHandshakeTimeout);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace multiproc::internal::manager
