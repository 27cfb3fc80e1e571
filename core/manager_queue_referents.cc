// Queue and JoinableQueue, server side: a deque of encoded items with Python's queue.Queue
// semantics (maxsize <= 0 is unbounded; Empty/Full after the timeout; task_done/join).
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>

#include "core/managers/builtin_referents.h"

namespace multiproc::internal::manager {
namespace {

class QueueReferent : public Referent {
 public:
  QueueReferent(int64_t maxsize, bool joinable) : maxsize_(maxsize), joinable_(joinable) {}

  std::string Call(CallContext& context, const std::string& method,
                   const std::string& args) override {
    std::unique_lock<std::mutex> hold(mutex_);
    if (method == "put") {
      auto [value, block, timeout] = DecodeArgs<Stored, bool, Timeout>(args);
      auto room = [this] {
        return maxsize_ <= 0 || static_cast<int64_t>(items_.size()) < maxsize_;
      };
      if (!(block ? WaitFor(not_full_, hold, timeout, room) : room())) throw Full("queue is full");
      context.Adopt(value);
      items_.push_back(std::move(value));
      ++unfinished_;
      not_empty_.notify_one();
      return {};
    }
    if (method == "get") {
      auto [block, timeout] = DecodeArgs<bool, Timeout>(args);
      auto any = [this] { return !items_.empty(); };
      if (!(block ? WaitFor(not_empty_, hold, timeout, any) : any())) throw Empty("queue is empty");
      Stored value = std::move(items_.front());
      items_.pop_front();
      not_full_.notify_one();
      context.Transfer(value);
      return EncodeResult(value.bytes);
    }
    if (method == "qsize") return EncodeResult(static_cast<uint64_t>(items_.size()));
    if (method == "empty") return EncodeResult(items_.empty());
    if (method == "full") {
      return EncodeResult(maxsize_ > 0 && static_cast<int64_t>(items_.size()) >= maxsize_);
    }
    if (joinable_ && method == "task_done") {
      if (unfinished_ == 0) throw ValueError("task_done() called too many times");
      if (--unfinished_ == 0) all_done_.notify_all();
      return {};
    }
    if (joinable_ && method == "join") {
      auto [timeout] = DecodeArgs<Timeout>(args);
      return EncodeResult(WaitFor(all_done_, hold, timeout, [this] { return unfinished_ == 0; }));
    }
    UnknownMethod(joinable_ ? "JoinableQueue" : "Queue", method);
  }

  std::vector<Stored> TakeStored() override { return {items_.begin(), items_.end()}; }

 private:
  std::mutex mutex_;
  std::condition_variable not_empty_, not_full_, all_done_;
  std::deque<Stored> items_;
  int64_t maxsize_;
  bool joinable_;
  int64_t unfinished_ = 0;
};

}  // namespace

void AddQueueTypes(ManagerTypes& types) {
  for (bool joinable : {false, true}) {
    types.add_factory(joinable ? "JoinableQueue" : "Queue",
                      [joinable](const std::string&, const std::string& args) {
                        auto [maxsize] = DecodeArgs<int64_t>(args);
                        return std::unique_ptr<Referent>(new QueueReferent(maxsize, joinable));
                      });
  }
}

}  // namespace multiproc::internal::manager
