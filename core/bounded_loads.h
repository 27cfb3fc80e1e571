// Loads of sized containers that never allocate more than the message could hold. cereal resizes
// a std::string, vector, deque or list (and reserves an unordered_set) to the size prefix it reads
// *before* reading the elements (maps grow as elements arrive), so a corrupt or hostile message
// (a bootstrap payload, a queue item, a connection message, a manager request) could make the
// receiver allocate gigabytes. These overloads, picked by overload resolution over cereal's own
// for the archives serialization.h constructs, first check the prefix against the bytes left in
// the message and throw cereal::Exception (SerializationError at the public API) when it cannot be
// true: every element takes at least one byte on the wire. Strings and vectors of numbers are then
// sized at once (their bytes follow); containers of other elements grow as their elements arrive,
// because an element may take one byte on the wire but 30 to 90 in memory (a string, a map): sized
// up front by the prefix, a message of N bytes could cost some 60 N of memory before it failed.
// A bool is checked too: cereal copies the received byte into it, and any byte but 0 or 1 would
// be undefined behaviour.
#ifndef MULTIPROC_CORE_BOUNDED_LOADS_H_
#define MULTIPROC_CORE_BOUNDED_LOADS_H_

#include <algorithm>
#include <cereal/archives/portable_binary.hpp>
#include <cereal/cereal.hpp>
#include <cstdint>
#include <deque>
#include <istream>
#include <list>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

namespace multiproc::internal {

// Implemented by the input archive serialization.h constructs: the bytes not yet decoded.
class RemainingBytes {
 public:
  virtual std::uint64_t remaining() const = 0;

 protected:
  ~RemainingBytes() = default;
};

// Throws unless `count` elements of at least `element_bytes` bytes each can follow. Archives
// built elsewhere (none in multiproc) are not checked.
inline void RequireRoomFor(cereal::PortableBinaryInputArchive& archive, std::uint64_t count,
                           std::uint64_t element_bytes) {
  const auto* known = dynamic_cast<const RemainingBytes*>(&archive);
  if (known == nullptr) return;
  std::uint64_t remaining = known->remaining();
  if (element_bytes != 0 && count > remaining / element_bytes) {
    throw cereal::Exception("a size prefix of " + std::to_string(count) +
                            " elements is larger than the " + std::to_string(remaining) +
                            " bytes left in the message");
  }
}

// How many elements of `element_bytes` each the bytes left in the message could hold, at most
// `count`: what may be reserved before the elements arrive.
inline std::uint64_t ElementsTheMessageCanHold(cereal::PortableBinaryInputArchive& archive,
                                               std::uint64_t count, std::uint64_t element_bytes) {
  const auto* known = dynamic_cast<const RemainingBytes*>(&archive);
  if (known == nullptr || element_bytes == 0) return count;
  return std::min(count, known->remaining() / element_bytes);
}

}  // namespace multiproc::internal

namespace cereal {

template <class CharT, class Traits, class Alloc>
void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& archive,
                               std::basic_string<CharT, Traits, Alloc>& text) {
  size_type size = 0;
  archive(make_size_tag(size));
  multiproc::internal::RequireRoomFor(archive, size, sizeof(CharT));
  text.resize(static_cast<std::size_t>(size));
  archive(binary_data(text.data(), static_cast<std::size_t>(size) * sizeof(CharT)));
}

inline void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& archive, bool& flag) {
  std::uint8_t byte = 0;
  archive(byte);
  if (byte > 1)
    throw cereal::Exception("a bool must be sent as 0 or 1, not " + std::to_string(byte));
  flag = byte == 1;
}

template <class Alloc>
void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& archive,
                               std::vector<bool, Alloc>& flags) {
  size_type size = 0;
  archive(make_size_tag(size));
  multiproc::internal::RequireRoomFor(archive, size, 1);
  flags.resize(static_cast<std::size_t>(size));
  for (auto&& flag : flags) {
    bool value = false;
    archive(value);
    flag = value;
  }
}

// The containers cereal resizes to their size prefix before loading the elements one by one:
// here they grow as the elements arrive, reserving no more than the message's remaining bytes.
template <class Container>
void LoadResizedSequence(PortableBinaryInputArchive& archive, Container& container) {
  using Element = typename Container::value_type;
  size_type size = 0;
  archive(make_size_tag(size));
  // Empty types may take no bytes at all; they cost no memory worth bounding beyond this.
  multiproc::internal::RequireRoomFor(archive, size, std::is_empty_v<Element> ? 0 : 1);
  container.clear();
  if constexpr (requires { container.reserve(size); }) {
    container.reserve(static_cast<std::size_t>(
        multiproc::internal::ElementsTheMessageCanHold(archive, size, sizeof(Element))));
  }
  for (size_type i = 0; i < size; ++i) archive(container.emplace_back());
}

template <class T, class Alloc>
requires(!std::is_same_v<T, bool>) void CEREAL_LOAD_FUNCTION_NAME(
    PortableBinaryInputArchive& archive, std::vector<T, Alloc>& vector) {
  if constexpr (std::is_arithmetic_v<T>) {
    size_type size = 0;
    archive(make_size_tag(size));
    multiproc::internal::RequireRoomFor(archive, size, sizeof(T));
    vector.resize(static_cast<std::size_t>(size));
    archive(binary_data(vector.data(), static_cast<std::size_t>(size) * sizeof(T)));
  } else {
    LoadResizedSequence(archive, vector);
  }
}

template <class T, class Alloc>
void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& archive, std::deque<T, Alloc>& deque) {
  LoadResizedSequence(archive, deque);
}

template <class T, class Alloc>
void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& archive, std::list<T, Alloc>& list) {
  LoadResizedSequence(archive, list);
}

template <class Key, class Hash, class Equal, class Alloc>
void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& archive,
                               std::unordered_set<Key, Hash, Equal, Alloc>& set) {
  size_type size = 0;
  archive(make_size_tag(size));
  multiproc::internal::RequireRoomFor(archive, size, 1);
  set.clear();
  set.reserve(static_cast<std::size_t>(
      multiproc::internal::ElementsTheMessageCanHold(archive, size, sizeof(Key))));
  for (size_type i = 0; i < size; ++i) {
    Key key;
    archive(key);
    set.emplace(std::move(key));
  }
}

}  // namespace cereal

#endif  // MULTIPROC_CORE_BOUNDED_LOADS_H_
