#include "core/pool_protocol.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/errors.h"

namespace multiproc::internal {

void StartReply(std::string& message, ReplyKind kind, uint64_t chunk_id) {
  message.clear();
  message.push_back(static_cast<char>(kind));
  message.append(reinterpret_cast<const char*>(&chunk_id), sizeof(chunk_id));
}

ParsedReply ParseReply(const std::string& message) {
  if (message.size() < kReplyHeaderBytes) {
    throw SerializationError(absl::StrCat("a pool reply of ", message.size(), " bytes"));
  }
  ParsedReply reply;
  uint8_t kind = static_cast<uint8_t>(message[0]);
  if (kind > static_cast<uint8_t>(ReplyKind::kChunkFailed)) {
    throw SerializationError(absl::StrCat("a pool reply of unknown kind ", kind));
  }
  reply.kind = static_cast<ReplyKind>(kind);
  std::memcpy(&reply.chunk_id, message.data() + 1, sizeof(reply.chunk_id));
  reply.payload = absl::string_view(message).substr(kReplyHeaderBytes);
  return reply;
}

}  // namespace multiproc::internal
