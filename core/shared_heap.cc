#include "core/shared_heap.h"

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <new>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/status_errors.h"
#include "platform/crypto.h"

namespace multiproc::internal {

namespace {

constexpr size_t kChunkSize = size_t{1} << 20;
// Each chunk starts with its id, so a receiver can check it mapped the chunk it was told about.
constexpr size_t kChunkHeaderBytes = 64;

struct Heap {
  std::mutex mutex;
  std::shared_ptr<HeapChunk> current;  // where small allocations are carved from
  size_t used = 0;                     // bytes of `current` handed out, header included
  std::map<std::array<uint8_t, 16>, std::weak_ptr<HeapChunk>> mapped;
};

// Set by the first TheHeap(), so that a fork child can tell the heap was never used without
// building it (a child that only forgets has no use for a heap of its own).
std::atomic<Heap*> built_heap{nullptr};

Heap& TheHeap() {
  // Never destroyed: blocks may outlive static destruction.
  static Heap* heap = [] {
    Heap* built = new Heap();
    built_heap.store(built, std::memory_order_release);
    return built;
  }();
  return *heap;
}

size_t RoundUp(size_t value, size_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

// Caller holds the heap mutex. Forgets chunks no block uses any more on the way.
void RememberLocked(Heap& heap, const std::shared_ptr<HeapChunk>& chunk) {
  std::erase_if(heap.mapped, [](const auto& entry) { return entry.second.expired(); });
  heap.mapped[chunk->id] = chunk;
}

// Caller holds the heap mutex.
std::shared_ptr<HeapChunk> NewChunkLocked(Heap& heap, size_t size) {
  auto chunk = std::make_shared<HeapChunk>();
  chunk->memory =
      ValueOrThrow(platform::SharedMemory::CreateUnnamed(size), "allocating shared memory");
  ThrowIfError(platform::FillRandom(absl::MakeSpan(reinterpret_cast<std::byte*>(chunk->id.data()),
                                                   chunk->id.size())),
               "naming a shared memory chunk");
  std::memcpy(chunk->memory.data(), chunk->id.data(), chunk->id.size());
  RememberLocked(heap, chunk);
  return chunk;
}

}  // namespace

SharedBlock::SharedBlock(std::shared_ptr<HeapChunk> chunk, size_t offset, size_t size)
    : chunk_(std::move(chunk)), offset_(offset), size_(size) {}

void* SharedBlock::data() const { return static_cast<char*>(chunk_->memory.data()) + offset_; }

SharedBlock SharedBlock::Allocate(size_t size, size_t alignment) {
  if (size == 0) size = 1;
  Heap& heap = TheHeap();
  std::lock_guard<std::mutex> lock(heap.mutex);
  size_t large_threshold = kChunkSize / 4;
  if (size > large_threshold) {
    auto chunk = NewChunkLocked(heap, RoundUp(kChunkHeaderBytes + size, 4096));
    return SharedBlock(std::move(chunk), kChunkHeaderBytes, size);
  }
  size_t offset = RoundUp(heap.used, alignment);
  if (heap.current == nullptr || offset + size > kChunkSize) {
    heap.current = NewChunkLocked(heap, kChunkSize);
    offset = RoundUp(kChunkHeaderBytes, alignment);
  }
  heap.used = offset + size;
  return SharedBlock(heap.current, offset, size);
}

void ForgetCurrentChunkAfterFork() {
  Heap* built = built_heap.load(std::memory_order_acquire);
  if (built == nullptr) return;
  Heap& heap = *built;
  // No lock: the forking thread is the only thread, and if another thread held the mutex at
  // fork time it would never be released in this child.
  new (&heap.mutex) std::mutex();
  heap.current.reset();
  heap.used = 0;
}

std::shared_ptr<HeapChunk> FindMappedChunk(const std::array<uint8_t, 16>& id) {
  Heap& heap = TheHeap();
  std::lock_guard<std::mutex> lock(heap.mutex);
  auto found = heap.mapped.find(id);
  return found == heap.mapped.end() ? nullptr : found->second.lock();
}

std::shared_ptr<HeapChunk> AdoptReceivedChunk(platform::OwnedHandle handle, size_t size,
                                              const std::array<uint8_t, 16>& id) {
  absl::StatusOr<platform::SharedMemory> memory =
      platform::SharedMemory::FromHandle(std::move(handle), size);
  if (!memory.ok() || size < kChunkHeaderBytes ||
      std::memcmp(memory->data(), id.data(), id.size()) != 0) {
    throw SerializationError(
        absl::StrCat("a received shared memory chunk could not be mapped or is not the one "
                     "named: ",
                     memory.ok() ? "id mismatch" : memory.status().message()));
  }
  auto chunk = std::make_shared<HeapChunk>();
  chunk->memory = std::move(*memory);
  chunk->id = id;
  Heap& heap = TheHeap();
  std::lock_guard<std::mutex> lock(heap.mutex);
  RememberLocked(heap, chunk);
  return chunk;
}

size_t MappedHeapBytes() {
  Heap& heap = TheHeap();
  std::lock_guard<std::mutex> lock(heap.mutex);
  size_t bytes = 0;
  for (const auto& [id, weak_chunk] : heap.mapped) {
    if (std::shared_ptr<HeapChunk> chunk = weak_chunk.lock()) bytes += chunk->memory.size();
  }
  return bytes;
}

}  // namespace multiproc::internal
