// Stream buffers over memory the caller owns, for cereal archives on hot paths. Constructing a
// std::istringstream or std::ostringstream costs a locale and several dynamic_casts each time; a
// pool worker answering tens of thousands of chunks a second keeps one std::istream and one
// std::ostream and points them at each message instead.
//
//   MemoryReader reader;
//   std::istream input(&reader);
//   reader.Reset(bytes);           // then read `bytes` through `input`
//   StringWriter writer;
//   std::ostream output(&writer);
//   writer.Reset(&destination);    // appends to `destination`
//
// ThisThreadsStream gives each thread one such stream, for code without an object to keep it in;
// StreamLease lends it out, or a fresh stream while it is already lent further up the stack.
#ifndef MULTIPROC_CORE_MEMORY_STREAMS_H_
#define MULTIPROC_CORE_MEMORY_STREAMS_H_

#include <istream>
#include <memory>
#include <new>
#include <ostream>
#include <streambuf>
#include <string>

#include "absl/strings/string_view.h"

namespace multiproc::internal {

class MemoryReader : public std::streambuf {
 public:
  // Reads `bytes` from the start; they must outlive the reading.
  void Reset(absl::string_view bytes) {
    char* begin = const_cast<char*>(bytes.data());
    setg(begin, begin, begin + bytes.size());
  }
  size_t consumed() const { return static_cast<size_t>(gptr() - eback()); }
  // Whether every byte has been read. Asked of the buffer, not the stream: istream::peek is a
  // library call a fork child would be the first to make, and its lazy binding would fault in
  // the symbol tables of every loaded library (see ForkSpawner).
  bool exhausted() const { return gptr() == egptr(); }
};

class StringWriter : public std::streambuf {
 public:
  void Reset(std::string* destination) { destination_ = destination; }

 protected:
  std::streamsize xsputn(const char* bytes, std::streamsize count) override {
    destination_->append(bytes, static_cast<size_t>(count));
    return count;
  }
  int_type overflow(int_type byte) override {
    if (!traits_type::eq_int_type(byte, traits_type::eof())) {
      destination_->push_back(traits_type::to_char_type(byte));
    }
    return traits_type::not_eof(byte);
  }

 private:
  std::string* destination_ = nullptr;
};

// The calling thread's stream over a buffer, built on first use in thread-local storage and never
// destroyed: neither part owns memory (the buffers point at the caller's bytes, the locale is the
// shared global one), so nothing leaks when the thread ends. A thread_local with a destructor
// would be unsafe: under MinGW it runs after emutls has freed the storage (GCC bug 80816) and
// corrupts the heap whenever a thread that used it ends.
template <typename Stream, typename Buffer>
struct ThisThreadsStream {
  Buffer buffer;
  Stream stream{&buffer};
  bool lent = false;

  static ThisThreadsStream& Get() {
    alignas(ThisThreadsStream) thread_local unsigned char storage[sizeof(ThisThreadsStream)];
    thread_local ThisThreadsStream* built = nullptr;
    if (built == nullptr) built = new (storage) ThisThreadsStream;
    return *built;
  }
};

// The calling thread's stream for as long as this object lives, or, when that stream is already
// lent (a serializer encoding a nested message while the outer one is being written), a fresh one.
// The stream starts with its state cleared; the caller points its buffer at the bytes.
template <typename Stream, typename Buffer>
class StreamLease {
 public:
  StreamLease() : threads_(ThisThreadsStream<Stream, Buffer>::Get()) {
    if (threads_.lent) {
      own_ = std::make_unique<ThisThreadsStream<Stream, Buffer>>();
    } else {
      threads_.lent = true;
    }
    held().stream.clear();
  }
  ~StreamLease() {
    if (own_ == nullptr) threads_.lent = false;
  }
  StreamLease(const StreamLease&) = delete;
  StreamLease& operator=(const StreamLease&) = delete;

  Buffer& buffer() { return held().buffer; }
  Stream& stream() { return held().stream; }

 private:
  ThisThreadsStream<Stream, Buffer>& held() { return own_ != nullptr ? *own_ : threads_; }

  ThisThreadsStream<Stream, Buffer>& threads_;
  std::unique_ptr<ThisThreadsStream<Stream, Buffer>> own_;
};

using ReadingLease = StreamLease<std::istream, MemoryReader>;
using WritingLease = StreamLease<std::ostream, StringWriter>;

// Builds the calling thread's reading stream if it is not built yet. Called before fork: the
// child decodes its payload on that thread, and building the stream there (a locale, the stream
// state) would make it fault in and copy pages a fork from a ready parent does not touch.
inline void PrepareReadingStream() { ThisThreadsStream<std::istream, MemoryReader>::Get(); }

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_MEMORY_STREAMS_H_
