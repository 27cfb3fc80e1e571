// Queue items to bytes and back: the same cereal archives as core/serialization.h's Encode and
// Decode, over streams that each thread builds once and points at the item's buffer. A fresh
// std::stringstream per item (locale set-up, two allocations, a copy) cost more than the rest of
// a small item's trip through the queue. Items may not carry OS handles: SerializationError.
//
//   std::string bytes;
//   internal::EncodeQueueItem(std::string("hello"), bytes);
//   std::string back = internal::DecodeQueueItem<std::string>(bytes);
#ifndef MULTIPROC_CORE_QUEUE_CODEC_H_
#define MULTIPROC_CORE_QUEUE_CODEC_H_

#include <istream>
#include <new>
#include <ostream>
#include <streambuf>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/serialization.h"

namespace multiproc::internal {

// Appends what is written to a caller's string.
class AppendingBuffer : public std::streambuf {
 public:
  void Target(std::string* bytes) { bytes_ = bytes; }

 protected:
  std::streamsize xsputn(const char* data, std::streamsize size) override {
    bytes_->append(data, static_cast<size_t>(size));
    return size;
  }
  int_type overflow(int_type character) override {
    if (!traits_type::eq_int_type(character, traits_type::eof())) {
      bytes_->push_back(traits_type::to_char_type(character));
    }
    return character;
  }

 private:
  std::string* bytes_ = nullptr;
};

// Reads a caller's bytes in place.
class ViewingBuffer : public std::streambuf {
 public:
  void Target(const std::string& bytes) {
    char* begin = const_cast<char*>(bytes.data());  // never written: no put area
    setg(begin, begin, begin + bytes.size());
  }
};

// The calling thread's stream over a buffer, built on first use in thread-local storage and never
// destroyed: neither part owns memory (the buffers point at the caller's bytes, the locale is the
// shared global one), so nothing leaks when the thread ends. A thread_local with a destructor
// would be unsafe: under MinGW it runs after emutls has freed the storage (GCC bug 80816) and
// corrupts the heap whenever a thread that used a queue ends.
template <typename Stream, typename Buffer>
struct ThisThreadsStream {
  Buffer buffer;
  Stream stream{&buffer};

  static ThisThreadsStream& Get() {
    alignas(ThisThreadsStream) thread_local unsigned char storage[sizeof(ThisThreadsStream)];
    thread_local ThisThreadsStream* built = nullptr;
    if (built == nullptr) built = new (storage) ThisThreadsStream;
    return *built;
  }
};

// Replaces `bytes` with the encoding of `item`.
template <typename T>
void EncodeQueueItem(const T& item, std::string& bytes) {
  auto& [buffer, stream] = ThisThreadsStream<std::ostream, AppendingBuffer>::Get();
  bytes.clear();
  buffer.Target(&bytes);
  stream.clear();
  HandleTable handles;
  {
    OutputArchive archive(handles, stream);
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
  auto& [buffer, stream] = ThisThreadsStream<std::istream, ViewingBuffer>::Get();
  buffer.Target(bytes);
  stream.clear();
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
