// A job: one call into a Pool (apply: one item; map, starmap, imap: many), split by the pool into
// chunks. The job keeps its typed arguments, encodes any range of them on demand (so the pool can
// cut a chunk to fit a worker's maxtasksperchild budget, or give the chunks of a dead worker to
// another) and decodes the results into where they are awaited: an AsyncResult, a map's vector
// or an imap iterator.
#ifndef MULTIPROC_CORE_POOL_JOB_H_
#define MULTIPROC_CORE_POOL_JOB_H_

#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/async_result.h"
#include "core/imap_iterator.h"
#include "core/serialization.h"
#include "platform/code_location.h"

namespace multiproc::internal {

// Where a job's results go. Deliveries for ranges come from the pool's result-handler thread;
// failures may also come from a submitting thread.
template <typename T>
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual void Deliver(size_t first, std::vector<T> values) = 0;
  virtual void Fail(size_t first, size_t count, Failure error) = 0;
};

class Job {
 public:
  Job(platform::CodeLocation runner, platform::CodeLocation function, size_t size)
      : runner_(std::move(runner)), function_(std::move(function)), size_(size) {}
  virtual ~Job() = default;

  size_t size() const { return size_; }
  const platform::CodeLocation& runner() const { return runner_; }
  const platform::CodeLocation& function() const { return function_; }

  // Writes the arguments of items [first, first + count) to `archive`.
  virtual void EncodeItems(size_t first, size_t count, OutputArchive& archive) const = 0;
  // Decodes the results of items [first, first + count) and delivers them.
  virtual void Complete(size_t first, size_t count, InputArchive& results) = 0;
  virtual void Fail(size_t first, size_t count, Failure error) = 0;

 private:
  platform::CodeLocation runner_;
  platform::CodeLocation function_;
  size_t size_;
};

template <typename R, typename... P>
class CallJob final : public Job {
 public:
  using Arguments = std::tuple<std::decay_t<P>...>;
  using Value = StoredResult<R>;

  CallJob(platform::CodeLocation runner, platform::CodeLocation function,
          std::vector<Arguments> inputs, std::shared_ptr<ResultSink<Value>> sink)
      : Job(std::move(runner), std::move(function), inputs.size()),
        inputs_(std::move(inputs)),
        sink_(std::move(sink)) {}

  void EncodeItems(size_t first, size_t count, OutputArchive& archive) const override {
    for (size_t i = first; i < first + count; ++i) {
      std::apply([&archive](const auto&... value) { (archive(value), ...); }, inputs_[i]);
    }
  }

  void Complete(size_t first, size_t count, InputArchive& results) override {
    std::vector<Value> values;
    values.reserve(count);
    for (size_t i = 0; i < count; ++i) values.push_back(ArgumentLoader<Value>::Load(results));
    sink_->Deliver(first, std::move(values));
  }

  void Fail(size_t first, size_t count, Failure error) override {
    sink_->Fail(first, count, std::move(error));
  }

 private:
  std::vector<Arguments> inputs_;
  std::shared_ptr<ResultSink<Value>> sink_;
};

// apply / apply_async: one item, one AsyncResult.
template <typename T>
class SingleResultSink final : public ResultSink<T> {
 public:
  explicit SingleResultSink(std::shared_ptr<ResultState<T>> state) : state_(std::move(state)) {}
  void Deliver(size_t, std::vector<T> values) override { state_->SetValue(std::move(values[0])); }
  void Fail(size_t, size_t, Failure error) override { state_->SetError(error); }

 private:
  std::shared_ptr<ResultState<T>> state_;
};

// map / starmap: every item's value, in order, once all arrived; the first failure fails the
// whole result at once (as CPython's MapResult does).
template <typename T>
class VectorResultSink final : public ResultSink<T> {
 public:
  VectorResultSink(std::shared_ptr<ResultState<std::vector<T>>> state, size_t size)
      : state_(std::move(state)), slots_(size), missing_(size) {
    if (size == 0) state_->SetValue({});
  }

  void Deliver(size_t first, std::vector<T> values) override {
    std::optional<std::vector<T>> complete;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (size_t i = 0; i < values.size(); ++i) slots_[first + i].emplace(std::move(values[i]));
      missing_ -= values.size();
      if (missing_ == 0) complete = Collect();
    }
    if (complete.has_value()) state_->SetValue(std::move(*complete));
  }

  void Fail(size_t, size_t, Failure error) override { state_->SetError(error); }

 private:
  std::vector<T> Collect() {
    std::vector<T> values;
    values.reserve(slots_.size());
    for (std::optional<T>& slot : slots_) values.push_back(std::move(*slot));
    slots_.clear();
    return values;
  }

  std::shared_ptr<ResultState<std::vector<T>>> state_;
  std::mutex mutex_;
  std::vector<std::optional<T>> slots_;
  size_t missing_;
};

// imap / imap_unordered: each item's value or error as soon as it arrives.
template <typename T>
class IteratorResultSink final : public ResultSink<T> {
 public:
  explicit IteratorResultSink(std::shared_ptr<ImapState<T>> state) : state_(std::move(state)) {}

  void Deliver(size_t first, std::vector<T> values) override {
    for (size_t i = 0; i < values.size(); ++i) state_->Deliver(first + i, std::move(values[i]));
  }

  void Fail(size_t first, size_t count, Failure error) override {
    for (size_t i = 0; i < count; ++i) state_->Deliver(first + i, error);
  }

 private:
  std::shared_ptr<ImapState<T>> state_;
};

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_POOL_JOB_H_
