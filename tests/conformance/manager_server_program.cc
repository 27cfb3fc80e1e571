// An independent program serving a SyncManager on TCP 127.0.0.1 (any free port) for the remote
// manager test: `manager_server_program <key handle> <report handle>`. It reads the authkey from
// the first handle (a pipe the test writes and closes: the key never appears on the command
// line), writes "host:port" to the second, then serves until a client asks it to shut down.
// Exit codes: 0 after a shutdown request, 2 bad arguments, 3 no key, 4 cannot report.
#include <cstdlib>
#include <string>

#include "core/multiproc.h"
#include "platform/pipe.h"

namespace {

multiproc::platform::NativeHandle ParseHandle(const char* text) {
  return static_cast<multiproc::platform::NativeHandle>(std::strtoll(text, nullptr, 10));
}

}  // namespace

int main(int argc, char** argv) {
  multiproc::main_guard(argc, argv);
  if (argc != 3) return 2;
  multiproc::platform::OwnedHandle key_pipe(ParseHandle(argv[1]));
  multiproc::platform::OwnedHandle report(ParseHandle(argv[2]));
  std::string key;
  std::byte buffer[256];
  for (;;) {
    absl::StatusOr<size_t> got = multiproc::platform::ReadSome(key_pipe.get(), buffer);
    if (!got.ok()) return 3;
    if (*got == 0) break;
    key.append(reinterpret_cast<const char*>(buffer), *got);
  }
  if (key.empty()) return 3;
  multiproc::SyncManager manager("127.0.0.1:0", key);
  manager.listen();
  const std::string& address = manager.address();
  if (!multiproc::platform::WriteAll(
           report.get(), {reinterpret_cast<const std::byte*>(address.data()), address.size()})
           .ok()) {
    return 4;
  }
  report.reset();
  manager.serve_forever();
}
