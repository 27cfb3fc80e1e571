// Benchmarks whose size is an argument (items to move, increments to make) ignore
// --benchmark_min_time. The ctest smoke runs pass --multiproc_smoke, and those sizes shrink a
// hundredfold: each benchmark still runs and checks its result, at a cost that stays small
// where a round trip is dear. Under Wine a named-pipe round trip costs about 2 ms, a hundred
// times Linux's, and the full-size manager benchmarks alone took 85 s of a 120 s test limit.
#ifndef MULTIPROC_BENCH_WORKLOAD_H_
#define MULTIPROC_BENCH_WORKLOAD_H_

#include <algorithm>
#include <cstdint>

namespace multiproc::bench {

inline constexpr const char* kSmokeFlag = "--multiproc_smoke";

// Set by bench_main when the command line has kSmokeFlag.
inline bool& SmokeRun() {
  static bool smoke = false;
  return smoke;
}

// The size to run: `full`, or a hundredth of it (at least 1) in a smoke run.
inline int64_t Workload(int64_t full) {
  return SmokeRun() ? std::max<int64_t>(1, full / 100) : full;
}

}  // namespace multiproc::bench

#endif  // MULTIPROC_BENCH_WORKLOAD_H_
