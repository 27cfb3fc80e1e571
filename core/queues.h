// Process-safe FIFO queues with Python's names and semantics: Queue<T>, SimpleQueue<T> and
// JoinableQueue<T>. Make one in the parent and hand it to children as a Process argument (or to a
// running process through the handle transport); every copy is the same queue.
//
//   void Produce(multiproc::Queue<std::string> results, int id) {
//     results.put("done by " + std::to_string(id));
//   }
//
//   multiproc::Queue<std::string> results;
//   multiproc::Process worker(Produce, results, 1);
//   worker.start();
//   worker.join();                 // never hangs: put() left nothing buffered in the child
//   std::string first = results.get(true, absl::Seconds(5));   // Empty after 5 s
//
// Items are serialized with cereal (core/serialization.h) and copied into a ring in shared memory
// (core/queue_ring.h); a put returns once its item is in the ring. What we fix from CPython:
// - No feeder thread: a process that put an item may exit at once; joining it never waits for a
//   consumer ("joining processes that use queues" deadlock). Only an item larger than the ring
//   (capacity_bytes, 16 MiB by default) streams through in pieces and so waits for a consumer.
// - A get() that can never be satisfied raises EOFError: the queue is empty and every other
//   process that held it has exited or called close() (see core/queue_holders.h for the exact
//   rule; a queue that never left its process blocks as in Python).
// - A producer or consumer killed mid-operation leaves the queue usable: the locks pass to the
//   next user, a torn item is dropped, and qsize() stays exact.
// - A queue may be sent to a process that is already running (Python needs a Manager queue there).
//
// Python's rules kept: maxsize <= 0 is unbounded; put/get(block, timeout) raise Full/Empty;
// put_nowait/get_nowait are put/get with block = false; close() says that this process will put
// no more (put and get raise ValueError afterwards); join_thread() requires close() and returns
// at once (no feeder thread to join); cancel_join_thread() does nothing, for the same reason.
// An item carrying OS handles (a Lock, a Value, a pipe end) is a SerializationError: pass those
// as Process arguments. Getting an item that does not decode as T (a copy received with another
// T) raises SerializationError; that item is dropped and the queue stays usable. A JoinableQueue
// may be passed where a Queue is expected.
//
// Limits: every live holder that has not closed the queue counts as a possible producer,
// consumers included, so two consumers left alone wait for each other (as in Python): give such
// gets a timeout. Once an item larger than the ring has begun to arrive, get() waits for the rest
// past its timeout, as long as the producer lives. Memory: the ring's pages are touched only as
// items pass (a producer that finds the ring empty wraps back to its start).
#ifndef MULTIPROC_CORE_QUEUES_H_
#define MULTIPROC_CORE_QUEUES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "core/errors.h"
#include "core/queue_codec.h"
#include "core/queue_ring.h"
#include "core/serialization.h"
#include "core/timeout.h"

namespace multiproc {

// The ring size of a new queue; pages are touched only as items pass through.
inline constexpr size_t kDefaultQueueCapacity = size_t{16} << 20;

namespace internal {

// The body shared by the three queue classes: one process-local ring handle per queue, shared
// by the copies made in this process.
template <typename T>
class QueueBase {
 public:
  void put(const T& item, bool block = true, Timeout timeout = std::nullopt) {
    // Not a thread_local kept for reuse: under MinGW its destructor runs on freed storage when the
    // thread ends (see ThisThreadsStream in memory_streams.h).
    std::string bytes;
    EncodeQueueItem(item, bytes);
    ring_->Put(bytes, block, timeout);
  }
  T get(bool block = true, Timeout timeout = std::nullopt) {
    std::string bytes;
    ring_->Get(block, timeout, bytes);
    return DecodeQueueItem<T>(bytes);
  }
  bool empty() const { return ring_->Size() == 0; }
  void close() { ring_->Close(); }

  // For cereal (core/serialization.h): a queue travels as its shared state.
  template <typename Archive>
  void save(Archive& archive) const {
    ring_->Save(static_cast<OutputArchive&>(archive));
  }
  template <typename Archive>
  void load(Archive& archive) {
    ring_ = LoadRing(static_cast<InputArchive&>(archive));
  }

 protected:
  QueueBase(QueueRing::Kind kind, int64_t maxsize, size_t capacity_bytes)
      : kind_(kind), ring_(std::make_shared<QueueRing>(kind, maxsize, capacity_bytes)) {}
  QueueBase(QueueRing::Kind kind, InputArchive& archive) : kind_(kind), ring_(LoadRing(archive)) {}

