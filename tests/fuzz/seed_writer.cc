// Writes the seed corpora of the fuzzers: well-formed messages of each decoder, so fuzzing starts
// from the real formats. ci/fuzz.sh --write-seeds runs it; the corpora are committed.
//   seed_writer OUT_DIR   ->  OUT_DIR/<fuzzer>/<seed>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/authentication.h"
#include "core/bootstrap.h"
#include "core/connection.h"
#include "core/serialization.h"
#include "platform/handle_passing.h"
#include "platform/pipe.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace fs = std::filesystem;
namespace manager = multiproc::internal::manager;
using multiproc::Connection;
using multiproc::internal::Encode;
using multiproc::platform::NativeHandle;
using multiproc::platform::OwnedHandle;
using multiproc::platform::PipePair;

void Write(const fs::path& directory, const std::string& name, const std::string& bytes) {
  fs::create_directories(directory);
  std::ofstream(directory / name, std::ios::binary) << bytes;
}

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "seed_writer: %s failed\n", what);
  std::exit(1);
}

PipePair DuplexPipe() {
  absl::StatusOr<PipePair> pipe = multiproc::platform::CreateDuplexPipe();
  if (!pipe.ok()) Fail("creating a pipe");
  return std::move(*pipe);
}

// Copies what arrives at `from` to `to` (when valid) until `from` ends; returns all of it.
std::string Relay(NativeHandle from, NativeHandle to) {
  std::string copied;
  std::byte buffer[4096];
  for (;;) {
    absl::StatusOr<size_t> got = multiproc::platform::ReadSome(from, buffer);
    if (!got.ok() || *got == 0) return copied;
    copied.append(reinterpret_cast<const char*>(buffer), *got);
    if (to != multiproc::platform::kInvalidHandle &&
        !multiproc::platform::WriteAll(to, {buffer, *got}).ok()) {
      return copied;
    }
  }
}

// The bytes `send` writes into one end of a duplex pipe (it may close that end or leave it).
std::string BytesSentBy(const std::function<void(OwnedHandle&)>& send) {
  PipePair pipe = DuplexPipe();
  send(pipe.first);
  pipe.first.reset();
  return Relay(pipe.second.get(), multiproc::platform::kInvalidHandle);
}

// The bytes of the messages `send` sends on a Connection.
std::string MessagesSentBy(const std::function<void(Connection&)>& send) {
  return BytesSentBy([&send](OwnedHandle& end) {
    Connection connection = Connection::FromHandle(std::move(end), false, true);
    send(connection);
  });
}

// What each side sent in a real conversation between `listener` and `client`, each on its own
// thread and Connection, through a relay that records both directions.
struct Transcript {
  std::string from_listener;
  std::string from_client;
};

void Converse(OwnedHandle& end, const std::function<void(Connection&)>& side) {
  Connection connection = Connection::FromHandle(std::move(end), true, true);
  try {
    side(connection);
  } catch (const multiproc::AuthenticationError&) {
    // a conversation meant to fail (a wrong key) still leaves its bytes
  }
}

Transcript Record(const std::function<void(Connection&)>& listener,
                  const std::function<void(Connection&)>& client) {
  PipePair listener_pipe = DuplexPipe();
  PipePair client_pipe = DuplexPipe();
  Transcript transcript;
  std::thread to_client([&] {
    transcript.from_listener = Relay(listener_pipe.second.get(), client_pipe.second.get());
  });
  std::thread to_listener([&] {
    transcript.from_client = Relay(client_pipe.second.get(), listener_pipe.second.get());
  });
  std::thread listening([&] { Converse(listener_pipe.first, listener); });
  Converse(client_pipe.first, client);
  listening.join();
  to_client.join();
  to_listener.join();
  return transcript;
}

