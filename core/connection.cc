#include "core/connection.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status_errors.h"
#include "platform/pipe.h"
#include "platform/wait.h"

namespace multiproc {

namespace internal {

// One pipe end and what was read from it ahead of the current message. Reading ahead lets one
// system call deliver many small messages; the bytes are kept here (and travel with the
// Connection when it is sent to another process), so poll() and wait() look here first.
struct ConnectionState {
  platform::OwnedHandle handle;
  bool readable = false;
  bool writable = false;
  size_t max_message_size = Connection::kDefaultMaxMessageSize;
  std::vector<std::byte> buffer;  // read-ahead bytes live in [begin, end)
  size_t begin = 0;
  size_t end = 0;
  // Off while authenticating: nothing past the handshake may be read before the peer is trusted.
  bool read_ahead = true;

  size_t buffered() const { return end - begin; }
};

}  // namespace internal

namespace {

using internal::ConnectionState;

// A frame header and 64 KiB: when a large message's start arrives in the read-ahead, the rest of
// it is then read straight to a 64-byte-aligned offset of the destination (a destination shifted
// by the 4 header bytes makes the kernel's copies markedly slower).
constexpr size_t kReadAheadSize = 4 + 64 * 1024;
// Up to this size a header and its payload go out in one system call. A larger payload follows
// its header in a write of its own, so the kernel's buffers hold it at the same alignment as the
// receiver's destination; a 4-byte shift makes the kernel's copies markedly slower.
constexpr size_t kGatherLimit = 64 * 1024;
// A message announced as longer than this gets its memory as its bytes arrive (doubling), so a
// lying length prefix cannot make us allocate what the peer never sends: a manager server with
// its 512 clients each announcing a long request and stalling holds at most 512 MiB.
constexpr size_t kUpfrontAllocation = size_t{1} << 20;
// CPython's framing: lengths up to INT32_MAX in 4 bytes, longer ones as -1 plus 8 bytes.
constexpr uint64_t kLongestShortLength = 0x7fffffff;
constexpr uint32_t kLongLengthMarker = 0xffffffff;

void PutBigEndian(uint64_t value, size_t width, std::byte* out) {
  for (size_t i = 0; i < width; ++i) {
    out[i] = static_cast<std::byte>(value >> (8 * (width - 1 - i)));
  }
}

uint64_t GetBigEndian(const std::byte* in, size_t width) {
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i) value = (value << 8) | static_cast<uint8_t>(in[i]);
  return value;
}

// The frame header for a message of `size` bytes: 4 or 12 bytes.
size_t WriteHeader(uint64_t size, std::byte* out) {
  if (size <= kLongestShortLength) {
    PutBigEndian(size, 4, out);
    return 4;
  }
  PutBigEndian(kLongLengthMarker, 4, out);
  PutBigEndian(size, 8, out + 4);
  return 12;
}

void SendFrame(ConnectionState& state, absl::Span<const std::byte> payload) {
  std::byte header[12];
  absl::Span<const std::byte> head(header, WriteHeader(payload.size(), header));
  absl::Status sent = payload.size() <= kGatherLimit
                          ? platform::WriteAllGathered(state.handle.get(), head, payload)
                          : platform::WriteAll(state.handle.get(), head);
  if (sent.ok() && payload.size() > kGatherLimit) {
    sent = platform::WriteAll(state.handle.get(), payload);
  }
  internal::ThrowIfError(sent, "Connection send");
}

// Reads until at least `wanted` bytes are buffered. False if the stream ended first.
bool FillBuffer(ConnectionState& state, size_t wanted) {
  if (state.buffer.size() < kReadAheadSize) state.buffer.resize(kReadAheadSize);
  if (state.begin + wanted > state.buffer.size()) {
    std::memmove(state.buffer.data(), state.buffer.data() + state.begin, state.buffered());
    state.end -= state.begin;
    state.begin = 0;
  }
  while (state.buffered() < wanted) {
    size_t room =
        state.read_ahead ? state.buffer.size() - state.end : state.begin + wanted - state.end;
    absl::StatusOr<size_t> got = platform::ReadSome(
        state.handle.get(), absl::Span<std::byte>(state.buffer.data() + state.end, room));
    internal::ThrowIfError(got.status(), "Connection recv");
    if (*got == 0) return false;
    state.end += *got;
  }
  return true;
}

void Consume(ConnectionState& state, std::byte* out, size_t count) {
  if (count != 0) std::memcpy(out, state.buffer.data() + state.begin, count);
  state.begin += count;
  if (state.begin == state.end) state.begin = state.end = 0;
}

[[noreturn]] void ThrowTruncated(size_t got, uint64_t expected) {
  throw EOFError(absl::StrCat("Connection recv: the peer closed the connection after ", got, " of ",
                              expected, " bytes of a message"));
}

// Reads a frame header and returns the message length. EOFError at the end of the stream.
uint64_t ReadLength(ConnectionState& state) {
  if (!FillBuffer(state, 4)) {
    if (state.buffered() == 0) throw EOFError("Connection recv: the peer closed the connection");
    throw EOFError("Connection recv: the peer closed the connection inside a frame header");
  }
  uint64_t length = GetBigEndian(state.buffer.data() + state.begin, 4);
  if (length != kLongLengthMarker) {
    state.begin += 4;
    return length;
  }
  if (!FillBuffer(state, 12)) {
    throw EOFError("Connection recv: the peer closed the connection inside a frame header");
  }
  length = GetBigEndian(state.buffer.data() + state.begin + 4, 8);
  state.begin += 12;
  return length;
}

// Fills `out` with the next `out.size()` bytes of the stream: first the read-ahead bytes, then
// straight from the pipe (no extra copy for large messages). `done` counts the bytes already in
// `out` for error messages; `total` is the message length.
void ReadPayload(ConnectionState& state, absl::Span<std::byte> out, size_t done, uint64_t total) {
  size_t from_buffer = std::min(state.buffered(), out.size());
  Consume(state, out.data(), from_buffer);
  absl::Status read = platform::ReadExact(state.handle.get(), out.subspan(from_buffer));
  if (absl::IsOutOfRange(read)) ThrowTruncated(done + from_buffer, total);
  internal::ThrowIfError(read, "Connection recv");
}

// Reads a whole message of `length` bytes into a string, growing it as the bytes arrive when
// the announced length is large.
std::string ReadMessage(ConnectionState& state, uint64_t length) {
  std::string message;
  size_t size = static_cast<size_t>(length);
  if (size <= state.buffered()) {
    message.resize(size);
    Consume(state, reinterpret_cast<std::byte*>(message.data()), size);
    return message;
  }
  size_t have = 0;
  while (have < size) {
    size_t next = std::min(size, std::max(kUpfrontAllocation, 2 * have));
    message.resize(next);
    ReadPayload(
        state,
        absl::Span<std::byte>(reinterpret_cast<std::byte*>(message.data()) + have, next - have),
        have, length);
    have = next;
  }
  return message;
}

// A length the Connection will not read: the stream cannot be resynchronized, so it is closed.
[[noreturn]] void RefuseLength(ConnectionState& state, uint64_t length, size_t limit,
                               const char* which) {
  state.handle.reset();
  throw OSError(absl::StrCat("Connection recv: bad message length: ", length, " bytes exceeds ",
                             which, " (", limit, "); the connection is closed"));
}

uint64_t ReadCheckedLength(ConnectionState& state, std::optional<size_t> maxlength) {
  uint64_t length = ReadLength(state);
  if (length > state.max_message_size) {
    RefuseLength(state, length, state.max_message_size, "max_message_size");
  }
  if (maxlength && length > *maxlength) RefuseLength(state, length, *maxlength, "maxlength");
  return length;
}

}  // namespace