  std::shared_ptr<QueueRing> LoadRing(InputArchive& archive) const {
    std::shared_ptr<QueueRing> ring = QueueRing::Load(archive);
    // A JoinableQueue is a Queue (as in Python): a Queue parameter takes one, and the ring keeps
    // counting its tasks.
    bool joinable_as_queue =
        kind_ == QueueRing::Kind::kQueue && ring->kind() == QueueRing::Kind::kJoinableQueue;
    if (ring->kind() != kind_ && !joinable_as_queue) {
      throw SerializationError(
          "a received queue is of another kind (Queue, SimpleQueue or JoinableQueue) than the "
          "parameter it is passed to");
    }
    return ring;
  }

  QueueRing::Kind kind_;
  std::shared_ptr<QueueRing> ring_;
};

}  // namespace internal

// Python's multiprocessing.Queue. Many producers and many consumers, in any processes.
template <typename T>
class Queue : public internal::QueueBase<T> {
 public:
  // maxsize <= 0: unbounded. capacity_bytes: the shared ring's size (rounded up to a power of
  // two, 4 KiB .. 1 TiB). ValueError for maxsize > 2^31 - 1 or a capacity out of range.
  explicit Queue(int64_t maxsize = 0, size_t capacity_bytes = kDefaultQueueCapacity)
      : Queue(internal::QueueRing::Kind::kQueue, maxsize, capacity_bytes) {}

  void put_nowait(const T& item) { this->put(item, false); }
  T get_nowait() { return this->get(false); }
  // Exact: the items put and not yet taken (an item being streamed counts once complete).
  int64_t qsize() const { return this->ring_->Size(); }
  bool full() const {
    return this->ring_->maxsize() > 0 && this->ring_->Size() >= this->ring_->maxsize();
  }
  // Kept for Python's API; there is no feeder thread (see the file comment).
  void join_thread() {
    if (!this->ring_->closed()) throw AssertionError("Queue.join_thread: the queue is not closed");
  }
  void cancel_join_thread() {}

  // Builds a received Queue without first making a new one (see ArgumentLoader).
  static Queue LoadFromArchive(internal::InputArchive& archive) {
    return Queue(internal::QueueRing::Kind::kQueue, archive);
  }

 protected:
  Queue(internal::QueueRing::Kind kind, int64_t maxsize, size_t capacity_bytes)
      : internal::QueueBase<T>(kind, maxsize, capacity_bytes) {}
  Queue(internal::QueueRing::Kind kind, internal::InputArchive& archive)
      : internal::QueueBase<T>(kind, archive) {}
};

// Python's multiprocessing.SimpleQueue: put, get, empty and close, no bound and no timeouts.
template <typename T>
class SimpleQueue : public internal::QueueBase<T> {
 public:
  explicit SimpleQueue(size_t capacity_bytes = kDefaultQueueCapacity)
      : internal::QueueBase<T>(internal::QueueRing::Kind::kSimpleQueue, 0, capacity_bytes) {}

  void put(const T& item) { internal::QueueBase<T>::put(item); }
  T get() { return internal::QueueBase<T>::get(); }

  static SimpleQueue LoadFromArchive(internal::InputArchive& archive) {
    return SimpleQueue(archive);
  }

 private:
  explicit SimpleQueue(internal::InputArchive& archive)
      : internal::QueueBase<T>(internal::QueueRing::Kind::kSimpleQueue, archive) {}
};

// Python's multiprocessing.JoinableQueue: a Queue that counts unfinished items. Every put adds
// one; task_done() (called by a consumer once it has processed an item) removes one, and
// ValueError is raised when it is called more often than items were put. join() waits until the
// count is zero. An item lost with a consumer killed while reading it counts as done.
template <typename T>
class JoinableQueue : public Queue<T> {
 public:
  explicit JoinableQueue(int64_t maxsize = 0, size_t capacity_bytes = kDefaultQueueCapacity)
      : Queue<T>(internal::QueueRing::Kind::kJoinableQueue, maxsize, capacity_bytes) {}

  void task_done() { this->ring_->TaskDone(); }
  // Blocks until every item put has been marked done.
  void join() { this->ring_->JoinTasks(std::nullopt); }
  // Beyond Python: waits at most `timeout`; true when every item is done.
  bool join(absl::Duration timeout) { return this->ring_->JoinTasks(timeout); }
  template <typename Rep, typename Period>
  bool join(std::chrono::duration<Rep, Period> timeout) {
    return join(FromChronoDuration(timeout));
  }

  static JoinableQueue LoadFromArchive(internal::InputArchive& archive) {
    return JoinableQueue(archive);
  }

 private:
  explicit JoinableQueue(internal::InputArchive& archive)
      : Queue<T>(internal::QueueRing::Kind::kJoinableQueue, archive) {}
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_QUEUES_H_