void WriteBootstrapSeeds(const fs::path& out) {
  multiproc::internal::BootstrapPayload payload;
  payload.invoker = {"", 4096};
  payload.target = {"/usr/lib/libexample.so", 128};
  multiproc::HandleTable handles;
  payload.arguments = Encode(handles, std::string("argument"), int64_t{42});
  payload.identity.name = "Process-1";
  payload.identity.position = {1};
  payload.identity.parent_pid = 1234;
  payload.identity.parent_name = "MainProcess";
  Write(out / "bootstrap_fuzzer", "payload", multiproc::internal::FrameBootstrap(payload, {3, 4}));
  Write(out / "bootstrap_fuzzer", "empty_payload",
        multiproc::internal::FrameBootstrap(multiproc::internal::BootstrapPayload{}, {}));
}

void WriteDecodeSeeds(const fs::path& out) {
  multiproc::HandleTable handles;
  const fs::path directory = out / "decode_fuzzer";
  Write(directory, "string_int", '\0' + Encode(handles, std::string("hello"), int64_t{7}));
  Write(directory, "strings",
        '\1' + Encode(handles, std::vector<std::string>{"a", "bc", std::string(40, 'd')}));
  Write(directory, "map",
        '\2' + Encode(handles, std::map<std::string, std::vector<int64_t>>{{"k", {1, 2, 3}}}));
  Write(directory, "variant",
        '\3' + Encode(handles, std::variant<int, std::string, double>(2.5),
                      std::optional<std::string>("x")));
  Write(directory, "nested",
        '\4' + Encode(handles, std::vector<std::vector<double>>{{1, 2}, {}}, true));
  Write(directory, "tuple",
        '\5' + Encode(handles, std::tuple<uint8_t, std::u32string>(9, U"z"),
                      std::vector<bool>{true, false}));
}

void WriteHandleMessageSeeds(const fs::path& out) {
  std::string body = "task: square(7)";
  Write(out / "handle_message_fuzzer", "message", BytesSentBy([&body](OwnedHandle& end) {
          if (!multiproc::platform::SendHandleMessage(
                   end.get(), 0, {reinterpret_cast<const std::byte*>(body.data()), body.size()}, {})
                   .ok()) {
            Fail("sending a handle message");
          }
        }));
}

// The first byte picks the connection fuzzer's limit and receive operations (see there).
void WriteConnectionSeeds(const fs::path& out) {
  const fs::path directory = out / "connection_fuzzer";
  std::string messages = MessagesSentBy([](Connection& connection) {
    connection.send(std::string("hello"));
    connection.send(std::map<std::string, std::vector<int64_t>>{{"k", {1, 2, 3}}});
    connection.send_bytes(std::string_view(""));
    connection.send_bytes(std::string(100, 'x'));
  });
  for (int choice : {1, 2, 6, 11, 19}) {
    Write(directory, "messages_" + std::to_string(choice),
          std::string(1, static_cast<char>(choice)) + messages);
  }
}

