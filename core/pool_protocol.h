// The messages between a Pool and its workers, and the typed code that runs a chunk of items in
// a worker. Every message travels by platform::SendHandleMessage, so the handles of shareable
// objects (Locks, Values, Pipe ends...) ride along in either direction.
//
//   pool -> worker: WorkerRequest  (a batch of chunks, or stop)
//   worker -> pool: a reply        (ready / initializer failed / a chunk's results or error)
//
// A chunk names its runner, RunChunk<R, P...> instantiated for the task function's signature,
// and the function, both by platform::CodeLocation; its items are the encoded arguments, one
// after the other in one archive.
#ifndef MULTIPROC_CORE_POOL_PROTOCOL_H_
#define MULTIPROC_CORE_POOL_PROTOCOL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/async_result.h"
#include "core/serialization.h"
#include "core/task_error.h"
#include "platform/code_location.h"
#include "platform/process.h"

namespace multiproc::internal {

// What every worker is told when it starts (beside its channel and the initializer's arguments).
struct WorkerConfig {
  std::optional<platform::CodeLocation> initializer;
  uint64_t maxtasksperchild = 0;  // items; 0 means no limit
  platform::ProcessId pool_pid = 0;

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(initializer, maxtasksperchild, pool_pid);
  }
};

struct ChunkRequest {
  uint64_t id = 0;
  platform::CodeLocation runner;
  platform::CodeLocation function;
  uint32_t count = 0;
  std::string arguments;      // encoded with this chunk's own handles:
  uint32_t handle_count = 0;  // the next handle_count of the message's handles, in order

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(id, runner, function, count, arguments, handle_count);
  }
};

struct WorkerRequest {
  bool stop = false;
  std::vector<ChunkRequest> chunks;

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(stop, chunks);
  }
};

// A worker's reply is framed by hand rather than by an archive, so that a chunk's results are
// encoded straight after the header into the message (no copy, no extra stream): one byte of
// kind, eight of chunk id (native order: both ends are the same program on the same machine),
// then the payload: the results for kChunkDone, an encoded CapturedError for the failures,
// nothing for kReady.
enum class ReplyKind : uint8_t { kReady, kInitializerFailed, kChunkDone, kChunkFailed };

inline constexpr size_t kReplyHeaderBytes = 1 + sizeof(uint64_t);

// Replaces `message` with a header for (kind, chunk_id); append the payload after it.
void StartReply(std::string& message, ReplyKind kind, uint64_t chunk_id);

struct ParsedReply {
  ReplyKind kind = ReplyKind::kReady;
  uint64_t chunk_id = 0;
  absl::string_view payload;  // points into the message
};

// SerializationError for a message too short or of an unknown kind.
ParsedReply ParseReply(const std::string& message);

// Decodes `count` items' arguments from `arguments`, calls the function at `function` on each
// and encodes the results into `results`. Throws whatever decoding, the function or encoding
// throws; the chunk then fails as a whole (as in CPython, where a chunk is one task).
using ChunkRunner = void (*)(const void* function, InputArchive& arguments, uint32_t count,
                             OutputArchive& results);

template <typename R, typename... P>
void RunChunk(const void* function, InputArchive& arguments, uint32_t count,
              OutputArchive& results) {
  auto call = reinterpret_cast<R (*)(P...)>(const_cast<void*>(function));
  for (uint32_t i = 0; i < count; ++i) {
    // Braced initialization loads the parameters left to right, the order they were written.
    std::tuple<std::decay_t<P>...> values{ArgumentLoader<std::decay_t<P>>::Load(arguments)...};
    if constexpr (std::is_void_v<R>) {
      std::apply([call](auto&... value) { call(std::forward<P>(value)...); }, values);
    } else {
      StoredResult<R> result =
          std::apply([call](auto&... value) { return call(std::forward<P>(value)...); }, values);
      results(result);
    }
  }
}

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_POOL_PROTOCOL_H_