Connection::Connection() : state_(std::make_shared<ConnectionState>()) {}

Connection Connection::FromHandle(platform::OwnedHandle handle, bool readable, bool writable) {
  Connection connection;
  connection.state_->handle = std::move(handle);
  connection.state_->readable = readable;
  connection.state_->writable = writable;
  return connection;
}

void Connection::RejectHandles() {
  throw SerializationError(
      "Connection send: the value carries OS handles (a Lock, Queue, Value, Connection...), "
      "which a byte stream cannot carry; pass it as a Process or Pool argument instead");
}

void Connection::ThrowImpossibleSize() {
  throw SerializationError("Connection recv: the message announces more elements than it holds");
}

ConnectionState& Connection::open_state() const {
  if (!state_->handle.valid()) throw OSError("Connection: handle is closed");
  return *state_;
}

void Connection::send_bytes(std::span<const std::byte> bytes, size_t offset,
                            std::optional<size_t> size) {
  ConnectionState& state = open_state();
  if (!state.writable) throw OSError("Connection send: connection is read-only");
  if (offset > bytes.size()) throw ValueError("send_bytes: buffer length < offset");
  size_t count = size.value_or(bytes.size() - offset);
  if (count > bytes.size() - offset) throw ValueError("send_bytes: buffer length < offset + size");
  SendFrame(state, absl::Span<const std::byte>(bytes.data() + offset, count));
}

void Connection::send_bytes(std::string_view bytes, size_t offset, std::optional<size_t> size) {
  send_bytes(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()),
      offset, size);
}

std::string Connection::recv_bytes(std::optional<size_t> maxlength) {
  ConnectionState& state = open_state();
  if (!state.readable) throw OSError("Connection recv: connection is write-only");
  return ReadMessage(state, ReadCheckedLength(state, maxlength));
}

