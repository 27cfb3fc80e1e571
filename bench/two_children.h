// The shared_counter benchmarks' timing: two children contending on one counter, timed from the
// first start to the last join.
#ifndef MULTIPROC_BENCH_TWO_CHILDREN_H_
#define MULTIPROC_BENCH_TWO_CHILDREN_H_

#include <chrono>

#include "core/multiproc.h"

namespace multiproc::bench {

// Runs `target(arguments...)` in two children of `context` at once; the wall time in seconds.
template <typename Target, typename... Arguments>
double SecondsForTwoChildren(Context& context, Target target, const Arguments&... arguments) {
  auto began = std::chrono::steady_clock::now();
  Process first = context.process(target, arguments...);
  Process second = context.process(target, arguments...);
  first.start();
  second.start();
  first.join();
  second.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
}

}  // namespace multiproc::bench

#endif  // MULTIPROC_BENCH_TWO_CHILDREN_H_
