// How values become bytes and back: cereal's portable binary archives, with a HandleTable riding
// along so that objects wrapping OS handles serialize as handle references. Arguments, results
// and messages all go through Encode/Decode; a type is serializable if cereal can serialize it
// (arithmetic types, strings, std containers, optional/variant/tuple, and user types with a
// cereal `serialize` member or function).
//
//   struct Point { int x, y; template <class A> void serialize(A& a) { a(x, y); } };
//   HandleTable handles;
//   std::string bytes = multiproc::internal::Encode(handles, Point{1, 2});
//   Point back;
//   multiproc::internal::Decode(bytes, handles, back);
#ifndef MULTIPROC_CORE_SERIALIZATION_H_
#define MULTIPROC_CORE_SERIALIZATION_H_

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/common.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/memory.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>
#include <concepts>
#include <cstdint>
#include <istream>
#include <limits>
#include <new>
#include <ostream>
#include <stdexcept>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "core/bounded_loads.h"
#include "core/errors.h"
#include "core/handle_table.h"
#include "core/memory_streams.h"
#include "core/shared_heap.h"
#include "platform/handle.h"
#include "platform/shared_memory.h"

namespace multiproc::internal {

// cereal hands serialization functions the base archive type; these subclasses carry the
// HandleTable, and HandlesOf recovers it. Encode and Decode are the only places that construct
// archives, so every archive a serializer of ours sees is one of these.
class OutputArchive : public cereal::PortableBinaryOutputArchive {
 public:
  OutputArchive(HandleTable& handles, std::ostream& stream)
      : cereal::PortableBinaryOutputArchive(stream), handles_(handles) {}
  HandleTable& handles() { return handles_; }

 private:
  HandleTable& handles_;
};

class InputArchive : public cereal::PortableBinaryInputArchive, public RemainingBytes {
 public:
  InputArchive(HandleTable& handles, std::istream& stream)
      : cereal::PortableBinaryInputArchive(stream), handles_(handles), stream_(stream) {}
  HandleTable& handles() { return handles_; }
  uint64_t remaining() const override {
    std::streamsize available = stream_.rdbuf()->in_avail();
    return available > 0 ? static_cast<uint64_t>(available) : 0;
  }

 private:
  HandleTable& handles_;
  std::istream& stream_;
};

// Replaces `bytes` with the serialization of `values`, in order; their handles are added to
// `handles`. For callers that reuse one buffer per message.
template <typename... T>
void EncodeInto(std::string& bytes, HandleTable& handles, const T&... values) {
  WritingLease lease;
  bytes.clear();
  lease.buffer().Reset(&bytes);
  OutputArchive archive(handles, lease.stream());
  archive(values...);
}

// Serializes `values` in order; their handles are added to `handles`.
template <typename... T>
std::string Encode(HandleTable& handles, const T&... values) {
  std::string bytes;
  EncodeInto(bytes, handles, values...);
  return bytes;
}

// Deserializes `bytes` into `values`, taking handles from `handles`. Throws SerializationError
// when the bytes do not hold values of these types (truncated, corrupt or a type mismatch).
template <typename... T>
void Decode(const std::string& bytes, HandleTable& handles, T&... values) {
  ReadingLease lease;
  lease.buffer().Reset(bytes);
  std::istream& stream = lease.stream();
  try {
    InputArchive archive(handles, stream);
    archive(values...);
  } catch (const cereal::Exception& error) {
    throw SerializationError(
        absl::StrCat("cannot decode ", bytes.size(), " bytes: ", error.what()));
  } catch (const std::length_error& error) {  // a size no container can have
    throw SerializationError(
        absl::StrCat("cannot decode ", bytes.size(), " bytes: ", error.what()));
  } catch (const std::bad_alloc&) {
    throw SerializationError(
        absl::StrCat("cannot decode ", bytes.size(),
                     " bytes: a size prefix asks for more memory than there is"));
  }
  if (!lease.buffer().exhausted()) {
    throw SerializationError(
        absl::StrCat("decoded ", lease.buffer().consumed(), " of ", bytes.size(),
                     " bytes: the message holds more than the expected types"));
  }
}

// Reads one value of type T. Shareable types that would allocate OS objects when
// default-constructed (a Lock makes a new lock) provide `static T LoadFromArchive(InputArchive&)`
// so that a received argument is built directly from the message.
template <typename T>
struct ArgumentLoader {
  static T Load(InputArchive& archive) {
    T value;
    archive(value);
    return value;
  }
};

template <typename T>
requires requires(InputArchive& archive) {
  { T::LoadFromArchive(archive) } -> std::same_as<T>;
}
struct ArgumentLoader<T> {
  static T Load(InputArchive& archive) { return T::LoadFromArchive(archive); }
};

// Decodes `bytes`, written by Encode(handles, std::tuple<T...>), into a tuple, one element at a
// time through ArgumentLoader. Errors as Decode.
template <typename... T>
std::tuple<T...> DecodeArguments(const std::string& bytes, HandleTable& handles) {
  ReadingLease lease;
  lease.buffer().Reset(bytes);
  std::istream& stream = lease.stream();
  try {
    InputArchive archive(handles, stream);
    // Braced initialization evaluates the loaders left to right, the order Encode wrote.
    std::tuple<T...> values{ArgumentLoader<T>::Load(archive)...};
    if (!lease.buffer().exhausted()) {
      throw SerializationError("the arguments hold more bytes than the target's parameters");
    }
    return values;
  } catch (const cereal::Exception& error) {
    throw SerializationError(
        absl::StrCat("cannot decode the arguments (", bytes.size(), " bytes): ", error.what()));
  } catch (const std::length_error& error) {
    throw SerializationError(
        absl::StrCat("cannot decode the arguments (", bytes.size(), " bytes): ", error.what()));
  } catch (const std::bad_alloc&) {
    throw SerializationError(absl::StrCat("cannot decode the arguments (", bytes.size(),
                                          " bytes): a size asks for more memory than there is"));
  }
}

inline HandleTable& HandlesOf(cereal::PortableBinaryOutputArchive& archive) {
  return static_cast<OutputArchive&>(archive).handles();
}
inline HandleTable& HandlesOf(cereal::PortableBinaryInputArchive& archive) {
  return static_cast<InputArchive&>(archive).handles();
}

inline constexpr uint64_t kNoHandle = std::numeric_limits<uint64_t>::max();

}  // namespace multiproc::internal

