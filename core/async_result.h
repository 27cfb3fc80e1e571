// AsyncResult: the future a Pool hands back for apply_async, map_async and starmap_async, with
// Python's AsyncResult methods. get() returns the task's value or raises what the task raised
// (see task_error.h), WorkerLostError if its worker died, or TimeoutError when `timeout` passes
// first (the result stays pending; call get() again later).
//
//   multiproc::AsyncResult<int> square = pool.apply_async(Square, 7);
//   if (square.wait(absl::Seconds(1)); square.ready() && square.successful()) {
//     std::cout << square.get();  // 49
//   }
//
// Callbacks run in the pool's result-handler thread, as in Python, before the result becomes
// ready: once get() returned, the callback has run. They must not block for long (they hold up
// every other result). An exception escaping a callback is reported on stderr and dropped.
//
//   pool.apply_async(multiproc::Callbacks<int>([](const int& value) { ... },
//                                              [](const multiproc::Error& error) { ... }),
//                    Square, 7);
#ifndef MULTIPROC_CORE_ASYNC_RESULT_H_
#define MULTIPROC_CORE_ASYNC_RESULT_H_

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/time/time.h"
#include "core/errors.h"
#include "core/task_error.h"
#include "core/timeout.h"

namespace multiproc {

namespace internal {

// What a void task "returns": nothing travels, but the machinery needs a value type.
struct Unit {
  template <typename Archive>
  void serialize(Archive&) {}
};

template <typename R>
using StoredResult = std::conditional_t<std::is_void_v<R>, Unit, std::decay_t<R>>;

// Runs a user callback, keeping the result-handler thread alive whatever it throws.
void RunCallbackGuarded(const std::function<void()>& call);

// Raises `error` and hands it to an error_callback (every error a pool delivers is a
// multiproc::Error; anything else is wrapped).
void CallErrorCallback(const std::function<void(const Error&)>& callback, const Failure& error);

std::chrono::steady_clock::time_point DeadlineAfter(Timeout timeout);

}  // namespace internal

namespace internal {
template <typename R>
struct ValueCallback {
  using type = std::function<void(const std::decay_t<R>&)>;
};
template <>
struct ValueCallback<void> {
  using type = std::function<void()>;
};
}  // namespace internal

// Python's callback and error_callback. `callback` receives the value (nothing for a void task).
template <typename R>
struct Callbacks {
  using Callback = typename internal::ValueCallback<R>::type;
  using ErrorCallback = std::function<void(const Error&)>;

  Callbacks() = default;
  explicit Callbacks(Callback on_value, ErrorCallback on_error = {})
      : callback(std::move(on_value)), error_callback(std::move(on_error)) {}

  Callback callback;
  ErrorCallback error_callback;
};

namespace internal {

// The shared state behind an AsyncResult, completed once by the pool.
template <typename T>
class ResultState {
 public:
  template <typename R>
  explicit ResultState(Callbacks<R> callbacks)
      : callback_(std::move(callbacks.callback)),
        error_callback_(std::move(callbacks.error_callback)) {}
  ResultState() = default;

  void SetValue(T value) {
    if (callback_) {
      RunCallbackGuarded([&] {
        if constexpr (std::is_same_v<T, Unit>) {
          callback_();
        } else {
          callback_(value);
        }
      });
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      value_.emplace(std::move(value));
      done_ = true;
    }
    changed_.notify_all();  // after unlocking: the woken waiter does not block on mutex_
  }

  // Ignored once completed (a map fails on its first failed chunk; later ones change nothing).
  void SetError(Failure error) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (done_ || failing_) return;
      failing_ = true;
    }
    if (error_callback_) CallErrorCallback(error_callback_, error);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = std::move(error);
      done_ = true;
    }
    changed_.notify_all();
  }

  bool Wait(Timeout timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!timeout.has_value()) {
      changed_.wait(lock, [this] { return done_; });
      return true;
    }
    return changed_.wait_until(lock, DeadlineAfter(timeout), [this] { return done_; });
  }

  bool Done() {
    std::lock_guard<std::mutex> lock(mutex_);
    return done_;
  }

  // Call after Wait returned true.
  const T& Value() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (error_.has_value()) error_->Raise();
    return *value_;
  }

  bool Failed() {
    std::lock_guard<std::mutex> lock(mutex_);
    return error_.has_value();
  }

 private:
  using Callback = std::conditional_t<std::is_same_v<T, Unit>, std::function<void()>,
                                      std::function<void(const T&)>>;
  Callback callback_;
  std::function<void(const Error&)> error_callback_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool done_ = false;
  bool failing_ = false;
  std::optional<T> value_;
  std::optional<Failure> error_;
};

}  // namespace internal

template <typename R>
class AsyncResult {
 public:
  using State = internal::ResultState<internal::StoredResult<R>>;

  explicit AsyncResult(std::shared_ptr<State> state) : state_(std::move(state)) {}

  // The task's value; raises the task's exception, WorkerLostError, or TimeoutError if `timeout`
  // (nullopt: wait for ever) passes first.
  std::conditional_t<std::is_void_v<R>, void, const internal::StoredResult<R>&> get(
      Timeout timeout = std::nullopt) const {
    if (!state_->Wait(timeout)) throw TimeoutError("the result is not ready yet");
    if constexpr (std::is_void_v<R>) {
      state_->Value();
    } else {
      return state_->Value();
    }
  }

  // Waits until the result is ready or `timeout` passes.
  void wait(Timeout timeout = std::nullopt) const { state_->Wait(timeout); }

  bool ready() const { return state_->Done(); }

  // Whether the task completed without raising. ValueError while not ready (Python 3.7+).
  bool successful() const {
    if (!ready()) throw ValueError("the result is not ready");
    return !state_->Failed();
  }

 private:
  std::shared_ptr<State> state_;
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_ASYNC_RESULT_H_
