#include "core/shareable_list.h"

#include <cstring>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "core/errors.h"

namespace multiproc {

namespace {

// The layout: a header, a table of slots, then each slot's data at its own offset.
constexpr char kMagic[8] = {'m', 'p', 'S', 'L', 'v', '1', 0, 0};
constexpr size_t kAlignment = 8;
constexpr size_t kMaxItems = size_t{1} << 32;

struct Header {
  char magic[8];
  uint64_t count;
};

enum ItemType : uint32_t { kNone = 0, kInt = 1, kDouble = 2, kBool = 3, kString = 4, kBytes = 5 };

size_t Capacity(const ShareableList::Item& item) {
  if (const auto* text = std::get_if<std::string>(&item)) {
    return kAlignment * (text->size() / kAlignment + 1);
  }
  if (const auto* bytes = std::get_if<std::vector<uint8_t>>(&item)) {
    return kAlignment * (bytes->size() / kAlignment + 1);
  }
  return kAlignment;
}

}  // namespace

struct ShareableList::Slot {
  uint32_t type;
  uint32_t length;  // of a string or bytes
  uint64_t offset;  // from the start of the memory
  uint64_t capacity;
};

size_t ShareableList::TableEnd(size_t count) { return sizeof(Header) + count * sizeof(Slot); }

SharedMemory ShareableList::CreateMemoryFor(const std::vector<ShareableList::Item>& items,
                                            std::optional<std::string> name) {
  if (items.size() >= kMaxItems) throw ValueError("ShareableList: too many items");
  size_t bytes = TableEnd(items.size());
  for (const ShareableList::Item& item : items) bytes += Capacity(item);
  return SharedMemory(std::move(name), /*create=*/true, static_cast<int64_t>(bytes));
}

ShareableList::ShareableList(const std::vector<Item>& items, std::optional<std::string> name)
    : shm_(CreateMemoryFor(items, std::move(name))), size_(items.size()) {
  std::byte* base = shm_.buf().data();
  Header header{};
  std::memcpy(header.magic, kMagic, sizeof(kMagic));
  header.count = items.size();
  std::memcpy(base, &header, sizeof(header));
  uint64_t offset = TableEnd(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    Slot slot{kNone, 0, offset, Capacity(items[i])};
    std::memcpy(base + sizeof(Header) + i * sizeof(Slot), &slot, sizeof(slot));
    offset += slot.capacity;
    set(static_cast<int64_t>(i), items[i]);
  }
}

ShareableList::ShareableList(SharedMemory shm) : shm_(std::move(shm)) { Validate(); }

ShareableList ShareableList::Attach(const std::string& name) {
  return ShareableList(SharedMemory(name));
}

ShareableList ShareableList::LoadFromArchive(internal::InputArchive& archive) {
  return ShareableList(SharedMemory::LoadFromArchive(archive));
}

// Checks a received or attached block before trusting its layout.
void ShareableList::Validate() {
  std::span<std::byte> memory = shm_.buf();
  Header header{};
  if (memory.size() < sizeof(Header)) throw ValueError("shared memory too small for a list");
  std::memcpy(&header, memory.data(), sizeof(header));
  if (std::memcmp(header.magic, kMagic, sizeof(kMagic)) != 0) {
    throw ValueError(absl::StrCat("shared memory '", shm_.name(), "' holds no ShareableList"));
  }
  if (header.count > (memory.size() - sizeof(Header)) / sizeof(Slot)) {
    throw ValueError("a ShareableList's item count does not fit its memory");
  }
  size_ = static_cast<size_t>(header.count);
  for (size_t i = 0; i < size_; ++i) slot(static_cast<int64_t>(i));  // checks each slot's bounds
}

// The slot at a Python-style index (negative counts from the end), bounds-checked, since another
// process may have scribbled over the table.
ShareableList::Slot& ShareableList::slot(int64_t index) const {
  int64_t count = static_cast<int64_t>(size_);
  if (index < -count || index >= count) {
    throw std::out_of_range(
        absl::StrCat("ShareableList index ", index, " out of range for size ", size_));
  }
  if (index < 0) index += count;
  std::span<std::byte> memory = shm_.buf();
  auto* found = reinterpret_cast<Slot*>(memory.data() + sizeof(Header) +
                                        static_cast<size_t>(index) * sizeof(Slot));
  if (found->offset < TableEnd(size_) || found->capacity < kAlignment ||
      found->offset > memory.size() || found->capacity > memory.size() - found->offset ||
      found->length > found->capacity || found->type > kBytes) {
    throw ValueError(absl::StrCat("ShareableList slot ", index, " is corrupt"));
  }
  return *found;
}

ShareableList::Item ShareableList::get(int64_t index) const {
  const Slot& found = slot(index);
  const std::byte* data = shm_.buf().data() + found.offset;
  switch (found.type) {
    case kInt: {
      int64_t value;
      std::memcpy(&value, data, sizeof(value));
      return value;
    }
    case kDouble: {
      double value;
      std::memcpy(&value, data, sizeof(value));
      return value;
    }
    case kBool:
      return std::to_integer<uint8_t>(data[0]) != 0;
    case kString:
      return std::string(reinterpret_cast<const char*>(data), found.length);
    case kBytes: {
      const auto* begin = reinterpret_cast<const uint8_t*>(data);
      return std::vector<uint8_t>(begin, begin + found.length);
    }
    default:
      return std::monostate{};
  }
}

void ShareableList::set(int64_t index, const Item& value) {
  Slot& found = slot(index);
  std::byte* data = shm_.buf().data() + found.offset;
  auto store = [&](ItemType type, const void* bytes, size_t length) {
    if (length > found.capacity) {
      throw ValueError(absl::StrCat("bytes/str item of ", length, " bytes exceeds the ",
                                    found.capacity, " bytes of its slot"));
    }
    if (length > 0) std::memcpy(data, bytes, length);
    found.length = static_cast<uint32_t>(length);
    found.type = type;
  };
  std::visit(
      [&](const auto& item) {
        using T = std::decay_t<decltype(item)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          store(kNone, nullptr, 0);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          store(kInt, &item, sizeof(item));
        } else if constexpr (std::is_same_v<T, double>) {
          store(kDouble, &item, sizeof(item));
        } else if constexpr (std::is_same_v<T, bool>) {
          uint8_t flag = item ? 1 : 0;
          store(kBool, &flag, 1);
        } else if constexpr (std::is_same_v<T, std::string>) {
          store(kString, item.data(), item.size());
        } else {
          store(kBytes, item.data(), item.size());
        }
      },
      value);
}

size_t ShareableList::count(const Item& value) const {
  size_t matches = 0;
  for (size_t i = 0; i < size_; ++i) matches += get(static_cast<int64_t>(i)) == value ? 1 : 0;
  return matches;
}

size_t ShareableList::index(const Item& value) const {
  for (size_t i = 0; i < size_; ++i) {
    if (get(static_cast<int64_t>(i)) == value) return i;
  }
  throw ValueError("ShareableList.index(x): x not in list");
}

}  // namespace multiproc
