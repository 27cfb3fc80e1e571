// The raw floors for manager_bench (see posix_floors.cc for why bench/ may call the OS directly):
// what a proxy operation costs at the least, round trips of small messages over a Unix socketpair
// to a child that echoes each one, with nothing else (no framing, serialization, authentication
// or dispatch). manager_ops/dict_set_get/floor: two round trips (a set and a get);
// manager_ops/list_append/floor: one.
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

void SocketpairRoundTripsFloor(benchmark::State& state, int round_trips) {
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
    for (int i = 0; i < round_trips; ++i) {
      if (!RoundTrip(fds[0], buffer)) {
        state.SkipWithError("the echo child failed");
        break;
      }
    }
  }
  close(fds[0]);
  waitpid(child, nullptr, 0);
}

BENCHMARK_CAPTURE(SocketpairRoundTripsFloor, two, 2)
    ->Name("manager_ops/dict_set_get/floor")
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(SocketpairRoundTripsFloor, one, 1)
    ->Name("manager_ops/list_append/floor")
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
