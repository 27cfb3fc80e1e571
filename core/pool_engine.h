// The non-template heart of Pool: the worker processes, the queue of pending chunks, which chunks
// each worker holds, and the result-handler thread. Pool (pool.h) turns typed calls into Jobs and
// hands them here.
//
// Scheduling: the pool pushes chunks to workers over one duplex channel each (no shared task
// queue), so it always knows which chunks a worker holds. A worker answers every chunk before it
// starts the next; when its process ends, the channel is drained first, then the oldest chunk it
// still held is the one it was running: that chunk fails with WorkerLostError, the chunks queued
// behind it go back to the front of the queue, and a replacement worker starts. Nothing waits
// for a reply that cannot come (CPython's Pool hangs here).
//
// Fast tasks are prefetched: a worker whose last chunk took under a millisecond gets up to 64
// chunks in flight, sent in batches, while a worker running slow tasks gets one at a time so that
// no task waits behind a slow one while another worker idles. The bytes queued behind a running
// chunk stay under 16 KiB, so a send to a busy worker never blocks (the pool and a worker both
// blocked writing to each other would deadlock).
#ifndef MULTIPROC_CORE_POOL_ENGINE_H_
#define MULTIPROC_CORE_POOL_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "core/handle_table.h"
#include "core/memory_streams.h"
#include "core/pool_job.h"
#include "core/pool_protocol.h"
#include "core/process.h"
#include "core/task_error.h"
#include "platform/handle.h"
#include "platform/handle_message_receiver.h"

namespace multiproc::internal {

// Makes (without starting) a worker Process that will serve the pool over `channel`.
using WorkerFactory = std::function<Process(platform::OwnedHandle channel)>;

class PoolEngine {
 public:
  // Starts `processes` workers. maxtasksperchild: items per worker, 0 for no limit.
  PoolEngine(int processes, uint64_t maxtasksperchild, WorkerFactory make_worker);
  PoolEngine(const PoolEngine&) = delete;
  PoolEngine& operator=(const PoolEngine&) = delete;
  // Terminates and joins unless join() already ran.
  ~PoolEngine();

  // Queues `job` in chunks of `chunksize` items. ValueError once closed or terminated.
  void Submit(std::shared_ptr<Job> job, size_t chunksize);

  void Close();
  void Terminate();
  // ValueError while running; otherwise waits for the workers to end.
  void Join();

  int processes() const { return processes_; }

 private:
  enum class State { kRunning, kClosed, kTerminated };

  struct EncodedChunk {
    std::string arguments;
    HandleTable handles;
  };
  struct Chunk {
    std::shared_ptr<Job> job;
    size_t first = 0;
    size_t count = 0;
    std::shared_ptr<EncodedChunk> encoded;  // made when first sent, kept if put back unsent
  };
  struct HeldChunk {
    uint64_t id = 0;
    Chunk chunk;
    uint64_t message = 0;
    absl::Time sent;
  };
  struct SentMessage {
    uint64_t sequence = 0;
    size_t bytes = 0;
    size_t unanswered = 0;
  };
  struct Worker {
    Worker(Process unstarted, platform::OwnedHandle own_end)
        : process(std::move(unstarted)), channel(std::move(own_end)), replies(channel.get()) {}
    Process process;
    platform::OwnedHandle channel;
    // Replies are read ahead (the handler is the only reader): many small replies per read.
    platform::HandleMessageReceiver replies;
    ProcessId pid = 0;
    bool ready = false;           // the initializer succeeded
    bool channel_closed = false;  // end of stream seen: stop watching the channel
    bool unreachable = false;     // a send failed: the worker is going away
    bool stop_sent = false;
    bool fast = false;  // its last chunk took less than kPrefetchTaskTime
    uint64_t items_assigned = 0;
    absl::Time last_reply;
    std::deque<HeldChunk> held;
    std::deque<SentMessage> messages;
    uint64_t next_message = 0;
  };

  // Work to do after the mutex is released: results and failures run user callbacks.
  using Deferred = std::vector<std::function<void()>>;

  void StartWorkerLocked();
  void DispatchLocked(Deferred& later);
  void FillWorkerLocked(Worker& worker, Deferred& later);
  bool TakeIntoBatchLocked(Worker& worker, size_t batch_bytes, size_t batch_handles,
                           bool batch_empty, Deferred& later);
  void SendBatchLocked(Worker& worker, std::vector<HeldChunk> batch, Deferred& later);
  size_t UnreadBytesLocked(const Worker& worker) const;
  void StopIdleWorkersWhenClosedLocked();
  // Fails every queued and held chunk with `error`.
  void FailOutstandingLocked(const Failure& error, Deferred& later);
  void BreakLocked(Failure error, Deferred& later);
  void FailLater(Chunk chunk, Failure error, Deferred& later);

  void HandlerLoop();
  // Reads one message from `worker`. False when the channel ended.
  bool ReadReply(Worker& worker);
  // Reads the messages `worker` has queued, at least one.
  void ReadRepliesWaiting(Worker& worker);
  // Whether a reply from `worker` can be read without blocking (read ahead, or in the channel).
  bool ReplyWaiting(Worker& worker);
  void OnChunkReply(Worker& worker, const ParsedReply& reply, HandleTable& handles);
  void OnWorkerExit(Worker& worker);
  bool HandlerShouldExitLocked() const;
  void Wake();

  const int processes_;
  const uint64_t maxtasksperchild_;
  WorkerFactory make_worker_;

  std::mutex mutex_;
  State state_ = State::kRunning;
  std::optional<Failure> broken_;         // once set, every task fails with it and no worker starts
  int deaths_before_ready_in_a_row_ = 0;  // reset when a worker becomes ready
  std::deque<Chunk> pending_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uint64_t next_chunk_id_ = 1;
  size_t next_worker_to_fill_ = 0;

  // What `write` writes to an archive over `handles`, through encode_output_.
  std::string EncodeLocked(HandleTable& handles, absl::FunctionRef<void(OutputArchive&)> write);

  // Streams built once (see memory_streams.h): for encoding, used under mutex_; for reading
  // replies, used by the result-handler thread only.
  StringWriter encode_writer_;
  std::ostream encode_output_{&encode_writer_};
  MemoryReader reply_reader_;
  std::istream reply_input_{&reply_reader_};

  platform::OwnedHandle wake_reader_;
  platform::OwnedHandle wake_writer_;
  std::thread handler_;
  std::mutex join_mutex_;
  bool joined_ = false;
};

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_POOL_ENGINE_H_
