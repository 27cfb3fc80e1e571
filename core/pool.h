// Pool: a fixed set of worker processes that run tasks, as Python's multiprocessing.Pool.
//
//   int Square(int x) { return x * x; }
//
//   multiproc::Pool pool(4);                                       // or Pool() for cpu_count()
//   std::vector<int> squares = pool.map(Square, std::vector<int>{1, 2, 3});  // {1, 4, 9}
//   multiproc::AsyncResult<int> later = pool.apply_async(Square, 12);
//   int value = later.get(absl::Seconds(5));                       // 144, or TimeoutError
//   for (int s : pool.imap_unordered(Square, inputs)) ...          // as they complete
//   pool.close();
//   pool.join();
//
// Options, initializer and initargs (seed 002: a Lock every worker keeps in a global):
//
//   multiproc::Pool pool(multiproc::PoolOptions().processes(2).maxtasksperchild(10),
//                        InstallLock, lock);                        // InstallLock(Lock) per worker
//
// Tasks are plain functions or capture-less lambdas; their arguments and results are serialized
// (serialization.h). Unlike CPython, shareable objects (Lock, Value, Array, Pipe ends...) are valid
// task arguments and results: their handles travel with the task to the running worker.
//
// Workers are reused, so what a task leaves in a worker's globals is seen by the next task that
// worker runs (seed 004); maxtasksperchild retires a worker after that many *items* (CPython
// counts chunks: map(f, range(100), chunksize=10) with maxtasksperchild=1 runs 10 items per
// worker there, 1 here).
//
// Beyond CPython: a worker that dies (kill -9, abort, a crash, exit) fails the chunk it was
// running with WorkerLostError naming its pid and exit code or signal, is replaced, and the pool
// keeps serving; CPython's Pool hangs forever. An initializer that throws fails every pending and
// later task with that exception (prefixed "the pool's initializer failed") instead of starting
// workers forever. A worker that dies before it is ready (killed while starting, or inside its
// initializer) is replaced like any other; only when three in a row die so, with none ready in
// between, does the pool stop starting workers and fail every task with WorkerLostError.
//
// A task's exception comes back as the same type when it is one of multiproc's, else as a
// TaskError (a RemoteError) keeping the type name and what() (task_error.h). A result that
// cannot be serialized fails its task with SerializationError.
//
// close() stops new submissions and lets the workers finish what is queued; terminate() stops at
// once, failing unfinished tasks with ProcessError; join() (after either) waits for the workers.
// Use after close()/terminate() raises ValueError("Pool not running"). Destroying a Pool that was
// not joined terminates it, as Python's `with Pool() as pool:` does: no orphans, no hang.
// Nested pools work (a task may create a Pool). Under the fork start method, replacement workers
// are forked by the result-handler thread (as CPython's worker-handler thread does), so the
// multi-threaded-fork warning appears once; prefer forkserver or spawn.
#ifndef MULTIPROC_CORE_POOL_H_
#define MULTIPROC_CORE_POOL_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/async_result.h"
#include "core/context.h"
#include "core/imap_iterator.h"
#include "core/pool_engine.h"
#include "core/pool_job.h"
#include "core/pool_protocol.h"
#include "core/pool_worker.h"
#include "core/process.h"
#include "platform/code_location.h"

namespace multiproc {

// How to build a Pool, Python's Pool(processes, initializer, initargs, maxtasksperchild) and
// ctx.Pool: PoolOptions().processes(2).maxtasksperchild(10).start_method("spawn").
class PoolOptions {
 public:
  // Worker count; cpu_count() when unset. ValueError if < 1.
  PoolOptions& processes(int count) {
    processes_ = count;
    return *this;
  }
  // Items a worker runs before it is replaced; unlimited when unset. ValueError if < 1.
  PoolOptions& maxtasksperchild(int items) {
    maxtasksperchild_ = items;
    return *this;
  }
  // "fork", "spawn" or "forkserver"; the default start method when empty.
  PoolOptions& start_method(std::string method) {
    start_method_ = std::move(method);
    return *this;
  }

  std::optional<int> processes() const { return processes_; }
  std::optional<int> maxtasksperchild() const { return maxtasksperchild_; }
  const std::string& start_method() const { return start_method_; }

