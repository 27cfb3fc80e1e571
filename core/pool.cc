#include "core/pool.h"

#include <map>
#include <mutex>

#include "core/current_process.h"
#include "core/status_errors.h"

namespace multiproc {

namespace internal {

platform::CodeLocation LocateFunction(const void* function) {
  static std::mutex mutex;
  static auto* cache = new std::map<const void*, platform::CodeLocation>();
  std::lock_guard<std::mutex> lock(mutex);
  auto found = cache->find(function);
  if (found != cache->end()) return found->second;
  platform::CodeLocation location =
      ValueOrThrow(platform::LocateCode(function), "locating a pool task's function");
  cache->emplace(function, location);
  return location;
}

}  // namespace internal

void Pool::Start(
    const PoolOptions& options, std::optional<platform::CodeLocation> initializer,
    std::function<internal::WorkerFactory(const Context&, const internal::WorkerConfig&)>
        make_factory) {
  int processes = options.processes().value_or(cpu_count());
  if (processes < 1) throw ValueError("Number of processes must be at least 1");
  if (options.maxtasksperchild().has_value() && *options.maxtasksperchild() < 1) {
    throw ValueError("maxtasksperchild must be a positive int or None");
  }
  internal::WorkerConfig config;
  config.initializer = std::move(initializer);
  config.maxtasksperchild = static_cast<uint64_t>(options.maxtasksperchild().value_or(0));
  config.pool_pid = platform::CurrentProcessId();
  engine_ = std::make_unique<internal::PoolEngine>(
      processes, config.maxtasksperchild,
      make_factory(get_context(options.start_method()), config));
}

internal::WorkerFactory Pool::NoInitializerFactory(const Context& context,
                                                   const internal::WorkerConfig& config) {
  return [context, config](platform::OwnedHandle channel) {
    return context.process(&internal::PoolWorkerMain<void>, std::move(channel), config);
  };
}

void Pool::Submit(std::shared_ptr<internal::Job> job, size_t chunksize) {
  engine_->Submit(std::move(job), chunksize);
}

size_t Pool::ChunksizeFor(size_t items, std::optional<size_t> chunksize) const {
  if (chunksize.has_value()) {
    if (*chunksize == 0) throw ValueError("Chunksize must be 1+, not 0");
    return *chunksize;
  }
  // CPython: divmod(len(iterable), len(self._pool) * 4), rounded up.
  size_t parts = static_cast<size_t>(engine_->processes()) * 4;
  return std::max<size_t>(1, (items + parts - 1) / parts);
}

void Pool::close() { engine_->Close(); }
void Pool::terminate() { engine_->Terminate(); }
void Pool::join() { engine_->Join(); }
int Pool::processes() const { return engine_->processes(); }

}  // namespace multiproc
