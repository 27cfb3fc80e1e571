#include "core/shared_memory.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/status_errors.h"
#include "platform/crypto.h"
#include "platform/process.h"
#include "platform/resource_tracker.h"
#include "platform/shared_memory.h"

namespace multiproc {

namespace {

// Python's errors for a named block: the name taken, the name missing, or bad input.
[[noreturn]] void ThrowNamedMemoryError(const absl::Status& status, absl::string_view what) {
  std::string message = absl::StrCat(what, ": ", status.message());
  if (absl::IsAlreadyExists(status)) throw FileExistsError(message);
  if (absl::IsNotFound(status)) throw FileNotFoundError(message);
  internal::ThrowIfError(status, what);
  throw OSError(message);  // not reached: status is an error
}

template <typename T>
T ValueOrThrowNamed(absl::StatusOr<T> result, absl::string_view what) {
  if (!result.ok()) ThrowNamedMemoryError(result.status(), what);
  return std::move(*result);
}

// Python's "psm_" + random hex.
std::string RandomName() {
  std::byte random[8];
  internal::ThrowIfError(platform::FillRandom(absl::MakeSpan(random)), "naming shared memory");
  return absl::StrCat("psm_", absl::BytesToHexString(absl::string_view(
                                  reinterpret_cast<const char*>(random), sizeof(random))));
}

// The creator removes the name, then tells its tracker (platform/resource_tracker.h) that
// there is nothing left to unlink when it ends. In that order, a creator killed in between
// leaves nothing behind: the tracker finds the name gone.
absl::Status UnlinkAsCreator(const std::string& name) {
  absl::Status status = platform::SharedMemory::UnlinkNamed(name);
  (void)platform::Untrack(name);  // if lost, the tracker finds the name gone
  return status;
}

}  // namespace

struct SharedMemory::Mapping {
  platform::SharedMemory region;
  std::string name;
  size_t size = 0;
  // The creating process, which unlinks the name when its last copy goes (unless unlinked).
  std::optional<platform::ProcessId> owner;

  bool OwnedHere() const { return owner == platform::CurrentProcessId(); }

  ~Mapping() {
    if (OwnedHere()) (void)UnlinkAsCreator(name);
  }
};

SharedMemory::SharedMemory(std::optional<std::string> name, bool create, int64_t size)
    : mapping_(std::make_shared<Mapping>()) {
  if (size < 0) throw ValueError("'size' must be a positive integer");
  if (!create) {
    if (!name.has_value()) throw ValueError("'name' can only be None if create=True");
    mapping_->region = ValueOrThrowNamed(platform::SharedMemory::OpenNamed(*name),
                                         absl::StrCat("attaching shared memory '", *name, "'"));
    mapping_->name = *name;
    mapping_->size = mapping_->region.size();
    return;
  }
  if (size == 0) throw ValueError("'size' must be a positive number different from zero");
  for (;;) {
    std::string chosen = name.has_value() ? *name : RandomName();
    absl::StatusOr<platform::SharedMemory> region =
        platform::SharedMemory::CreateNamed(chosen, static_cast<size_t>(size));
    // A random name that happens to exist: draw another, as Python does.
    if (!name.has_value() && absl::IsAlreadyExists(region.status())) continue;
    mapping_->region =
        ValueOrThrowNamed(std::move(region), absl::StrCat("creating shared memory '", chosen, "'"));
    if (absl::Status tracked = platform::TrackNamedSharedMemory(chosen, mapping_->region);
        !tracked.ok()) {
      (void)platform::SharedMemory::UnlinkNamed(chosen);  // a failed create leaves no name
      internal::ThrowIfError(tracked, "tracking shared memory");
    }
    mapping_->name = std::move(chosen);
    mapping_->size = static_cast<size_t>(size);
    mapping_->owner = platform::CurrentProcessId();
    return;
  }
}

const std::string& SharedMemory::name() const { return mapping_->name; }

size_t SharedMemory::size() const { return mapping_->size; }

std::span<std::byte> SharedMemory::buf() const {
  if (mapping_->region.data() == nullptr) throw ValueError("the shared memory is closed");
  return {static_cast<std::byte*>(mapping_->region.data()), mapping_->size};
}

void SharedMemory::close() { mapping_->region = platform::SharedMemory(); }

void SharedMemory::unlink() {
  bool owned_here = mapping_->OwnedHere();
  mapping_->owner.reset();  // the name is gone: nothing left to unlink on destruction
  absl::Status status = owned_here ? UnlinkAsCreator(mapping_->name)
                                   : platform::SharedMemory::UnlinkNamed(mapping_->name);
  if (!status.ok()) ThrowNamedMemoryError(status, "unlinking shared memory");
}

void SharedMemory::save(cereal::PortableBinaryOutputArchive& archive) const {
  if (mapping_->region.data() == nullptr) {
    throw ValueError("a closed SharedMemory cannot be sent to another process");
  }
  archive(mapping_->name, mapping_->region);
}

void SharedMemory::load(cereal::PortableBinaryInputArchive& archive) {
  auto received = std::make_shared<Mapping>();
  archive(received->name, received->region);
  received->size = received->region.size();
  mapping_ = std::move(received);
}

SharedMemory SharedMemory::LoadFromArchive(internal::InputArchive& archive) {
  SharedMemory memory;
  memory.load(archive);
  return memory;
}

}  // namespace multiproc
