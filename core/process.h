// Process: run a function in another process, as Python's multiprocessing.Process does.
//
//   void Work(int n, std::string label) { ... }
//
//   int main(int argc, char** argv) {
//     multiproc::main_guard(argc, argv);
//     multiproc::Process worker(Work, 3, std::string("demo"));
//     worker.set_daemon(true);
//     worker.start();
//     worker.join();
//     std::cout << *worker.exitcode();  // 0; -15 after terminate(); 1 after an uncaught exception
//   }
//
// Targets: plain functions, static member functions and capture-less lambdas work under every
// start method; their arguments are converted to the target's parameter types and serialized
// (see serialization.h), so handle-carrying objects reach the child as references to the same OS
// objects. Capturing lambdas and std::function run only under the fork start method; start()
// rejects them elsewhere with SerializationError (Python raises PicklingError).
//
// A Process is a handle: copies refer to the same child (active_children() returns such copies).
// exitcode: nullopt while running, 0, the code passed to multiproc::exit, 1 after an uncaught
// exception (its type and what() are printed on the child's stderr), -N when killed by signal N
// (terminate() reports -15 and kill() -9 on every platform).
#ifndef MULTIPROC_CORE_PROCESS_H_
#define MULTIPROC_CORE_PROCESS_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "core/bootstrap.h"
#include "core/errors.h"
#include "core/serialization.h"
#include "core/start_method.h"
#include "core/timeout.h"
#include "platform/handle.h"
#include "platform/process.h"

namespace multiproc {

class Context;

namespace internal {

struct ProcessState;

// How to run a target, captured when the Process is made.
struct TargetRecipe {
  // Travelling targets: the function, the decoder for its arguments and the encoder.
  const void* target = nullptr;
  TargetInvoker invoker = nullptr;
  std::function<std::string(HandleTable&)> encode_arguments;
  // Callables that cannot travel (fork only).
  std::function<void()> fork_only;
};

template <typename R, typename... P>
void InvokeTarget(const void* target, const std::string& arguments, HandleTable& handles) {
  auto function = reinterpret_cast<R (*)(P...)>(const_cast<void*>(target));
  std::tuple<std::decay_t<P>...> decoded = DecodeArguments<std::decay_t<P>...>(arguments, handles);
  // The arguments now hold their own handles; the table's copies go before the target runs, so
  // a target that closes an argument (a pipe end, to signal end of stream) closes the last one.
  handles = HandleTable();
  std::apply([function](auto&... values) { function(std::forward<P>(values)...); }, decoded);
}

template <typename R, typename... P, typename... Args>
TargetRecipe TravellingRecipe(R (*function)(P...), Args&&... args) {
  static_assert(sizeof...(P) == sizeof...(Args),
                "multiproc::Process: the number of arguments does not match the target's "
                "parameters");
  auto arguments = std::make_shared<std::tuple<std::decay_t<P>...>>(std::forward<Args>(args)...);
  TargetRecipe recipe;
  recipe.target = reinterpret_cast<const void*>(function);
  recipe.invoker = &InvokeTarget<R, P...>;
  recipe.encode_arguments = [arguments](HandleTable& handles) {
    return Encode(handles, *arguments);
  };
  return recipe;
}

template <typename Target, typename... Args>
TargetRecipe ForkOnlyRecipe(Target&& target, Args&&... args) {
  auto bound = std::make_shared<std::tuple<std::decay_t<Target>, std::decay_t<Args>...>>(
      std::forward<Target>(target), std::forward<Args>(args)...);
  TargetRecipe recipe;
  recipe.fork_only = [bound] {
    std::apply([](auto& function, auto&... values) { std::invoke(function, values...); }, *bound);
  };
  return recipe;
}

// A target can travel when it converts to a plain function pointer (functions, capture-less
// lambdas). Unary + performs that conversion, but MSVC finds +lambda ambiguous (a lambda converts
// to one pointer per calling convention), so the pointer type is also named from the signature of
// operator() and the conversion asked for explicitly; GCC and Clang keep taking the + path.
template <typename Target>
concept ConvertsByUnaryPlus = requires(Target& target) {
  requires std::is_pointer_v<decltype(+target)>;
  requires std::is_function_v<std::remove_pointer_t<decltype(+target)>>;
};

template <typename CallOperator>
struct PlainFunctionPointer {};
template <typename C, typename R, typename... P>
struct PlainFunctionPointer<R (C::*)(P...) const> {
  using type = R (*)(P...);
};
template <typename C, typename R, typename... P>
struct PlainFunctionPointer<R (C::*)(P...) const noexcept> {
  using type = R (*)(P...);
};
template <typename C, typename R, typename... P>
struct PlainFunctionPointer<R (C::*)(P...)> {  // mutable lambdas
  using type = R (*)(P...);
};
template <typename C, typename R, typename... P>
struct PlainFunctionPointer<R (C::*)(P...) noexcept> {
  using type = R (*)(P...);
};
template <typename Target>
using CallOperatorPointer =
    typename PlainFunctionPointer<decltype(&std::remove_cvref_t<Target>::operator())>::type;

template <typename Target>
concept ConvertsToCallOperatorPointer = requires {
  typename CallOperatorPointer<Target>;
  requires std::is_convertible_v<Target&, CallOperatorPointer<Target>>;
};

template <typename Target>
concept TravellingTarget = ConvertsByUnaryPlus<Target> || ConvertsToCallOperatorPointer<Target>;

// The plain function pointer a travelling target converts to.
template <TravellingTarget Target>
auto ToFunctionPointer(Target& target) {
  if constexpr (ConvertsByUnaryPlus<Target>) {
    return +target;
  } else {
    return static_cast<CallOperatorPointer<Target>>(target);
  }
}

}  // namespace internal

class Process {
 public:
  template <typename Target, typename... Args>
  explicit Process(Target&& target, Args&&... args)
      : Process(MakeRecipe(std::forward<Target>(target), std::forward<Args>(args)...)) {}

