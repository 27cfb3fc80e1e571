#include "core/pool_engine.h"

#include <algorithm>
#include <iostream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/pool_protocol.h"
#include "core/status_errors.h"
#include "core/task_error.h"
#include "platform/handle_passing.h"
#include "platform/pipe.h"
#include "platform/wait.h"

namespace multiproc::internal {

namespace {

constexpr size_t kMaxChunksInFlight = 64;
constexpr size_t kPrefetchBytes = 16 * 1024;
constexpr absl::Duration kPrefetchTaskTime = absl::Milliseconds(1);
// How long Join gives a terminated worker before killing it.
constexpr absl::Duration kTerminateGrace = absl::Seconds(2);
// How many workers in a row may die before they are ready until the pool stops starting them.
constexpr int kDeathsBeforeReadyThatBreak = 3;

std::string DescribeExit(ProcessId pid, std::optional<int> exitcode) {
  if (!exitcode.has_value()) return absl::StrCat("pool worker ", pid, " ended");
  if (*exitcode < 0) return absl::StrCat("pool worker ", pid, " was killed by signal ", -*exitcode);
  return absl::StrCat("pool worker ", pid, " exited with code ", *exitcode);
}

// The exception a failure reply carries.
Failure DecodeFailure(const ParsedReply& reply, const std::string& context) {
  CapturedError error;
  try {
    HandleTable none;
    Decode(std::string(reply.payload), none, error);
  } catch (const SerializationError& malformed) {
    return Failure::Of<SerializationError>(std::string(malformed.what()));
  }
  return RebuildError(error, context);
}

template <typename Later>
void RunAll(Later& later) {
  for (auto& action : later) action();
  later.clear();
}

}  // namespace

PoolEngine::PoolEngine(int processes, uint64_t maxtasksperchild, WorkerFactory make_worker)
    : processes_(processes),
      maxtasksperchild_(maxtasksperchild),
      make_worker_(std::move(make_worker)) {
  absl::StatusOr<platform::PipePair> wake = platform::CreateSimplexPipe();
  ThrowIfError(wake.status(), "creating the pool's wake-up pipe");
  wake_reader_ = std::move(wake->first);
  wake_writer_ = std::move(wake->second);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
      // Before the handler thread exists, so that fork does not copy a multi-threaded process.
      for (int i = 0; i < processes_; ++i) StartWorkerLocked();
    } catch (...) {
      for (auto& worker : workers_) (void)worker->process.kill();
      for (auto& worker : workers_) worker->process.join();
      throw;
    }
  }
  handler_ = std::thread([this] { HandlerLoop(); });
}

PoolEngine::~PoolEngine() {
  try {
    Terminate();
    Join();
  } catch (const std::exception& error) {
    std::cerr << "multiproc: destroying a Pool: " << error.what() << std::endl;
  }
}

void PoolEngine::StartWorkerLocked() {
  absl::StatusOr<platform::PipePair> channel = platform::CreateDuplexPipe();
  ThrowIfError(channel.status(), "creating a pool worker's channel");
  auto worker =
      std::make_unique<Worker>(make_worker_(std::move(channel->second)), std::move(channel->first));
  worker->process.set_daemon(true);
  worker->process.set_name(absl::StrCat("PoolWorker-", worker->process.name()));
  worker->process.start();
  worker->pid = worker->process.pid().value_or(0);
  worker->last_reply = absl::Now();
  workers_.push_back(std::move(worker));
}

void PoolEngine::Submit(std::shared_ptr<Job> job, size_t chunksize) {
  Deferred later;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ != State::kRunning) throw ValueError("Pool not running");
    if (job->size() == 0) return;
    if (broken_) {
      FailLater(Chunk{job, 0, job->size(), nullptr}, *broken_, later);
    } else {
      for (size_t first = 0; first < job->size(); first += chunksize) {
        pending_.push_back(Chunk{job, first, std::min(chunksize, job->size() - first), nullptr});
      }
      DispatchLocked(later);
    }
  }
  RunAll(later);
}

void PoolEngine::FailLater(Chunk chunk, Failure error, Deferred& later) {
  later.push_back(
      [chunk = std::move(chunk), error] { chunk.job->Fail(chunk.first, chunk.count, error); });
}

