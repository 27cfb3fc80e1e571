// Queue items to bytes and back: the same cereal archives as core/serialization.h's Encode and
// Decode, over the same per-thread streams (memory_streams.h), writing into a buffer the queue
// keeps. Items may not carry OS handles: SerializationError.
//
//   std::string bytes;
//   internal::EncodeQueueItem(std::string("hello"), bytes);
//   std::string back = internal::DecodeQueueItem<std::string>(bytes);
#ifndef MULTIPROC_CORE_QUEUE_CODEC_H_
#define MULTIPROC_CORE_QUEUE_CODEC_H_

#include <istream>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/memory_streams.h"
#include "core/serialization.h"

namespace multiproc::internal {

// Replaces `bytes` with the encoding of `item`.
template <typename T>
void EncodeQueueItem(const T& item, std::string& bytes) {
  WritingLease lease;
  bytes.clear();
  lease.buffer().Reset(&bytes);
  HandleTable handles;
  {
    OutputArchive archive(handles, lease.stream());
    archive(item);
  }
  if (handles.size() != 0) {
    throw SerializationError(
        "a queue item cannot carry OS handles (a Lock, Value, Array, Queue or pipe end); pass "
        "those as Process arguments instead");
  }
}

// SerializationError when `bytes` do not hold exactly one T.
template <typename T>
T DecodeQueueItem(const std::string& bytes) {
  ReadingLease lease;
  lease.buffer().Reset(bytes);
  std::istream& stream = lease.stream();
  HandleTable no_handles;
  T item{};
  try {
    InputArchive archive(no_handles, stream);
    archive(item);
  } catch (const cereal::Exception& error) {
    throw SerializationError(
        absl::StrCat("cannot decode a ", bytes.size(), "-byte queue item: ", error.what()));
  }
  if (stream.peek() != std::istream::traits_type::eof()) {
    throw SerializationError(
        absl::StrCat("a ", bytes.size(), "-byte queue item holds more than the queue's item type"));
  }
  return item;
}

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_QUEUE_CODEC_H_
