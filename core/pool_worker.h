// The body of a Pool worker process: run the initializer once, tell the pool it is ready, then
// take chunks of tasks from the pool's channel and answer each chunk before starting the next
// (so when a worker dies, the pool knows exactly which chunk it was running). A worker ends when
// the pool says stop or goes away, or after maxtasksperchild items.
//
// A worker is an ordinary Process whose target is PoolWorkerMain<R, P...>, instantiated for the
// initializer's signature: the initializer's arguments travel as that Process's arguments, so a
// Lock or a Value given as initargs reaches every worker under every start method (seed 002).
#ifndef MULTIPROC_CORE_POOL_WORKER_H_
#define MULTIPROC_CORE_POOL_WORKER_H_

#include <type_traits>
#include <utility>

#include "absl/functional/function_ref.h"
#include "core/pool_protocol.h"
#include "platform/code_location.h"
#include "platform/handle.h"

namespace multiproc::internal {

// Resolves `location` in this process; BootstrapError if it cannot.
const void* ResolveCodeOrThrow(const platform::CodeLocation& location);

// Runs the worker until it should end. `initialize` runs first; if it throws, the pool is told
// and the worker ends.
void RunWorkerLoop(platform::NativeHandle channel, const WorkerConfig& config,
                   absl::FunctionRef<void()> initialize);

template <typename R, typename... P>
void PoolWorkerMain(platform::OwnedHandle channel, WorkerConfig config,
                    std::decay_t<P>... initargs) {
  RunWorkerLoop(channel.get(), config, [&] {
    if (!config.initializer.has_value()) return;
    auto initializer =
        reinterpret_cast<R (*)(P...)>(const_cast<void*>(ResolveCodeOrThrow(*config.initializer)));
    initializer(std::forward<P>(initargs)...);
  });
}

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_POOL_WORKER_H_