void PoolEngine::DispatchLocked(Deferred& later) {
  if (workers_.empty()) return;
  // Start each round at another worker so that small jobs spread over the pool.
  size_t start = next_worker_to_fill_++ % workers_.size();
  for (size_t i = 0; i < workers_.size() && !pending_.empty(); ++i) {
    FillWorkerLocked(*workers_[(start + i) % workers_.size()], later);
  }
}

size_t PoolEngine::UnreadBytesLocked(const Worker& worker) const {
  // The message holding the oldest unanswered chunk has been read (or is being read, which does
  // not need us); the messages after it may all still sit in the channel.
  size_t bytes = 0;
  for (size_t i = 1; i < worker.messages.size(); ++i) bytes += worker.messages[i].bytes;
  return bytes;
}

void PoolEngine::FillWorkerLocked(Worker& worker, Deferred& later) {
  if (worker.stop_sent || worker.unreachable || worker.channel_closed) return;
  bool busy = !worker.held.empty();
  if (busy && (!worker.fast || worker.held.size() > kMaxChunksInFlight / 2)) return;
  std::vector<HeldChunk> batch;
  size_t batch_bytes = 0;
  size_t batch_handles = 0;
  while (!pending_.empty() && worker.held.size() + batch.size() < kMaxChunksInFlight) {
    uint64_t budget =
        maxtasksperchild_ == 0 ? UINT64_MAX : maxtasksperchild_ - worker.items_assigned;
    for (const HeldChunk& taken : batch) budget -= taken.chunk.count;
    if (budget == 0) break;
    Chunk& next = pending_.front();
    if (next.count > budget) {
      // Cut the chunk to what the worker may still run before it retires.
      Chunk rest{next.job, next.first + budget, next.count - budget, nullptr};
      next.count = budget;
      next.encoded = nullptr;
      pending_.insert(pending_.begin() + 1, std::move(rest));
    }
    Chunk& chunk = pending_.front();
    if (chunk.encoded == nullptr) {
      auto encoded = std::make_shared<EncodedChunk>();
      try {
        encoded->arguments = EncodeLocked(encoded->handles, [&chunk](OutputArchive& archive) {
          chunk.job->EncodeItems(chunk.first, chunk.count, archive);
        });
      } catch (...) {
        FailLater(std::move(chunk), RebuildError(CaptureCurrentError()), later);
        pending_.pop_front();
        continue;
      }
      chunk.encoded = std::move(encoded);
    }
    size_t bytes = chunk.encoded->arguments.size();
    size_t handles = chunk.encoded->handles.size();
    bool alone = batch.empty() && !busy;
    bool fits = worker.fast && UnreadBytesLocked(worker) + batch_bytes + bytes <= kPrefetchBytes &&
                batch_handles + handles <= platform::kMaxHandlesPerMessage;
    if (!alone && !fits) break;
    if (alone && handles > platform::kMaxHandlesPerMessage) {
      FailLater(std::move(chunk),
                Failure::Of<SerializationError>(
                    absl::StrCat("a chunk's arguments hold ", handles, " handles; at most ",
                                 platform::kMaxHandlesPerMessage, " travel in one message")),
                later);
      pending_.pop_front();
      continue;
    }
    batch_bytes += bytes;
    batch_handles += handles;
    batch.push_back(HeldChunk{next_chunk_id_++, std::move(chunk), 0, absl::Time()});
    pending_.pop_front();
  }
  if (!batch.empty()) SendBatchLocked(worker, std::move(batch), later);
}

std::string PoolEngine::EncodeLocked(HandleTable& handles,
                                     absl::FunctionRef<void(OutputArchive&)> write) {
  std::string bytes;
  encode_writer_.Reset(&bytes);
  encode_output_.clear();
  OutputArchive archive(handles, encode_output_);
  write(archive);
  return bytes;
}

