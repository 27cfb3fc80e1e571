// Writes the seed corpora of the fuzzers: well-formed messages of each decoder, so fuzzing starts
// from the real formats. ci/fuzz.sh --write-seeds runs it; the corpora are committed.
//   seed_writer OUT_DIR   ->  OUT_DIR/<fuzzer>/<seed>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/bootstrap.h"
#include "core/serialization.h"
#include "platform/handle_passing.h"
#include "platform/pipe.h"

namespace {

namespace fs = std::filesystem;

void Write(const fs::path& directory, const std::string& name, const std::string& bytes) {
  fs::create_directories(directory);
  std::ofstream(directory / name, std::ios::binary) << bytes;
}

void WriteBootstrapSeeds(const fs::path& out) {
  multiproc::internal::BootstrapPayload payload;
  payload.invoker = {"", 4096};
  payload.target = {"/usr/lib/libexample.so", 128};
  multiproc::HandleTable handles;
  payload.arguments = multiproc::internal::Encode(handles, std::string("argument"), int64_t{42});
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
  using multiproc::internal::Encode;
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
  // What SendHandleMessage puts on the wire for a message without handles.
  absl::StatusOr<multiproc::platform::PipePair> pipe = multiproc::platform::CreateDuplexPipe();
  std::string body = "task: square(7)";
  if (!pipe.ok() ||
      !multiproc::platform::SendHandleMessage(
           pipe->first.get(), 0, {reinterpret_cast<const std::byte*>(body.data()), body.size()}, {})
           .ok()) {
    std::perror("seed_writer: handle message");
    std::exit(1);
  }
  pipe->first.reset();
  std::string wire;
  std::byte buffer[4096];
  for (;;) {
    absl::StatusOr<size_t> got = multiproc::platform::ReadSome(pipe->second.get(), buffer);
    if (!got.ok() || *got == 0) break;
    wire.append(reinterpret_cast<const char*>(buffer), *got);
  }
  Write(out / "handle_message_fuzzer", "message", wire);
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
  return 0;
}
