#include "core/handle_table.h"

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/status_errors.h"

namespace multiproc {

size_t HandleTable::Add(platform::NativeHandle handle) {
  if (auto known = index_of_source_.find(handle); known != index_of_source_.end()) {
    return known->second;
  }
  platform::OwnedHandle borrowed(handle);
  absl::StatusOr<platform::OwnedHandle> copy = borrowed.Duplicate();
  borrowed.release();  // still owned by the object being serialized
  handles_.push_back(internal::ValueOrThrow(std::move(copy), "duplicating a handle to send"));
  index_of_source_[handle] = handles_.size() - 1;
  return handles_.size() - 1;
}

platform::OwnedHandle HandleTable::Take(size_t index) {
  if (index >= handles_.size() || !handles_[index].valid()) {
    throw SerializationError(absl::StrCat("message refers to handle #", index, " but ",
                                          handles_.size(), " handles arrived"));
  }
  return internal::ValueOrThrow(handles_[index].Duplicate(), "duplicating a received handle");
}

std::vector<platform::NativeHandle> HandleTable::values() const {
  std::vector<platform::NativeHandle> values;
  values.reserve(handles_.size());
  for (const platform::OwnedHandle& handle : handles_) values.push_back(handle.get());
  return values;
}

void HandleTable::ReleaseAll() {
  for (platform::OwnedHandle& handle : handles_) handle.release();
  handles_.clear();
  index_of_source_.clear();
}

}  // namespace multiproc