void PoolEngine::SendBatchLocked(Worker& worker, std::vector<HeldChunk> batch, Deferred& later) {
  WorkerRequest request;
  std::vector<platform::NativeHandle> handles;
  for (const HeldChunk& held : batch) {
    ChunkRequest chunk;
    chunk.id = held.id;
    chunk.runner = held.chunk.job->runner();
    chunk.function = held.chunk.job->function();
    chunk.count = static_cast<uint32_t>(held.chunk.count);
    chunk.arguments = held.chunk.encoded->arguments;
    chunk.handle_count = static_cast<uint32_t>(held.chunk.encoded->handles.size());
    request.chunks.push_back(std::move(chunk));
    for (platform::NativeHandle value : held.chunk.encoded->handles.values()) {
      handles.push_back(value);
    }
  }
  HandleTable no_handles;
  std::string bytes =
      EncodeLocked(no_handles, [&request](OutputArchive& archive) { archive(request); });
  absl::Status sent = platform::SendHandleMessage(
      worker.channel.get(), worker.pid,
      {reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()}, handles);
  if (!sent.ok()) {
    if (absl::IsInvalidArgument(sent)) {
      // Larger than one message may be: the chunks cannot travel.
      for (HeldChunk& held : batch) {
        FailLater(std::move(held.chunk),
                  Failure::Of<SerializationError>(
                      absl::StrCat("cannot send a task to a pool worker: ", sent.message())),
                  later);
      }
      return;
    }
    // The worker is going away; its exit is handled when its sentinel fires.
    worker.unreachable = true;
    for (auto held = batch.rbegin(); held != batch.rend(); ++held) {
      held->chunk.encoded = nullptr;  // the handles went nowhere; encode again for another worker
      pending_.push_front(std::move(held->chunk));
    }
    return;
  }
  absl::Time now = absl::Now();
  uint64_t sequence = worker.next_message++;
  worker.messages.push_back(SentMessage{sequence, bytes.size(), batch.size()});
  for (HeldChunk& held : batch) {
    worker.items_assigned += held.chunk.count;
    held.chunk.encoded = nullptr;  // the worker has its own copies of the handles now
    held.message = sequence;
    held.sent = now;
    worker.held.push_back(std::move(held));
  }
}

void PoolEngine::StopIdleWorkersWhenClosedLocked() {
  if (state_ != State::kClosed || !pending_.empty()) return;
  for (const auto& worker : workers_) {
    if (!worker->held.empty()) return;
  }
  WorkerRequest stop;
  stop.stop = true;
  HandleTable no_handles;
  std::string bytes = Encode(no_handles, stop);
  for (const auto& worker : workers_) {
    if (worker->stop_sent) continue;
    worker->stop_sent = true;
    // A worker that cannot hear it is exiting anyway.
    (void)platform::SendHandleMessage(
        worker->channel.get(), worker->pid,
        {reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()}, {});
  }
}

void PoolEngine::FailOutstandingLocked(const Failure& error, Deferred& later) {
  while (!pending_.empty()) {
    FailLater(std::move(pending_.front()), error, later);
    pending_.pop_front();
  }
  for (const auto& worker : workers_) {
    for (HeldChunk& held : worker->held) FailLater(std::move(held.chunk), error, later);
    worker->held.clear();
    worker->messages.clear();
  }
}

void PoolEngine::BreakLocked(Failure error, Deferred& later) {
  if (broken_) return;
  broken_ = error;
  FailOutstandingLocked(error, later);
  for (const auto& worker : workers_) {
    worker->stop_sent = true;
    (void)worker->process.kill();
  }
}

void PoolEngine::Close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == State::kRunning) state_ = State::kClosed;
    StopIdleWorkersWhenClosedLocked();
  }
  Wake();
}

void PoolEngine::Terminate() {
  Deferred later;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == State::kTerminated) return;
    state_ = State::kTerminated;
    auto error = Failure::Of<ProcessError>("the pool was terminated before this task completed");
    FailOutstandingLocked(error, later);
    for (const auto& worker : workers_) (void)worker->process.terminate();
  }
  Wake();
  RunAll(later);
}

void PoolEngine::Join() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == State::kRunning) throw ValueError("Pool is still running");
  }
  std::lock_guard<std::mutex> join_lock(join_mutex_);
  if (joined_) return;
  if (handler_.joinable()) handler_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& worker : workers_) {
    worker->process.join(kTerminateGrace);
    if (!worker->process.exitcode().has_value()) {
      (void)worker->process.kill();
      worker->process.join();
    }
  }
  workers_.clear();
  joined_ = true;
}

