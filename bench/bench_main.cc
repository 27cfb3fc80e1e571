// main() of every benchmark binary: main_guard first (spawned children start here), then Google
// Benchmark. --multiproc_smoke (bench/workload.h) is taken out of the arguments before Google
// Benchmark reads them.
#include <cstring>

#include "bench/workload.h"
#include "benchmark/benchmark.h"
#include "core/main_guard.h"

int main(int argc, char** argv) {
  multiproc::main_guard(argc, argv);
  int kept = 0;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], multiproc::bench::kSmokeFlag) == 0) {
      multiproc::bench::SmokeRun() = true;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
