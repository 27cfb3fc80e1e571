// Queue items to bytes and back through core/serialization.h (EncodeInto reuses the queue's
// buffer; Decode checks the bytes hold exactly one item). Items may not carry OS handles:
// SerializationError.
//
//   std::string bytes;
//   internal::EncodeQueueItem(std::string("hello"), bytes);
//   std::string back = internal::DecodeQueueItem<std::string>(bytes);
#ifndef MULTIPROC_CORE_QUEUE_CODEC_H_
#define MULTIPROC_CORE_QUEUE_CODEC_H_

#include <string>

#include "core/errors.h"
#include "core/serialization.h"

namespace multiproc::internal {

// Replaces `bytes` with the encoding of `item`.
template <typename T>
void EncodeQueueItem(const T& item, std::string& bytes) {
  HandleTable handles;
  EncodeInto(bytes, handles, item);
  if (handles.size() != 0) {
    throw SerializationError(
        "a queue item cannot carry OS handles (a Lock, Value, Array, Queue or pipe end); pass "
        "those as Process arguments instead");
  }
}

// SerializationError when `bytes` do not hold exactly one T (Decode's checks).
template <typename T>
T DecodeQueueItem(const std::string& bytes) {
  HandleTable no_handles;
  T item{};
  Decode(bytes, no_handles, item);
  return item;
}

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_QUEUE_CODEC_H_
