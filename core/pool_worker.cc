#include "core/pool_worker.h"

#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_errors.h"
#include "platform/handle_passing.h"

namespace multiproc::internal {

namespace {

// Resolving walks the loaded modules; a worker sees the same few functions again and again.
class ResolvedCode {
 public:
  const void* Get(const platform::CodeLocation& location) {
    auto key = std::make_pair(location.module, location.offset);
    auto found = cache_.find(key);
    if (found != cache_.end()) return found->second;
    const void* code = ResolveCodeOrThrow(location);
    cache_.emplace(std::move(key), code);
    return code;
  }

 private:
  std::map<std::pair<std::string, uint64_t>, const void*> cache_;
};

// False once the pool can no longer be reached (it closed the channel or died).
bool SendReply(platform::NativeHandle channel, const WorkerConfig& config, const WorkerReply& reply,
               HandleTable& handles) {
  std::string bytes = Encode(handles, reply);
  absl::Status sent = platform::SendHandleMessage(
      channel, config.pool_pid, {reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()},
      handles.values());
  if (absl::IsInvalidArgument(sent) && reply.kind == WorkerReply::Kind::kChunkDone) {
    // Too many handles or bytes for one message: the chunk fails instead of the worker.
    WorkerReply failure;
    failure.kind = WorkerReply::Kind::kChunkFailed;
    failure.chunk_id = reply.chunk_id;
    failure.error = {"multiproc::SerializationError",
                     absl::StrCat("the results cannot be sent: ", sent.message())};
    HandleTable none;
    return SendReply(channel, config, failure, none);
  }
  return sent.ok();
}

WorkerReply RunChunkRequest(const ChunkRequest& chunk, HandleTable& handles,
                            HandleTable& reply_handles, ResolvedCode& code) {
  WorkerReply reply;
  reply.chunk_id = chunk.id;
  try {
    auto runner = reinterpret_cast<ChunkRunner>(const_cast<void*>(code.Get(chunk.runner)));
    const void* function = code.Get(chunk.function);
    std::istringstream input(chunk.arguments, std::ios::binary);
    std::ostringstream output(std::ios::binary);
    {
      InputArchive arguments(handles, input);
      OutputArchive results(reply_handles, output);
      runner(function, arguments, chunk.count, results);
    }
    reply.kind = WorkerReply::Kind::kChunkDone;
    reply.results = std::move(output).str();
  } catch (const SystemExit&) {
    throw;  // multiproc::exit in a task ends the worker, as sys.exit does
  } catch (...) {
    reply.kind = WorkerReply::Kind::kChunkFailed;
    reply.error = CaptureCurrentError();
    reply_handles = HandleTable();
  }
  return reply;
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
  HandleTable no_handles;
  WorkerReply greeting;
  try {
    initialize();
    greeting.kind = WorkerReply::Kind::kReady;
  } catch (const SystemExit&) {
    throw;
  } catch (...) {
    greeting.kind = WorkerReply::Kind::kInitializerFailed;
    greeting.error = CaptureCurrentError();
  }
  if (!SendReply(channel, config, greeting, no_handles) ||
      greeting.kind != WorkerReply::Kind::kReady) {
    return;
  }
  ResolvedCode code;
  uint64_t items_done = 0;
  for (;;) {
    absl::StatusOr<platform::HandleMessage> message = platform::ReceiveHandleMessage(channel);
    if (!message.ok()) return;  // the pool went away
    HandleTable no_handles_in_envelope;
    WorkerRequest request;
    Decode(message->bytes, no_handles_in_envelope, request);
    if (request.stop) return;
    auto next_handle = message->handles.begin();
    for (const ChunkRequest& chunk : request.chunks) {
      size_t available = static_cast<size_t>(message->handles.end() - next_handle);
      if (chunk.handle_count > available) throw SerializationError("a task message lacks handles");
      HandleTable handles(std::vector<platform::OwnedHandle>(
          std::make_move_iterator(next_handle),
          std::make_move_iterator(next_handle + chunk.handle_count)));
      next_handle += chunk.handle_count;
      HandleTable reply_handles;
      WorkerReply reply = RunChunkRequest(chunk, handles, reply_handles, code);
      if (!SendReply(channel, config, reply, reply_handles)) return;
      items_done += chunk.count;
    }
    // The pool sends no more than the budget, so this ends the worker exactly at its limit.
    if (config.maxtasksperchild != 0 && items_done >= config.maxtasksperchild) return;
  }
}

}  // namespace multiproc::internal