void WriteManagerProtocolSeeds(const fs::path& out) {
  using manager::Op;
  using manager::Request;
  using manager::Stored;
  using multiproc::fuzzing::EncodedRequest;
  multiproc::HandleTable handles;
  const std::string element = Encode(handles, int64_t{7});
  const std::string key = Encode(handles, std::string("key"));
  auto call = [](uint64_t id, const char* type, const char* method, std::string args) {
    return Request{.op = Op::kCall, .id = id, .type = type, .method = method, .args = args};
  };
  const uint64_t list = multiproc::fuzzing::kFuzzedList;
  const uint64_t dict = multiproc::fuzzing::kFuzzedDict;
  const uint64_t space = multiproc::fuzzing::kFuzzedNamespace;
  const char* list_type = multiproc::fuzzing::kFuzzedListType;
  const char* dict_type = multiproc::fuzzing::kFuzzedDictType;
  const char* space_type = multiproc::fuzzing::kFuzzedNamespaceType;
  const std::map<std::string, std::vector<Request>> sessions = {
      {"list",
       {call(list, list_type, "append", manager::EncodeResult(Stored{element, {}})),
        call(list, list_type, "extend",
             manager::EncodeResult(std::vector<Stored>{{element, {}}, {key, {}}})),
        call(list, list_type, "insert", manager::EncodeResult(int64_t{-1}, Stored{key, {}})),
        call(list, list_type, "get", manager::EncodeResult(int64_t{0})),
        call(list, list_type, "slice", manager::EncodeResult(int64_t{0}, int64_t{2})),
        call(list, list_type, "index", manager::EncodeResult(element)),
        call(list, list_type, "pop", manager::EncodeResult(int64_t{-1})),
        call(list, list_type, "snapshot", manager::EncodeResult())}},
      {"dict",
       {call(dict, dict_type, "set", manager::EncodeResult(key, Stored{element, {}})),
        call(dict, dict_type, "get", manager::EncodeResult(key)),
        call(dict, dict_type, "update",
             manager::EncodeResult(
                 std::vector<std::pair<std::string, Stored>>{{element, {key, {}}}})),
        call(dict, dict_type, "items", manager::EncodeResult()),
        call(dict, dict_type, "pop", manager::EncodeResult(key))}},
      {"namespace",
       {call(space, space_type, "set",
             manager::EncodeResult(std::string("x"), std::string("l"), Stored{element, {}})),
        call(space, space_type, "get", manager::EncodeResult(std::string("x"), std::string("l"))),
        call(space, space_type, "names", manager::EncodeResult()),
        call(space, space_type, "erase", manager::EncodeResult(std::string("x")))}},
      {"references",
       {// The list stores a value holding the dict; releasing the list drops that reference.
        call(list, list_type, "append", manager::EncodeResult(Stored{element, {dict}})),
        Request{.op = Op::kIncref, .id = dict}, Request{.op = Op::kDecref, .id = dict},
        Request{.op = Op::kDecref, .id = list}, Request{.op = Op::kObjectCount},
        Request{.op = Op::kCreate,
                .type = "Value<l>",
                .args = manager::EncodeResult(Stored{element, {}})}}},
      {"errors",
       {call(list, dict_type, "get", manager::EncodeResult(key)),
        call(99, list_type, "size", manager::EncodeResult()),
        call(space, space_type, "launch", manager::EncodeResult()),
        call(list, list_type, "get", manager::EncodeResult(key)),
        Request{.op = Op::kCreate, .type = "Thread"}}},
  };
  for (const auto& session : sessions) {
    const std::vector<Request>& requests = session.second;
    Write(out / "manager_protocol_fuzzer", session.first,
          MessagesSentBy([&requests](Connection& to) {
            for (const Request& request : requests) to.send_bytes(EncodedRequest(request));
          }));
  }
}

// The first byte picks the authentication fuzzer's role: even for the listener's, odd for the
// client's; the rest is what the other side sent in a real handshake.
void WriteAuthenticationSeeds(const fs::path& out) {
  auto handshake = [](std::string listener_key, std::string client_key) {
    return Record(
        [listener_key](Connection& connection) {
          multiproc::internal::DeliverChallenge(connection, listener_key);
          multiproc::internal::AnswerChallenge(connection, listener_key);
        },
        [client_key](Connection& connection) {
          multiproc::internal::AnswerChallenge(connection, client_key);
          multiproc::internal::DeliverChallenge(connection, client_key);
        });
  };
  const fs::path directory = out / "authentication_fuzzer";
  Transcript accepted = handshake("fuzzing-authkey", "fuzzing-authkey");
  Write(directory, "listener_hears_client", '\0' + accepted.from_client);
  Write(directory, "client_hears_listener", '\1' + accepted.from_listener);
  Transcript refused = handshake("fuzzing-authkey", "another-authkey");
  Write(directory, "client_hears_refusal", '\1' + refused.from_listener);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: seed_writer OUT_DIR\n");
    return 2;
  }
  WriteBootstrapSeeds(argv[1]);
  WriteDecodeSeeds(argv[1]);
  WriteHandleMessageSeeds(argv[1]);
  WriteConnectionSeeds(argv[1]);
  WriteManagerProtocolSeeds(argv[1]);
  WriteAuthenticationSeeds(argv[1]);
  return 0;
}
