// One side of a remote manager conversation between two independently started programs, possibly
// built for different systems (a Linux program and a Windows one under Wine, as two hosts would
// be): the wire format, the authentication and the proxies must not depend on the platform.
//
//   remote_manager_peer serve            serves a SyncManager on 127.0.0.1 (a free port), prints
//                                        its address on the first line of stdout, and serves
//                                        until a client asks it to shut down
//   remote_manager_peer client ADDRESS   checks that a wrong key is refused, uses a dict, a list,
//                                        a Namespace, a Queue and a Lock on the server at
//                                        ADDRESS, then shuts the server down
//
// Both read the authkey from the first line of stdin, never from the command line. Exit codes:
// 0 success, 1 a check failed (the reason on stderr), 2 bad arguments.
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "core/multiproc.h"

namespace {

int Fail(const std::string& reason) {
  std::cerr << "remote_manager_peer: " << reason << std::endl;
  return 1;
}

int Serve(const std::string& key) {
  multiproc::SyncManager manager("127.0.0.1:0", key);
  manager.listen();
  std::cout << manager.address() << std::endl;
  manager.serve_forever();
}

int UseObjects(multiproc::SyncManager& manager) {
  auto dict = manager.dict<std::string, int64_t>();
  dict.set("answer", 42);
  auto list = manager.list<std::string>({"first"});
  list.append("second");
  auto names = manager.Namespace();
  names.set("ratio", 3.25);
  auto queue = manager.Queue<std::string>();
  queue.put("through the queue");
  auto lock = manager.Lock();
  if (!lock.acquire(true, absl::Seconds(5))) return Fail("the Lock was not acquired");
  lock.release();
  if (dict.get("answer") != 42) return Fail("the dict lost its value");
  if (list.snapshot() != std::vector<std::string>{"first", "second"}) {
    return Fail("the list does not hold what was appended");
  }
  if (names.get<double>("ratio") != 3.25) return Fail("the Namespace lost its attribute");
  if (queue.get(true, absl::Seconds(5)) != "through the queue")
    return Fail("the Queue lost its item");
  return 0;
}

int Client(const std::string& address, const std::string& key) {
  try {
    multiproc::SyncManager intruder(address, key + " but wrong");
    intruder.connect();
    return Fail("a wrong authkey was accepted");
  } catch (const multiproc::AuthenticationError&) {
  }
  multiproc::SyncManager manager(address, key);
  manager.connect();
  if (int failed = UseObjects(manager); failed != 0) return failed;
  manager.shutdown();
  std::cout << "ok" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  multiproc::main_guard(argc, argv);
  std::string key;
  std::getline(std::cin, key);
  if (key.empty()) return Fail("no authkey on stdin");
  std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "serve" && argc == 2) return Serve(key);
    if (mode == "client" && argc == 3) return Client(argv[2], key);
  } catch (const std::exception& error) {
    return Fail(error.what());
  }
  std::cerr << "usage: remote_manager_peer serve | client ADDRESS (authkey on stdin)" << std::endl;
  return 2;
}