  // Starts the child. ProcessError if already started; SerializationError if the target cannot
  // travel under the start method; BootstrapError in a spawned child that skipped main_guard.
  void start();

  // Waits for the child to end (ProcessError before start()).
  void join();
  // Waits at most `timeout`; afterwards exitcode() tells whether the child ended.
  void join(absl::Duration timeout);
  template <typename Rep, typename Period>
  void join(std::chrono::duration<Rep, Period> timeout) {
    join(FromChronoDuration(timeout));
  }

  bool is_alive();
  // SIGTERM (Windows: TerminateProcess); exitcode -15.
  void terminate();
  // SIGKILL (Windows: TerminateProcess); exitcode -9.
  void kill();
  // Releases the OS resources of a finished child; later use raises ValueError.
  void close();

  std::optional<int> exitcode();
  std::optional<ProcessId> pid() const;
  // Ready once the child ended (for multiproc::wait and platform::WaitForAny). ValueError before
  // start().
  platform::NativeHandle sentinel() const;

  const std::string& name() const;
  void set_name(std::string name);
  bool daemon() const;
  // Daemon children are killed when their parent dies, however it dies. Before start() only.
  void set_daemon(bool daemon);
  const std::string& authkey() const;
  void set_authkey(std::string authkey);
  StartMethod start_method() const;

 private:
  friend class Context;
  friend std::vector<Process> active_children();

  explicit Process(internal::TargetRecipe recipe);
  explicit Process(std::shared_ptr<internal::ProcessState> state) : state_(std::move(state)) {}

  template <typename Target, typename... Args>
  static internal::TargetRecipe MakeRecipe(Target&& target, Args&&... args) {
    if constexpr (internal::TravellingTarget<Target>) {
      return internal::TravellingRecipe(internal::ToFunctionPointer(target),
                                        std::forward<Args>(args)...);
    } else {
      return internal::ForkOnlyRecipe(std::forward<Target>(target), std::forward<Args>(args)...);
    }
  }

  void set_start_method(StartMethod method);
  internal::ProcessState& state() const;

  std::shared_ptr<internal::ProcessState> state_;
};

// The children this process started that are still running. Finished ones are reaped on the way,
// so a child nobody joined does not stay a zombie (Python's active_children does the same).
std::vector<Process> active_children();

}  // namespace multiproc

#endif  // MULTIPROC_CORE_PROCESS_H_
