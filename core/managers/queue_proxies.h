// Proxies for managed queues (Python's manager.Queue() and manager.JoinableQueue()): put/get with
// block and timeout, Empty and Full, qsize/empty/full; JoinableQueueProxy adds task_done/join.
// The items live in the manager's server, so any number of processes, started in any way or
// connected from elsewhere, can share the queue.
//
//   multiproc::QueueProxy<std::string> jobs = manager.Queue<std::string>();
//   jobs.put("hello");
//   std::string job = jobs.get(true, absl::Seconds(1));  // Empty after a second without one
#ifndef MULTIPROC_CORE_MANAGERS_QUEUE_PROXIES_H_
#define MULTIPROC_CORE_MANAGERS_QUEUE_PROXIES_H_

#include <cstdint>
#include <optional>

#include "absl/time/time.h"
#include "core/proxy.h"
#include "core/timeout.h"

namespace multiproc {

class BaseManager;

template <typename T>
class QueueProxy : public BaseProxy {
 public:
  QueueProxy() = default;

  void put(const T& item, bool block = true, Timeout timeout = std::nullopt) {
    Invoke("put", Store(item), block, internal::manager::Nanoseconds(timeout));
  }
  T get(bool block = true, Timeout timeout = std::nullopt) {
    return CallDecoding("get", &Element<T>, block, internal::manager::Nanoseconds(timeout));
  }
  void put_nowait(const T& item) { put(item, false); }
  T get_nowait() { return get(false); }
  size_t qsize() const { return CallFor<uint64_t>("qsize"); }
  bool empty() const { return CallFor<bool>("empty"); }
  bool full() const { return CallFor<bool>("full"); }

 protected:
  friend class BaseManager;
  using BaseProxy::BaseProxy;
};

template <typename T>
class JoinableQueueProxy : public QueueProxy<T> {
 public:
  JoinableQueueProxy() = default;

  // ValueError if called more times than items were put.
  void task_done() { this->Invoke("task_done"); }
  // Waits until every item put has been task_done(); false if the timeout expired first.
  bool join(Timeout timeout = std::nullopt) {
    return this->template CallFor<bool>("join", internal::manager::Nanoseconds(timeout));
  }

 private:
  friend class BaseManager;
  using QueueProxy<T>::QueueProxy;
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_MANAGERS_QUEUE_PROXIES_H_
