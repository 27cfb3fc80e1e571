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
// ThisThreadsStream gives each thread one such stream, for code without an object to keep it in.
#ifndef MULTIPROC_CORE_MEMORY_STREAMS_H_
#define MULTIPROC_CORE_MEMORY_STREAMS_H_

#include <new>
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

  static ThisThreadsStream& Get() {
    alignas(ThisThreadsStream) thread_local unsigned char storage[sizeof(ThisThreadsStream)];
    thread_local ThisThreadsStream* built = nullptr;
    if (built == nullptr) built = new (storage) ThisThreadsStream;
    return *built;
  }
};

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_MEMORY_STREAMS_H_