size_t Connection::recv_bytes_into(std::span<std::byte> buffer, size_t offset) {
  ConnectionState& state = open_state();
  if (!state.readable) throw OSError("Connection recv: connection is write-only");
  if (offset > buffer.size()) throw ValueError("recv_bytes_into: offset too large");
  uint64_t length = ReadCheckedLength(state, std::nullopt);
  if (length > buffer.size() - offset) {
    throw BufferTooShort(absl::StrCat("recv_bytes_into: a message of ", length,
                                      " bytes does not fit in ", buffer.size() - offset),
                         ReadMessage(state, length));
  }
  size_t size = static_cast<size_t>(length);
  ReadPayload(state, absl::Span<std::byte>(buffer.data() + offset, size), 0, length);
  return size;
}

bool Connection::poll(Timeout timeout) {
  ConnectionState& state = open_state();
  if (!state.readable) throw OSError("Connection poll: connection is write-only");
  if (state.buffered() != 0) return true;
  return internal::ValueOrThrow(
      platform::WaitReadable(
          state.handle.get(),
          std::max(timeout.value_or(absl::InfiniteDuration()), absl::ZeroDuration())),
      "Connection poll");
}

void Connection::close() {
  state_->handle.reset();
  state_->buffer.clear();
  state_->begin = state_->end = 0;
}

bool Connection::closed() const { return !state_->handle.valid(); }
bool Connection::readable() const { return state_->readable; }
bool Connection::writable() const { return state_->writable; }

platform::NativeHandle Connection::fileno() const { return open_state().handle.get(); }

void Connection::set_max_message_size(size_t bytes) { state_->max_message_size = bytes; }
size_t Connection::max_message_size() const { return state_->max_message_size; }

void internal::SetReadAhead(Connection& connection, bool enabled) {
  connection.state_->read_ahead = enabled;
}

bool HasBufferedInput(const Connection& connection) { return connection.state_->buffered() != 0; }

void save(cereal::PortableBinaryOutputArchive& archive, const Connection& connection) {
  const ConnectionState& state = *connection.state_;
  archive(state.handle, state.readable, state.writable,
          static_cast<uint64_t>(state.max_message_size));
  // Bytes already read ahead belong to the stream: they travel with it.
  archive(std::string(reinterpret_cast<const char*>(state.buffer.data()) + state.begin,
                      state.buffered()));
}

void load(cereal::PortableBinaryInputArchive& archive, Connection& connection) {
  auto state = std::make_shared<ConnectionState>();
  uint64_t max_message_size = 0;
  std::string pending;
  archive(state->handle, state->readable, state->writable, max_message_size, pending);
  state->max_message_size = static_cast<size_t>(max_message_size);
  if (pending.size() > kReadAheadSize) {
    throw SerializationError("a received Connection announces too many read-ahead bytes");
  }
  state->buffer.resize(kReadAheadSize);
  std::memcpy(state->buffer.data(), pending.data(), pending.size());
  state->end = pending.size();
  connection.state_ = std::move(state);
}

std::pair<Connection, Connection> Pipe(bool duplex) {
  absl::StatusOr<platform::PipePair> pair =
      duplex ? platform::CreateDuplexPipe() : platform::CreateSimplexPipe();
  internal::ThrowIfError(pair.status(), "Pipe");
  return {Connection::FromHandle(std::move(pair->first), true, duplex),
          Connection::FromHandle(std::move(pair->second), duplex, true)};
}

std::vector<Waitable> wait(const std::vector<Waitable>& objects, Timeout timeout) {
  std::vector<platform::NativeHandle> handles;
  handles.reserve(objects.size());
  bool some_buffered = false;
  for (const Waitable& object : objects) {
    if (const Connection* connection = std::get_if<Connection>(&object)) {
      handles.push_back(connection->fileno());
      some_buffered = some_buffered || HasBufferedInput(*connection);
    } else {
      handles.push_back(std::get<platform::NativeHandle>(object));
    }
  }
  // A Connection with read-ahead bytes is ready now: only look at the others without waiting.
  absl::Duration wait_for =
      some_buffered ? absl::ZeroDuration()
                    : std::max(timeout.value_or(absl::InfiniteDuration()), absl::ZeroDuration());
  std::vector<size_t> ready =
      internal::ValueOrThrow(platform::WaitForAny(handles, wait_for), "multiproc::wait");
  std::vector<Waitable> result;
  size_t next = 0;
  for (size_t i = 0; i < objects.size(); ++i) {
    bool is_ready = next < ready.size() && ready[next] == i;
    if (is_ready) ++next;
    const Connection* connection = std::get_if<Connection>(&objects[i]);
    if (is_ready || (connection != nullptr && HasBufferedInput(*connection))) {
      result.push_back(objects[i]);
    }
  }
  return result;
}

}  // namespace multiproc