 private:
  std::optional<int> processes_;
  std::optional<int> maxtasksperchild_;
  std::string start_method_;
};

namespace internal {

// Where `function` lives, for sending it to a worker (cached: a pool sends the same few).
platform::CodeLocation LocateFunction(const void* function);

template <typename Function>
using FunctionPointerOf = decltype(ToFunctionPointer(std::declval<Function&>()));

// The pieces of a task function's signature.
template <typename Pointer>
struct TaskSignature;
template <typename R, typename... P>
struct TaskSignature<R (*)(P...)> {
  using Result = R;
  using Value = StoredResult<R>;
  using Arguments = std::tuple<std::decay_t<P>...>;
  static constexpr size_t kArity = sizeof...(P);

  static platform::CodeLocation Runner() {
    static const platform::CodeLocation runner =
        LocateFunction(reinterpret_cast<const void*>(&RunChunk<R, P...>));
    return runner;
  }

  // A job over `inputs` whose results go to `sink`.
  static std::shared_ptr<Job> MakeJob(R (*function)(P...), std::vector<Arguments> inputs,
                                      std::shared_ptr<ResultSink<Value>> sink) {
    return std::make_shared<CallJob<R, P...>>(
        Runner(), LocateFunction(reinterpret_cast<const void*>(function)), std::move(inputs),
        std::move(sink));
  }
};

// Every entry point of Pool checks its function with this. A function that cannot travel to a
// worker stops compilation with the one line below, where a failed concept would print a page of
// unsatisfied candidates; the entry point's body is then skipped, so nothing else is reported.
template <typename Function>
constexpr bool IsPoolTask() {
  constexpr bool kTravels = TravellingTarget<Function>;  // a named bool: no concept notes follow
  static_assert(kTravels,
                "a Pool task must be a plain function or a capture-less, non-generic lambda: a "
                "capturing lambda, std::function or functor object cannot travel to a worker");
  return kTravels;
}

template <typename T>
constexpr bool kIsCallbacks = false;
template <typename R>
constexpr bool kIsCallbacks<Callbacks<R>> = true;

// The callbacks of map_async and starmap_async: they receive the whole vector. For a function
// IsPoolTask rejects, any type will do: the signature must not add errors of its own.
template <typename Function, bool = TravellingTarget<Function>>
struct MapCallbacksOf {
  using type = Callbacks<std::vector<int>>;
};
template <typename Function>
struct MapCallbacksOf<Function, true> {
  using type = Callbacks<std::vector<typename TaskSignature<FunctionPointerOf<Function>>::Value>>;
};
template <typename Function>
using MapCallbacks = typename MapCallbacksOf<Function>::type;

}  // namespace internal

class Pool {
 public:
  Pool() : Pool(PoolOptions()) {}
  explicit Pool(int processes) : Pool(PoolOptions().processes(processes)) {}
  explicit Pool(const PoolOptions& options) { Start(options, std::nullopt, NoInitializerFactory); }

  // Runs initializer(initargs...) once in every worker before its first task.
  template <typename Initializer, typename... InitArgs>
  Pool(const PoolOptions& options, Initializer&& initializer, InitArgs&&... initargs) {
    if constexpr (internal::IsPoolTask<Initializer>()) {
      auto function = internal::ToFunctionPointer(initializer);
      Start(options, internal::LocateFunction(reinterpret_cast<const void*>(function)),
            InitializerFactory(function, std::forward<InitArgs>(initargs)...));
    }
  }

  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool() = default;  // the engine terminates and joins

  // function(args...) in a worker; its value, or raises its exception.
  template <typename Function, typename... Args>
  auto apply(Function&& function, Args&&... args) {
    if constexpr (internal::IsPoolTask<Function>()) {
      return Unwrap(apply_async(std::forward<Function>(function), std::forward<Args>(args)...));
    }
  }

  template <typename Function, typename... Args>
  requires(!internal::kIsCallbacks<std::remove_cvref_t<Function>>) auto apply_async(
      Function&& function, Args&&... args) {
    if constexpr (internal::IsPoolTask<Function>()) {
      using Signature = internal::TaskSignature<internal::FunctionPointerOf<Function>>;
      return apply_async(Callbacks<typename Signature::Result>{}, std::forward<Function>(function),
                         std::forward<Args>(args)...);
    }
  }

