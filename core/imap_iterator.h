// IMapIterator: the results of Pool::imap (in input order) and Pool::imap_unordered (in
// completion order), as they arrive. next(timeout) returns the next value, nullopt once every
// item was returned, raises the item's exception (its worker's death is WorkerLostError) and
// TimeoutError when `timeout` passes first, as Python's IMapIterator.next does. A failed item
// does not stop the others: the next call returns the item after it.
//
//   multiproc::IMapIterator<int> squares = pool.imap(Square, std::vector<int>{1, 2, 3});
//   while (std::optional<int> value = squares.next(absl::Seconds(5))) std::cout << *value;
//   for (int value : pool.imap_unordered(Square, inputs)) total += value;  // range-for works too
#ifndef MULTIPROC_CORE_IMAP_ITERATOR_H_
#define MULTIPROC_CORE_IMAP_ITERATOR_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "core/async_result.h"
#include "core/errors.h"
#include "core/task_error.h"
#include "core/timeout.h"

namespace multiproc {

namespace internal {

// Where imap results gather until next() takes them.
template <typename T>
class ImapState {
 public:
  using Outcome = std::variant<T, Failure>;

  ImapState(size_t total, bool ordered) : total_(total), ordered_(ordered), slots_(total) {}

  void Deliver(size_t index, Outcome outcome) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ordered_) {
      slots_[index].emplace(std::move(outcome));
    } else {
      arrived_.push_back(std::move(outcome));
    }
    changed_.notify_all();
  }

  std::optional<T> Next(Timeout timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (taken_ == total_) return std::nullopt;
    auto available = [this] { return ordered_ ? slots_[taken_].has_value() : !arrived_.empty(); };
    if (!changed_.wait_until(lock, DeadlineAfter(timeout), available)) {
      throw TimeoutError("the next imap result is not ready yet");
    }
    Outcome outcome = ordered_ ? std::move(*slots_[taken_]) : std::move(arrived_.front());
    if (ordered_) {
      slots_[taken_].reset();
    } else {
      arrived_.pop_front();
    }
    ++taken_;
    if (auto* error = std::get_if<Failure>(&outcome)) error->Raise();
    return std::move(std::get<T>(outcome));
  }

 private:
  const size_t total_;
  const bool ordered_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::optional<Outcome>> slots_;  // ordered: by input position
  std::deque<Outcome> arrived_;                // unordered: by arrival
  size_t taken_ = 0;
};

}  // namespace internal

template <typename T>
class IMapIterator {
 public:
  explicit IMapIterator(std::shared_ptr<internal::ImapState<T>> state) : state_(std::move(state)) {}

  // The next result; nullopt after the last. Raises the item's error or TimeoutError.
  std::optional<T> next(Timeout timeout = std::nullopt) { return state_->Next(timeout); }

  // An input iterator over the remaining results (each waits without a timeout and raises as
  // next() does).
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    iterator() = default;
    explicit iterator(IMapIterator* owner) : owner_(owner) { ++*this; }
    const T& operator*() const { return *current_; }
    const T* operator->() const { return &*current_; }
    iterator& operator++() {
      current_ = owner_->next();
      if (!current_.has_value()) owner_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(const iterator& other) const { return owner_ == other.owner_; }

   private:
    IMapIterator* owner_ = nullptr;
    std::optional<T> current_;
  };

  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

 private:
  std::shared_ptr<internal::ImapState<T>> state_;
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_IMAP_ITERATOR_H_