void PoolEngine::Wake() {
  const char byte = 'w';
  (void)platform::WriteAll(wake_writer_.get(), {reinterpret_cast<const std::byte*>(&byte), 1});
}

bool PoolEngine::HandlerShouldExitLocked() const {
  return state_ == State::kTerminated || (state_ == State::kClosed && workers_.empty());
}

void PoolEngine::HandlerLoop() {
  for (;;) {
    std::vector<platform::NativeHandle> handles{wake_reader_.get()};
    std::vector<std::pair<Worker*, bool>> watched{{nullptr, false}};  // (worker, is its sentinel)
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (HandlerShouldExitLocked()) return;
      for (const auto& worker : workers_) {
        if (!worker->channel_closed) {
          handles.push_back(worker->channel.get());
          watched.emplace_back(worker.get(), false);
        }
        handles.push_back(worker->process.sentinel());
        watched.emplace_back(worker.get(), true);
      }
    }
    absl::StatusOr<std::vector<size_t>> ready =
        platform::WaitForAny(handles, absl::InfiniteDuration());
    if (!ready.ok()) {
      std::cerr << "multiproc: the pool's result handler cannot wait: " << ready.status()
                << std::endl;
      absl::SleepFor(absl::Milliseconds(10));
      continue;
    }
    std::vector<Worker*> exited;
    for (size_t index : *ready) {
      auto [worker, is_sentinel] = watched[index];
      if (worker == nullptr) {
        char drained[64];
        (void)platform::ReadSome(wake_reader_.get(),
                                 {reinterpret_cast<std::byte*>(drained), sizeof(drained)});
      } else if (is_sentinel) {
        exited.push_back(worker);
      } else {
        ReadRepliesWaiting(*worker);
      }
    }
    for (Worker* worker : exited) OnWorkerExit(*worker);
  }
}

void PoolEngine::ReadRepliesWaiting(Worker& worker) {
  // A busy worker's replies queue up while we handle one: take them without another round of
  // WaitForAny over every worker (bounded, so the other workers get their turn). Replies already
  // read ahead must all be taken here: WaitForAny cannot see them.
  for (int reads = 0; ReadReply(worker);) {
    if (worker.replies.HasBufferedMessage()) continue;
    if (++reads == 32 || !ReplyWaiting(worker)) return;
  }
}

bool PoolEngine::ReplyWaiting(Worker& worker) {
  if (worker.replies.HasBufferedMessage()) return true;
  absl::StatusOr<bool> readable =
      platform::WaitReadable(worker.channel.get(), absl::ZeroDuration());
  return readable.ok() && *readable;
}

bool PoolEngine::ReadReply(Worker& worker) {
  absl::StatusOr<platform::HandleMessage> message = worker.replies.Receive();
  if (!message.ok()) {
    std::lock_guard<std::mutex> lock(mutex_);
    worker.channel_closed = true;  // a dead worker; its sentinel tells the rest
    return false;
  }
  HandleTable handles(std::move(message->handles));
  ParsedReply reply;
  try {
    reply = ParseReply(message->bytes);
  } catch (const SerializationError& error) {
    std::cerr << "multiproc: a pool worker sent a malformed reply: " << error.what() << std::endl;
    return true;
  }
  Deferred later;
  switch (reply.kind) {
    case ReplyKind::kReady: {
      std::lock_guard<std::mutex> lock(mutex_);
      worker.ready = true;
      deaths_before_ready_in_a_row_ = 0;
      break;
    }
    case ReplyKind::kInitializerFailed: {
      Failure error = DecodeFailure(reply, "the pool's initializer failed: ");
      std::lock_guard<std::mutex> lock(mutex_);
      worker.stop_sent = true;  // it ends by itself
      BreakLocked(error, later);
      break;
    }
    case ReplyKind::kChunkDone:
    case ReplyKind::kChunkFailed:
      OnChunkReply(worker, reply, handles);
      break;
  }
  RunAll(later);
  return true;
}

