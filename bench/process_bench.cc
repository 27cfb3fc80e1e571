// start_join: start a process running an empty target and join it, per start method.
// Names are workload/variant/impl, as the report expects.
#include <string>

#include "benchmark/benchmark.h"
#include "core/multiproc.h"

namespace multiproc {
namespace {

void DoNothing() {}

void StartJoin(benchmark::State& state, const std::string& method) {
  Context context = get_context(method);
  // The forkserver starts its server on first use; that one-time cost is not a start.
  if (method == "forkserver") {
    Process warm_up = context.process(DoNothing);
    warm_up.start();
    warm_up.join();
  }
  for (auto _ : state) {
    Process child = context.process(DoNothing);
    child.start();
    child.join();
    if (child.exitcode() != 0) {
      state.SkipWithError("child did not exit with 0");
      return;
    }
  }
}

int RegisterStartJoin() {
  for (const std::string& method : get_all_start_methods()) {
    benchmark::RegisterBenchmark(("start_join/" + method + "/multiproc").c_str(), StartJoin, method)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  return 0;
}

const int registered = RegisterStartJoin();

}  // namespace
}  // namespace multiproc
