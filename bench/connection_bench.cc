// Pipe/Connection speed against raw socketpair floors (posix_connection_floors.cc) in one run.
// pipe_pingpong/64B: a 64-byte message to a child and back, time per round trip.
// pipe_throughput/{1MiB,64B}: a stream of messages to a child; bytes per second. The child
// checks every message's size and sequence mark and reports its counts, which must match.
// 1MiB/multiproc receives with recv_bytes_into (as the floor, into one buffer);
// 1MiB/multiproc_recv_bytes with recv_bytes, paying for a new zero-filled string per message.
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/multiproc.h"

namespace multiproc {
namespace {

// The sequence mark a message carries in its first byte.
char Mark(uint64_t sequence) { return static_cast<char>(sequence & 0x7f); }

void EchoUntilQuit(Connection conn) {
  for (std::string message = conn.recv_bytes(); message != "quit"; message = conn.recv_bytes()) {
    conn.send_bytes(message);
  }
}

void PipePingpong64B(benchmark::State& state) {
  auto [mine, theirs] = Pipe();
  Process child(EchoUntilQuit, theirs);
  child.start();
  theirs.close();
  std::string message(64, 'p');
  uint64_t sequence = 0;
  bool intact = true;
  for (auto _ : state) {
    message[0] = Mark(++sequence);
    mine.send_bytes(message);
    std::string echoed = mine.recv_bytes();
    intact = intact && echoed.size() == 64 && echoed[0] == message[0];
  }
  mine.send_bytes("quit");
  child.join();
  if (!intact || child.exitcode() != 0) state.SkipWithError("a wrong echo");
}

// Counts messages until an empty one, checking sizes and marks; reports (count, bytes, intact).
// Each message is a new string, as Python's recv_bytes returns new bytes.
void CountMessages(Connection conn, uint64_t size) {
  uint64_t count = 0, bytes = 0;
  bool intact = true;
  for (std::string message = conn.recv_bytes(); !message.empty(); message = conn.recv_bytes()) {
    intact = intact && message.size() == size && message[0] == Mark(++count);
    bytes += message.size();
  }
  conn.send(std::make_tuple(count, bytes, intact));
}

// The same into one reused buffer (recv_bytes_into): no allocation, no zero-filling per message,
// like the floor's reader. For large messages this is the fast way to receive.
void CountMessagesInto(Connection conn, uint64_t size) {
  uint64_t count = 0, bytes = 0;
  bool intact = true;
  std::vector<std::byte> buffer(size);
  for (size_t got = conn.recv_bytes_into(buffer); got != 0; got = conn.recv_bytes_into(buffer)) {
    intact = intact && got == size && static_cast<char>(buffer[0]) == Mark(++count);
    bytes += got;
  }
  conn.send(std::make_tuple(count, bytes, intact));
}

template <void (*kReceiver)(Connection, uint64_t)>
void PipeThroughput(benchmark::State& state) {
  const uint64_t size = static_cast<uint64_t>(state.range(0));
  auto [mine, theirs] = Pipe();
  Process child(kReceiver, theirs, size);
  child.start();
  theirs.close();
  std::string message(size, 't');
  uint64_t sent = 0;
  for (auto _ : state) {
    message[0] = Mark(++sent);
    mine.send_bytes(message);
  }
  mine.send_bytes("");
  auto [count, bytes, intact] = mine.recv<std::tuple<uint64_t, uint64_t, bool>>();
  child.join();
  if (!intact || count != sent || bytes != sent * size) {
    state.SkipWithError("the child did not receive every message intact");
  }
  state.SetBytesProcessed(static_cast<int64_t>(sent * size));
}

BENCHMARK(PipePingpong64B)
    ->Name("pipe_pingpong/64B/multiproc")
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(PipeThroughput<CountMessagesInto>)
    ->Name("pipe_throughput/1MiB/multiproc")
    ->Arg(1 << 20)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(PipeThroughput<CountMessages>)
    ->Name("pipe_throughput/1MiB/multiproc_recv_bytes")
    ->Arg(1 << 20)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(PipeThroughput<CountMessages>)
    ->Name("pipe_throughput/64B/multiproc")
    ->Arg(64)
    ->UseRealTime()
    ->Unit(benchmark::kNanosecond);

}  // namespace
}  // namespace multiproc