void PoolEngine::OnChunkReply(Worker& worker, const ParsedReply& reply, HandleTable& handles) {
  std::optional<Chunk> answered;
  Deferred later;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto held =
        std::find_if(worker.held.begin(), worker.held.end(),
                     [&reply](const HeldChunk& chunk) { return chunk.id == reply.chunk_id; });
    if (held == worker.held.end()) return;  // failed already (terminate, broken pool)
    absl::Time now = absl::Now();
    worker.fast = now - std::max(held->sent, worker.last_reply) < kPrefetchTaskTime;
    worker.last_reply = now;
    for (SentMessage& message : worker.messages) {
      if (message.sequence == held->message) --message.unanswered;
    }
    while (!worker.messages.empty() && worker.messages.front().unanswered == 0) {
      worker.messages.pop_front();
    }
    answered = std::move(held->chunk);
    worker.held.erase(held);
    // Feed the worker before decoding: it computes while we deliver.
    if (state_ != State::kTerminated && !broken_) DispatchLocked(later);
    StopIdleWorkersWhenClosedLocked();
  }
  Job& job = *answered->job;
  if (reply.kind == ReplyKind::kChunkFailed) {
    job.Fail(answered->first, answered->count, DecodeFailure(reply, ""));
  } else {
    try {
      reply_reader_.Reset(reply.payload);
      reply_input_.clear();
      InputArchive results(handles, reply_input_);
      job.Complete(answered->first, answered->count, results);
    } catch (...) {
      job.Fail(answered->first, answered->count,
               RebuildError(CaptureCurrentError(), "cannot decode a task's result: "));
    }
  }
  RunAll(later);
}

void PoolEngine::OnWorkerExit(Worker& worker) {
  // Everything the worker said before it died is in the channel: hear it first.
  while (!worker.channel_closed && ReplyWaiting(worker) && ReadReply(worker)) {
  }
  Deferred later;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    worker.process.join();
    std::string death = DescribeExit(worker.pid, worker.process.exitcode());
    std::deque<HeldChunk> held = std::move(worker.held);
    bool was_ready = worker.ready;
    bool died_initializing = !worker.ready && !worker.stop_sent;
    auto position = std::find_if(workers_.begin(), workers_.end(),
                                 [&worker](const auto& slot) { return slot.get() == &worker; });
    workers_.erase(position);  // `worker` is gone from here on
    if (state_ == State::kTerminated) return;
    // One worker lost while starting is a worker to replace (a stranger's kill -9 must not end
    // the pool); several in a row are an initializer that cannot succeed, which would otherwise
    // respawn forever.
    if (died_initializing && ++deaths_before_ready_in_a_row_ >= kDeathsBeforeReadyThatBreak) {
      BreakLocked(Failure::Of<WorkerLostError>(absl::StrCat(
                      death, " before it was ready, the last of ", kDeathsBeforeReadyThatBreak,
                      " workers in a row to die so; the pool stops starting workers")),
                  later);
    }
    // A ready worker was running its oldest chunk; the chunks behind it, and every chunk of a
    // worker that was not ready yet, never started and go to another worker.
    size_t first_unstarted = 0;
    if (was_ready && !held.empty()) {
      FailLater(std::move(held.front().chunk),
                Failure::Of<WorkerLostError>(absl::StrCat(death, " while running a task")), later);
      first_unstarted = 1;
    }
    for (size_t i = held.size(); i-- > first_unstarted;) {
      held[i].chunk.encoded = nullptr;
      if (broken_) {
        FailLater(std::move(held[i].chunk), *broken_, later);
      } else {
        pending_.push_front(std::move(held[i].chunk));
      }
    }
    bool work_left = state_ == State::kRunning || !pending_.empty();
    if (!broken_ && work_left && static_cast<int>(workers_.size()) < processes_) {
      try {
        StartWorkerLocked();
      } catch (...) {
        BreakLocked(RebuildError(CaptureCurrentError(), "cannot start a pool worker: "), later);
      }
    }
    if (!broken_) DispatchLocked(later);
    StopIdleWorkersWhenClosedLocked();
  }
  RunAll(later);
}

}  // namespace multiproc::internal