// OS objects serialize as references into the archive's HandleTable (found by ADL).
namespace multiproc::platform {

inline void save(cereal::PortableBinaryOutputArchive& archive, const OwnedHandle& handle) {
  uint64_t index = handle.valid() ? multiproc::internal::HandlesOf(archive).Add(handle.get())
                                  : multiproc::internal::kNoHandle;
  archive(index);
}

inline void load(cereal::PortableBinaryInputArchive& archive, OwnedHandle& handle) {
  uint64_t index = 0;
  archive(index);
  handle = index == multiproc::internal::kNoHandle
               ? OwnedHandle()
               : multiproc::internal::HandlesOf(archive).Take(static_cast<size_t>(index));
}

inline void save(cereal::PortableBinaryOutputArchive& archive, const SharedMemory& region) {
  uint64_t index = multiproc::internal::HandlesOf(archive).Add(region.handle());
  archive(index, static_cast<uint64_t>(region.size()));
}

inline void load(cereal::PortableBinaryInputArchive& archive, SharedMemory& region) {
  uint64_t index = 0, size = 0;
  archive(index, size);
  absl::StatusOr<SharedMemory> mapped = SharedMemory::FromHandle(
      multiproc::internal::HandlesOf(archive).Take(static_cast<size_t>(index)), size);
  if (!mapped.ok()) {
    throw multiproc::SerializationError(
        absl::StrCat("cannot map a received shared memory region: ", mapped.status().message()));
  }
  region = std::move(*mapped);
}

}  // namespace multiproc::platform

// A shared heap block travels as its chunk (once per message, thanks to HandleTable's dedup)
// plus where in the chunk it lies; the receiver maps each chunk once. Each encoding counts a
// reference that the decoded block gives back (core/shared_heap.h), so the block's creator does
// not reuse it while the message or its receiver may still use it.
namespace multiproc::internal {

inline void save(cereal::PortableBinaryOutputArchive& archive, const SharedBlock& block) {
  uint64_t index = HandlesOf(archive).Add(block.chunk().memory.handle());
  archive(index, static_cast<uint64_t>(block.chunk().memory.size()),
          static_cast<uint64_t>(block.offset()), static_cast<uint64_t>(block.size()),
          block.chunk().id);
  block.CountMessageReference();
}

inline void load(cereal::PortableBinaryInputArchive& archive, SharedBlock& block) {
  uint64_t index = 0, chunk_size = 0, offset = 0, size = 0;
  std::array<uint8_t, 16> id{};
  archive(index, chunk_size, offset, size, id);
  if (offset + size < offset || offset + size > chunk_size) {
    throw SerializationError("a received shared block lies outside its chunk");
  }
  std::shared_ptr<HeapChunk> chunk = FindMappedChunk(id);
  if (chunk == nullptr) {
    chunk = AdoptReceivedChunk(HandlesOf(archive).Take(static_cast<size_t>(index)), chunk_size, id);
  }
  if (chunk->memory.size() < chunk_size) {
    throw SerializationError("a received shared block's chunk is smaller than announced");
  }
  block = SharedBlock::Received(std::move(chunk), static_cast<size_t>(offset),
                                static_cast<size_t>(size));
}

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_SERIALIZATION_H_
