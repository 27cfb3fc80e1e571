// Raw floors for connection_bench on bare POSIX calls (see posix_floors.cc for why bench/ may
// call the OS directly): a forked child on the other end of a socketpair, no framing.
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "benchmark/benchmark.h"

namespace {

// Repeats read(2) or write(2) until `size` bytes moved; false at end of stream or on error.
template <typename Byte, typename Transfer>
bool Fully(Transfer transfer, int descriptor, Byte* data, size_t size) {
  while (size > 0) {
    ssize_t moved = transfer(descriptor, data, size);
    if (moved <= 0) return false;
    data += moved;
    size -= static_cast<size_t>(moved);
  }
  return true;
}

bool ReadFully(int descriptor, char* data, size_t size) {
  return Fully(read, descriptor, data, size);
}

bool WriteFully(int descriptor, const char* data, size_t size) {
  return Fully(write, descriptor, data, size);
}

// A socketpair and a forked child running `child_body` on its end; the parent keeps the other.
template <typename ChildBody>
pid_t ForkWithSocketpair(int& parent_end, ChildBody child_body) {
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, ends) < 0) return -1;
  pid_t child = fork();
  if (child == 0) {
    close(ends[0]);
    child_body(ends[1]);
    _exit(0);
  }
  close(ends[1]);
  parent_end = ends[0];
  return child;
}

void PipePingpongFloor(benchmark::State& state) {
  int socket = -1;
  pid_t child = ForkWithSocketpair(socket, [](int end) {
    char buffer[64];
    while (ReadFully(end, buffer, sizeof(buffer)) && WriteFully(end, buffer, sizeof(buffer))) {
    }
  });
  char message[64] = {};
  char echoed[64];
  bool intact = child > 0;
  uint64_t sequence = 0;
  for (auto _ : state) {
    message[0] = static_cast<char>(++sequence & 0x7f);
    intact = intact && WriteFully(socket, message, 64) && ReadFully(socket, echoed, 64) &&
             echoed[0] == message[0];
  }
  close(socket);
  waitpid(child, nullptr, 0);
  if (!intact) state.SkipWithError("a wrong echo");
}

// The child reads everything into a buffer of the message size and reports the byte count.
void PipeThroughputFloor(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  int socket = -1;
  pid_t child = ForkWithSocketpair(socket, [size](int end) {
    std::vector<char> buffer(std::max<size_t>(size, 64 * 1024));
    uint64_t total = 0;
    for (ssize_t got; (got = read(end, buffer.data(), buffer.size())) > 0;) total += got;
    WriteFully(end, reinterpret_cast<const char*>(&total), sizeof(total));
  });
  std::vector<char> message(size, 't');
  uint64_t sent = 0;
  bool intact = child > 0;
  for (auto _ : state) {
    message[0] = static_cast<char>(++sent & 0x7f);
    intact = intact && WriteFully(socket, message.data(), size);
  }
  shutdown(socket, SHUT_WR);
  uint64_t received = 0;
  intact = intact && ReadFully(socket, reinterpret_cast<char*>(&received), sizeof(received)) &&
           received == sent * size;
  close(socket);
  waitpid(child, nullptr, 0);
  if (!intact) state.SkipWithError("the child did not receive every byte");
  state.SetBytesProcessed(static_cast<int64_t>(sent * size));
}

BENCHMARK(PipePingpongFloor)
    ->Name("pipe_pingpong/64B/floor")
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(PipeThroughputFloor)
    ->Name("pipe_throughput/1MiB/floor")
    ->Arg(1 << 20)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(PipeThroughputFloor)
    ->Name("pipe_throughput/64B/floor")
    ->Arg(64)
    ->UseRealTime()
    ->Unit(benchmark::kNanosecond);

}  // namespace
