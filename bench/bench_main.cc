// main() of every benchmark binary: main_guard first (spawned children start here), then Google
// Benchmark.
#include "benchmark/benchmark.h"
#include "core/main_guard.h"

int main(int argc, char** argv) {
  multiproc::main_guard(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
