// The byte-level machinery under Queue, SimpleQueue and JoinableQueue (core/queues.h): a ring of
// length-prefixed records in shared memory, with the holder table of core/queue_holders.h.
//
// Why a shared-memory ring rather than CPython's pipe + feeder thread: put() copies the item into
// shared memory and returns, so nothing is left buffered in the producer and a producer can exit
// at once (CPython's "joining processes that use queues" deadlock cannot happen), and the
// consumer copies it out without a system call when it does not have to sleep.
//
// Layout: a Header, the QueueHolders table and the ring, in one SharedBlock. Producers take the
// write lock, consumers the read lock (core/queue_lock.h, with owner-death takeover), so at most
// one of each touches the ring at a time and head/tail are single-writer atomics. An item is one
// record of one or more chunks; a chunk is published (the word at its start is set, then tail
// moves) only once it is completely written, so a producer killed mid-put leaves no torn chunk. An
// item that fits in the ring is a single chunk. A larger one streams through in pieces of a quarter
// of the ring while the producer holds the write lock and a consumer reads; the consumer drops a
// partial item whose producer died (it sees the next item's first chunk, or the producer's death),
// and a consumer taking over from a dead consumer skips the rest of the item that one was reading.
// Producers wait for room (maxsize or bytes) without holding the write lock, except while
// streaming, through a waiter count and the `room` semaphore.
//
// Memory: the ring is sparse until touched (Linux memfd; Windows commits but only touches what
// is used), and a producer that finds the ring empty past its first kHotBytes wraps back to the
// start, so a queue that never holds much keeps only its first pages hot.
#ifndef MULTIPROC_CORE_QUEUE_RING_H_
#define MULTIPROC_CORE_QUEUE_RING_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "core/queue_holders.h"
#include "core/queue_lock.h"
#include "core/semlock.h"
#include "core/serialization.h"
#include "core/shared_heap.h"
#include "core/timeout.h"

namespace multiproc::internal {

class QueueRing {
 public:
  enum class Kind : uint32_t { kQueue = 1, kSimpleQueue = 2, kJoinableQueue = 3 };

  static constexpr size_t kMinimumCapacity = size_t{4} << 10;
  static constexpr size_t kMaximumCapacity = size_t{1} << 40;
  static constexpr int64_t kMaximumMaxsize = 0x7fffffff;

  // maxsize <= 0 is unbounded (Python's rule). ValueError for maxsize above kMaximumMaxsize or a
  // capacity outside [kMinimumCapacity, kMaximumCapacity]; the capacity is rounded up to a power
  // of two.
  QueueRing(Kind kind, int64_t maxsize, size_t capacity_bytes);

  // Full when there is no room by the deadline (block = false: at once). ValueError after
  // Close(). An item larger than the ring streams: the timeout covers the wait for its first
  // piece; after that, put waits for consumers as long as it takes.
  void Put(std::string_view item, bool block, Timeout timeout);
  // Empty when nothing arrives by the deadline; EOFError when nothing can arrive any more
  // (see QueueHolders). A streamed item that has begun arriving is waited for past the
  // deadline, as long as its producer lives. ValueError after Close().
  void Get(bool block, Timeout timeout, std::string& item);

  int64_t Size() const;
  int64_t maxsize() const;
  size_t capacity() const;
  Kind kind() const { return kind_; }

  // This process puts and gets no more through this queue (Python's close()).
  void Close();
  bool closed() const { return closed_; }

  // JoinableQueue: Python's task_done() (ValueError when called more often than items were
  // put) and join(): true once every item put has been marked done, false at the deadline.
  void TaskDone();
  bool JoinTasks(Timeout timeout);

  void Save(OutputArchive& archive) const;
  // SerializationError when the received state is malformed.
  static std::shared_ptr<QueueRing> Load(InputArchive& archive);

  // The shared layouts (defined in queue_ring.cc).
  struct Header;
  struct ChunkHeader;

 private:
  // Head and tail are the truth; the three signals only wake sleepers, each paired with a
  // waiter count in the Header, so a process that dies between publishing and signalling costs
  // a sleeper at most one poll interval.
  struct Locks {
    SemLock read;        // the read lock was released (core/queue_lock.h)
    SemLock write;       // the write lock was released
    SemLock data;        // a producer published a chunk
    SemLock room;        // a consumer freed space
    SemLock tasks_done;  // JoinableQueue: the unfinished count reached zero
  };

  QueueRing(Kind kind, SharedBlock block, Locks locks);
  Header& header() const;
  char* ring() const;
  QueueHolders holders() const;
  QueueLock read_lock();   // held by the one consumer reading the ring
  QueueLock write_lock();  // held by the one producer writing it
  void RegisterIfNew(int64_t pid);
  void CheckOpen(const char* operation) const;

  bool HasRoom(uint64_t bytes, bool for_new_item);
  bool RoomHint(uint64_t bytes, bool for_new_item) const;
  bool WaitForRoom(uint64_t bytes, bool for_new_item, absl::Time deadline);
  bool AcquireWriterWithRoom(uint64_t bytes, absl::Time deadline);
  void WrapToStartIfEmpty(uint64_t bytes);
  void PublishChunk(uint32_t flags, const void* payload, uint64_t length, uint64_t item_size);
  void PutStreamed(std::string_view item, absl::Time deadline);

  bool DataAvailable() const;
  std::atomic_ref<uint64_t> PublishedWord(uint64_t position) const;
  bool AwaitData(absl::Time deadline, bool assembling, int64_t writer, int64_t self);
  ChunkHeader ReadChunkHeader();
  void Consume(uint64_t bytes);
  void CountLostItem();
  void TakeItem();

  void CopyIn(uint64_t position, const void* source, size_t size) const;
  void CopyOut(uint64_t position, void* destination, size_t size) const;

  Kind kind_;
  SharedBlock block_;
  Header* header_;  // in block_, looked up once: every operation uses it
  Locks locks_;
  bool closed_ = false;
  int64_t registered_pid_ = 0;
  // The consumers' head as last seen, so that most puts leave its cache line alone. Used only
  // by the write-lock holder.
  uint64_t seen_head_ = 0;
};

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_QUEUE_RING_H_
