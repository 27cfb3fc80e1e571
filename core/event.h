// Event: Python's multiprocessing.Event, a flag shared between processes that waiters can sleep
// on. Make it in the parent and hand it to children (as a Process argument or to a running
// process); every copy is the same event.
//
//   void Worker(multiproc::Event go) {
//     if (!go.wait(absl::Seconds(5))) return;  // false: nobody set it in time
//     ...
//   }
//   multiproc::Event go;
//   // start workers, then:
//   go.set();  // wakes every waiter; stays set until clear()
//
// Built, as in CPython, on a Condition over a Lock, so a process killed while waiting on (or
// setting) an Event never leaves the others stuck.
#ifndef MULTIPROC_CORE_EVENT_H_
#define MULTIPROC_CORE_EVENT_H_

#include <optional>

#include "absl/time/time.h"
#include "core/condition.h"
#include "core/shared_heap.h"
#include "core/timeout.h"

namespace multiproc {

class Event;
namespace internal {
// How many threads, in any process, wait on `event` now (see ThreadsWaitingOn(Condition)).
size_t ThreadsWaitingOn(const Event& event);
}  // namespace internal

class Event {
 public:
  Event();

  bool is_set() const;
  // Sets the flag and wakes every waiter.
  void set();
  void clear();
  // Blocks until the flag is set or `timeout` passes; returns the flag (false on timeout).
  bool wait(Timeout timeout = std::nullopt);

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(condition_, flag_);
  }
  static Event LoadFromArchive(internal::InputArchive& archive);

 private:
  friend size_t internal::ThreadsWaitingOn(const Event& event);
  Event(Condition condition, internal::SharedBlock flag);
  Condition condition_;
  internal::SharedBlock flag_;  // a std::atomic<uint32_t>: 1 when set
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_EVENT_H_