  template <typename R, typename Function, typename... Args>
  auto apply_async(Callbacks<R> callbacks, Function&& function, Args&&... args) {
    if constexpr (internal::IsPoolTask<Function>()) {
      return SubmitOne(std::move(callbacks), internal::ToFunctionPointer(function),
                       std::forward<Args>(args)...);
    }
  }

  // [function(item) for item in items], computed in chunks of `chunksize` items (by default
  // about a quarter of the items per worker, as in CPython). ValueError for a chunksize of 0.
  template <typename Function, std::ranges::input_range Items>
  auto map(Function&& function, const Items& items,
           std::optional<size_t> chunksize = std::nullopt) {
    if constexpr (internal::IsPoolTask<Function>()) {
      return Unwrap(map_async(std::forward<Function>(function), items, chunksize));
    }
  }

  template <typename Function, std::ranges::input_range Items>
  auto map_async(Function&& function, const Items& items,
                 std::optional<size_t> chunksize = std::nullopt,
                 internal::MapCallbacks<Function> callbacks = {}) {
    if constexpr (internal::IsPoolTask<Function>()) {
      auto pointer = internal::ToFunctionPointer(function);
      return SubmitVector(pointer, UnaryInputs(pointer, items), chunksize, std::move(callbacks));
    }
  }

  // [function(*arguments) for arguments in items]: each item is a tuple (or pair).
  template <typename Function, std::ranges::input_range Items>
  auto starmap(Function&& function, const Items& items,
               std::optional<size_t> chunksize = std::nullopt) {
    if constexpr (internal::IsPoolTask<Function>()) {
      return Unwrap(starmap_async(std::forward<Function>(function), items, chunksize));
    }
  }

  template <typename Function, std::ranges::input_range Items>
  auto starmap_async(Function&& function, const Items& items,
                     std::optional<size_t> chunksize = std::nullopt,
                     internal::MapCallbacks<Function> callbacks = {}) {
    if constexpr (internal::IsPoolTask<Function>()) {
      auto pointer = internal::ToFunctionPointer(function);
      return SubmitVector(pointer, TupleInputs(pointer, items), chunksize, std::move(callbacks));
    }
  }

  // The results one by one in input order (imap) or as they complete (imap_unordered).
  template <typename Function, std::ranges::input_range Items>
  auto imap(Function&& function, const Items& items, size_t chunksize = 1) {
    if constexpr (internal::IsPoolTask<Function>()) {
      auto pointer = internal::ToFunctionPointer(function);
      return SubmitIterator(pointer, UnaryInputs(pointer, items), chunksize, /*ordered=*/true);
    }
  }

  template <typename Function, std::ranges::input_range Items>
  auto imap_unordered(Function&& function, const Items& items, size_t chunksize = 1) {
    if constexpr (internal::IsPoolTask<Function>()) {
      auto pointer = internal::ToFunctionPointer(function);
      return SubmitIterator(pointer, UnaryInputs(pointer, items), chunksize, /*ordered=*/false);
    }
  }

  // No more tasks; the workers end once the queued ones are done.
  void close();
  // Stops the workers now; unfinished tasks fail with ProcessError.
  void terminate();
  // Waits for the workers to end. ValueError unless close() or terminate() was called.
  void join();

  // The number of worker processes.
  int processes() const;

 private:
  void Start(const PoolOptions& options, std::optional<platform::CodeLocation> initializer,
             std::function<internal::WorkerFactory(const Context&, const internal::WorkerConfig&)>
                 make_factory);
  void Submit(std::shared_ptr<internal::Job> job, size_t chunksize);
  size_t ChunksizeFor(size_t items, std::optional<size_t> chunksize) const;

  static internal::WorkerFactory NoInitializerFactory(const Context& context,
                                                      const internal::WorkerConfig& config);

  template <typename R, typename... P, typename... InitArgs>
  static auto InitializerFactory(R (*)(P...), InitArgs&&... initargs) {
    static_assert(sizeof...(P) == sizeof...(InitArgs),
                  "Pool: the number of initargs does not match the initializer's parameters");
    auto stored =
        std::make_shared<std::tuple<std::decay_t<P>...>>(std::forward<InitArgs>(initargs)...);
    return [stored](const Context& context, const internal::WorkerConfig& config) {
      return internal::WorkerFactory([stored, context, config](platform::OwnedHandle channel) {
        return std::apply(
            [&](const auto&... initarg) {
              return context.process(&internal::PoolWorkerMain<R, P...>, std::move(channel), config,
                                     initarg...);
            },
            *stored);
      });
    };
  }

