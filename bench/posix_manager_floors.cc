// The raw floor for manager_bench (see posix_floors.cc for why bench/ may call the OS directly):
// manager_ops/dict_set_get/floor does what one dict set+get costs at the least, two round trips
// of small messages over a Unix socketpair to a child that echoes each one, with nothing else
// (no framing, serialization, authentication or dispatch).
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "benchmark/benchmark.h"

namespace {

constexpr size_t kMessage = 48;  // about a dict set request's size

bool RoundTrip(int fd, char* buffer) {
  if (write(fd, buffer, kMessage) != static_cast<ssize_t>(kMessage)) return false;
  return read(fd, buffer, kMessage) == static_cast<ssize_t>(kMessage);
}

void DictSetGetSocketpairFloor(benchmark::State& state) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
    state.SkipWithError("socketpair failed");
    return;
  }
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    char buffer[kMessage];
    while (read(fds[1], buffer, kMessage) == static_cast<ssize_t>(kMessage)) {
      if (write(fds[1], buffer, kMessage) != static_cast<ssize_t>(kMessage)) break;
    }
    _exit(0);
  }
  close(fds[1]);
  char buffer[kMessage];
  std::memset(buffer, 'x', kMessage);
  for (auto _ : state) {
    if (!RoundTrip(fds[0], buffer) || !RoundTrip(fds[0], buffer)) {
      state.SkipWithError("the echo child failed");
      break;
    }
  }
  close(fds[0]);
  waitpid(child, nullptr, 0);
}

BENCHMARK(DictSetGetSocketpairFloor)
    ->Name("manager_ops/dict_set_get/floor")
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
