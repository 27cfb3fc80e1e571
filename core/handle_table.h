// The handles that travel beside a serialized message. When an object that wraps an OS handle
// (a pipe end, a shared memory region, later a Lock or a Queue) is serialized, the handle goes
// into this table and the bytes record only its index; the transport (process start, forkserver,
// a pipe to a running process) delivers the table, and the receiver rebuilds each object from
// its index. This is the one way an OS object crosses a process boundary.
//
//   HandleTable handles;
//   std::string bytes = internal::Encode(handles, region);   // region's handle -> handles[0]
//   // ... deliver bytes + handles ...
//   internal::Decode(bytes, received_handles, region_copy);
#ifndef MULTIPROC_CORE_HANDLE_TABLE_H_
#define MULTIPROC_CORE_HANDLE_TABLE_H_

#include <cstddef>
#include <map>
#include <vector>

#include "platform/handle.h"

namespace multiproc {

class HandleTable {
 public:
  HandleTable() = default;
  // The receiving side: the handles that arrived, in the sender's order.
  explicit HandleTable(std::vector<platform::OwnedHandle> received)
      : handles_(std::move(received)) {}
  HandleTable(HandleTable&&) = default;
  HandleTable& operator=(HandleTable&&) = default;

  // Sending side: stores a duplicate of `handle` (so the table stays valid even if the object
  // that owned `handle` goes away before delivery) and returns its index. Adding the same handle
  // again returns the same index: many objects in one shared memory chunk send it once.
  // Throws OSError.
  size_t Add(platform::NativeHandle handle);

  // Receiving side: a handle to the object at `index`, owned by the caller. It is a duplicate,
  // and the table keeps its own until it is destroyed: an object that appears N times in one
  // message travels once and decodes N times (a Lock in every item of a Pool chunk). Code that
  // runs a target after decoding its arguments drops the table first (InvokeTarget does), so the
  // target holds the last copy of each handle. Throws SerializationError for an index out of
  // range, OSError if the duplicate cannot be made.
  platform::OwnedHandle Take(size_t index);

  // Receiving side: true if `index` names a handle that is still in the table.
  bool Has(size_t index) const { return index < handles_.size() && handles_[index].valid(); }

  // The handles' values, by index, for transports that pass handles by value.
  std::vector<platform::NativeHandle> values() const;
  size_t size() const { return handles_.size(); }

  // Forgets every handle without closing it: a transport that gave them to someone else (a forked
  // child holds them already) calls this in the process that must not close them twice.
  void ReleaseAll();

 private:
  std::vector<platform::OwnedHandle> handles_;
  std::map<platform::NativeHandle, size_t> index_of_source_;  // sending side: dedup
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_HANDLE_TABLE_H_