  template <typename R, typename... P, typename Items>
  static auto UnaryInputs(R (*)(P...), const Items& items) {
    static_assert(sizeof...(P) == 1, "Pool::map/imap: the function must take one argument");
    std::vector<std::tuple<std::decay_t<P>...>> inputs;
    if constexpr (std::ranges::sized_range<Items>) inputs.reserve(std::ranges::size(items));
    for (const auto& item : items) inputs.emplace_back(item);
    return inputs;
  }

  template <typename R, typename... P, typename Items>
  static auto TupleInputs(R (*)(P...), const Items& items) {
    std::vector<std::tuple<std::decay_t<P>...>> inputs;
    if constexpr (std::ranges::sized_range<Items>) inputs.reserve(std::ranges::size(items));
    for (const auto& item : items) {
      static_assert(std::tuple_size_v<std::decay_t<decltype(item)>> == sizeof...(P),
                    "Pool::starmap: each item must hold one value per parameter");
      inputs.push_back(std::apply(
          [](const auto&... value) { return std::tuple<std::decay_t<P>...>(value...); }, item));
    }
    return inputs;
  }

  template <typename R, typename Pointer, typename... Args>
  auto SubmitOne(Callbacks<R> callbacks, Pointer function, Args&&... args) {
    using Signature = internal::TaskSignature<Pointer>;
    using Result = typename Signature::Result;
    using Value = typename Signature::Value;
    static_assert(std::is_same_v<std::decay_t<R>, std::decay_t<Result>>,
                  "Pool::apply_async: the Callbacks' type must be the task's result type");
    static_assert(Signature::kArity == sizeof...(Args),
                  "Pool::apply_async: the number of arguments does not match the function");
    auto state = std::make_shared<internal::ResultState<Value>>(std::move(callbacks));
    std::vector<typename Signature::Arguments> inputs;
    inputs.emplace_back(std::forward<Args>(args)...);
    Submit(Signature::MakeJob(function, std::move(inputs),
                              std::make_shared<internal::SingleResultSink<Value>>(state)),
           1);
    return AsyncResult<Result>(state);
  }

  template <typename Pointer, typename Inputs, typename Value>
  AsyncResult<std::vector<Value>> SubmitVector(Pointer function, Inputs inputs,
                                               std::optional<size_t> chunksize,
                                               Callbacks<std::vector<Value>> callbacks) {
    using Signature = internal::TaskSignature<Pointer>;
    static_assert(!std::is_void_v<typename Signature::Result>,
                  "Pool::map/starmap: the function must return a value");
    size_t size = inputs.size();
    size_t chunk = ChunksizeFor(size, chunksize);
    auto state = std::make_shared<internal::ResultState<std::vector<Value>>>(std::move(callbacks));
    auto sink = std::make_shared<internal::VectorResultSink<Value>>(state, size);
    Submit(Signature::MakeJob(function, std::move(inputs), std::move(sink)), chunk);
    return AsyncResult<std::vector<Value>>(state);
  }

  template <typename Pointer, typename Inputs>
  auto SubmitIterator(Pointer function, Inputs inputs, size_t chunksize, bool ordered) {
    using Signature = internal::TaskSignature<Pointer>;
    using Value = typename Signature::Value;
    static_assert(!std::is_void_v<typename Signature::Result>,
                  "Pool::imap: the function must return a value");
    if (chunksize == 0) throw ValueError("Chunksize must be 1+, not 0");
    auto state = std::make_shared<internal::ImapState<Value>>(inputs.size(), ordered);
    auto sink = std::make_shared<internal::IteratorResultSink<Value>>(state);
    Submit(Signature::MakeJob(function, std::move(inputs), std::move(sink)), chunksize);
    return IMapIterator<Value>(state);
  }

  template <typename R>
  static auto Unwrap(const AsyncResult<R>& result) {
    if constexpr (std::is_void_v<R>) {
      result.get();
    } else {
      return internal::StoredResult<R>(result.get());
    }
  }

  std::unique_ptr<internal::PoolEngine> engine_;
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_POOL_H_
