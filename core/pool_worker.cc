#include "core/pool_worker.h"

#include <iterator>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/memory_streams.h"
#include "core/status_errors.h"
#include "platform/handle_message_receiver.h"
#include "platform/handle_passing.h"

namespace multiproc::internal {

namespace {

// Runs chunks, reusing its streams and resolved functions from one chunk to the next.
class ChunkExecutor {
 public:
  ChunkExecutor() : input_(&reader_), output_(&writer_) {}

  void DecodeRequest(const std::string& bytes, WorkerRequest& request) {
    reader_.Reset(bytes);
    input_.clear();
    HandleTable no_handles_in_envelope;
    try {
      InputArchive archive(no_handles_in_envelope, input_);
      archive(request);
    } catch (const cereal::Exception& error) {
      throw SerializationError(absl::StrCat("a malformed task message: ", error.what()));
    }
  }

  // Writes the reply for `chunk` into `message`, the results' handles into `reply_handles`.
  void Run(const ChunkRequest& chunk, HandleTable& handles, HandleTable& reply_handles,
           std::string& message) {
    StartReply(message, ReplyKind::kChunkDone, chunk.id);
    try {
      auto runner = reinterpret_cast<ChunkRunner>(const_cast<void*>(Resolve(chunk.runner)));
      const void* function = Resolve(chunk.function);
      reader_.Reset(chunk.arguments);
      input_.clear();
      output_.clear();
      writer_.Reset(&message);
      InputArchive arguments(handles, input_);
      OutputArchive results(reply_handles, output_);
      runner(function, arguments, chunk.count, results);
    } catch (const SystemExit&) {
      throw;  // multiproc::exit in a task ends the worker, as sys.exit does
    } catch (...) {
      reply_handles = HandleTable();
      AppendFailure(message, ReplyKind::kChunkFailed, chunk.id, CaptureCurrentError());
    }
  }

  static void AppendFailure(std::string& message, ReplyKind kind, uint64_t chunk_id,
                            const CapturedError& error) {
    StartReply(message, kind, chunk_id);
    HandleTable none;
    message += Encode(none, error);
  }

 private:
  // Resolving walks the loaded modules; a worker sees the same few functions again and again.
  const void* Resolve(const platform::CodeLocation& location) {
    if (location.offset == last_offset_ && location.module == last_module_) return last_code_;
    auto key = std::make_pair(location.module, location.offset);
    auto found = cache_.find(key);
    const void* code = found != cache_.end()
                           ? found->second
                           : cache_.emplace(key, ResolveCodeOrThrow(location)).first->second;
    last_module_ = location.module;
    last_offset_ = location.offset;
    last_code_ = code;
    return code;
  }

  MemoryReader reader_;
  StringWriter writer_;
  std::istream input_;
  std::ostream output_;
  std::map<std::pair<std::string, uint64_t>, const void*> cache_;
  std::string last_module_;
  uint64_t last_offset_ = UINT64_MAX;
  const void* last_code_ = nullptr;
};

// False once the pool can no longer be reached (it closed the channel or died).
bool SendReply(platform::NativeHandle channel, const WorkerConfig& config,
               const std::string& message, const HandleTable& handles) {
  absl::Status sent = platform::SendHandleMessage(
      channel, config.pool_pid,
      {reinterpret_cast<const std::byte*>(message.data()), message.size()}, handles.values());
  if (absl::IsInvalidArgument(sent)) {
    // Too many handles or bytes for one message: the chunk fails instead of the worker.
    std::string failure;
    ParsedReply parsed = ParseReply(message);
    ChunkExecutor::AppendFailure(failure, ReplyKind::kChunkFailed, parsed.chunk_id,
                                 {"multiproc::SerializationError",
                                  absl::StrCat("the results cannot be sent: ", sent.message())});
    return SendReply(channel, config, failure, HandleTable());
  }
  return sent.ok();
}

}  // namespace

const void* ResolveCodeOrThrow(const platform::CodeLocation& location) {
  absl::StatusOr<const void*> code = platform::ResolveCode(location);
  if (!code.ok()) {
    throw BootstrapError(absl::StrCat("a pool worker cannot find a function the pool sent: ",
                                      code.status().message()));
  }
  return *code;
}

void RunWorkerLoop(platform::NativeHandle channel, const WorkerConfig& config,
                   absl::FunctionRef<void()> initialize) {
  std::string message;
  try {
    initialize();
    StartReply(message, ReplyKind::kReady, 0);
  } catch (const SystemExit&) {
    throw;
  } catch (...) {
    ChunkExecutor::AppendFailure(message, ReplyKind::kInitializerFailed, 0, CaptureCurrentError());
  }
  if (!SendReply(channel, config, message, HandleTable()) ||
      ParseReply(message).kind != ReplyKind::kReady) {
    return;
  }
  ChunkExecutor executor;
  // This loop is the channel's only reader from here on, so it may read ahead.
  platform::HandleMessageReceiver requests(channel);
  uint64_t items_done = 0;
  for (;;) {
    absl::StatusOr<platform::HandleMessage> received = requests.Receive();
    if (!received.ok()) return;  // the pool went away
    WorkerRequest request;
    executor.DecodeRequest(received->bytes, request);
    if (request.stop) return;
    auto next_handle = received->handles.begin();
    for (const ChunkRequest& chunk : request.chunks) {
      size_t available = static_cast<size_t>(received->handles.end() - next_handle);
      if (chunk.handle_count > available) throw SerializationError("a task message lacks handles");
      HandleTable handles(std::vector<platform::OwnedHandle>(
          std::make_move_iterator(next_handle),
          std::make_move_iterator(next_handle + chunk.handle_count)));
      next_handle += chunk.handle_count;
      HandleTable reply_handles;
      executor.Run(chunk, handles, reply_handles, message);
      if (!SendReply(channel, config, message, reply_handles)) return;
      items_done += chunk.count;
    }
    // The pool sends no more than the budget, so this ends the worker exactly at its limit.
    if (config.maxtasksperchild != 0 && items_done >= config.maxtasksperchild) return;
  }
}

}  // namespace multiproc::internal
