// pool/apply_async_get: the round trip of one trivial task (apply_async(f).get()), beside
// pool/apply_async_get/floor: 4 bytes to a child process over a raw pipe and back.
// pool/map_chunksize_1 (10,000 items) and pool/map_default_chunksize (100,000 items): map of a
// trivial function, items per second. Every run checks its results.
#include <cstdint>
#include <numeric>
#include <vector>

#include "bench/workload.h"
#include "benchmark/benchmark.h"
#include "core/multiproc.h"
#include "platform/pipe.h"

namespace multiproc {
namespace {

int64_t Twice(int64_t x) { return 2 * x; }

void ApplyAsyncGet(benchmark::State& state) {
  Pool pool(1);
  int64_t sent = 0;
  pool.apply(Twice, sent);  // the worker is up and the function resolved before timing
  for (auto _ : state) {
    ++sent;
    if (pool.apply_async(Twice, sent).get() != 2 * sent) {
      state.SkipWithError("wrong result");
      return;
    }
  }
}

// The floor's child: echoes 8-byte messages until the parent closes the pipe.
void Echo(platform::OwnedHandle channel) {
  std::byte message[8];
  while (platform::ReadExact(channel.get(), message).ok()) {
    if (!platform::WriteAll(channel.get(), message).ok()) return;
  }
}

void PipeRoundTripFloor(benchmark::State& state) {
  absl::StatusOr<platform::PipePair> pipe = platform::CreateDuplexPipe();
  if (!pipe.ok()) {
    state.SkipWithError("cannot create a pipe");
    return;
  }
  Process child(Echo, std::move(pipe->second));
  child.start();
  int64_t sent = 0;
  for (auto _ : state) {
    ++sent;
    int64_t back = 0;
    if (!platform::WriteAll(pipe->first.get(),
                            {reinterpret_cast<const std::byte*>(&sent), sizeof(sent)})
             .ok() ||
        !platform::ReadExact(pipe->first.get(), {reinterpret_cast<std::byte*>(&back), sizeof(back)})
             .ok() ||
        back != sent) {
      state.SkipWithError("the echo child failed");
      break;
    }
  }
  pipe->first.reset();
  child.join();
}

void MapTrivial(benchmark::State& state, std::optional<size_t> chunksize) {
  const int64_t items = bench::Workload(state.range(0));
  std::vector<int64_t> inputs(static_cast<size_t>(items));
  std::iota(inputs.begin(), inputs.end(), 0);
  const int64_t expected = items * (items - 1);  // sum of 2x over 0..items-1
  Pool pool;
  pool.map(Twice, inputs, chunksize);  // warm-up: workers started, code resolved
  for (auto _ : state) {
    std::vector<int64_t> results = pool.map(Twice, inputs, chunksize);
    if (results.size() != inputs.size() ||
        std::accumulate(results.begin(), results.end(), int64_t{0}) != expected ||
        results.back() != 2 * (items - 1)) {
      state.SkipWithError("wrong results");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * items);
}

void MapChunksize1(benchmark::State& state) { MapTrivial(state, 1); }
void MapDefaultChunksize(benchmark::State& state) { MapTrivial(state, std::nullopt); }

BENCHMARK(ApplyAsyncGet)
    ->Name("pool/apply_async_get/multiproc")
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(PipeRoundTripFloor)
    ->Name("pool/apply_async_get/floor")
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(MapChunksize1)
    ->Name("pool/map_chunksize_1/multiproc")
    ->Arg(10'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(MapDefaultChunksize)
    ->Name("pool/map_default_chunksize/multiproc")
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace multiproc
