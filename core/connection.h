// Connections between processes, as Python's multiprocessing.connection: Pipe() makes two
// connected Connection objects; each sends and receives whole messages, either serialized values
// (send/recv) or raw bytes (send_bytes/recv_bytes/recv_bytes_into). A Connection travels to a
// child as a Process argument (or to a running process through the handle transport) and keeps
// referring to the same pipe end there.
//
//   void Worker(multiproc::Connection conn) {
//     auto job = conn.recv<std::vector<int>>();
//     conn.send(std::accumulate(job.begin(), job.end(), 0));
//   }
//
//   auto [parent_end, child_end] = multiproc::Pipe();
//   multiproc::Process child(Worker, child_end);
//   child.start();
//   child_end.close();                       // as in Python: the parent keeps only its own end
//   parent_end.send(std::vector<int>{1, 2, 3});
//   int sum = parent_end.recv<int>();        // 6
//
// Copies of a Connection share one pipe end (close() closes it for every copy); the end is closed
// when the last copy goes away. A Connection is not safe for concurrent use by two threads.
//
// Wire format: CPython's own framing (a 4-byte big-endian length, or -1 followed by an 8-byte
// length for messages of 2 GiB and more), so a message's boundaries are never merged or split,
// however large (a 64 MiB message is fine) or small (an empty message is a real message).
//
// Errors, and the state a Connection is left in:
//   - EOFError: the peer closed its end or died, also in the middle of a message (a truncated
//     frame). Nothing more will arrive; later receives raise EOFError again.
//   - OSError on a receive: an announced length above max_message_size() (no memory is allocated
//     for it) or above recv_bytes' maxlength. The rest of that message cannot be skipped
//     reliably, so the Connection is closed (as CPython's recv_bytes(maxlength) does).
//   - SerializationError from recv<T>: the message was not a T (wrong type, garbage bytes). The
//     whole message was consumed, so the Connection stays usable for the next one.
//   - SerializationError from send<T>: the value carries OS handles (a Lock, a Queue, another
//     Connection...). Such objects travel as Process or Pool arguments, or through the handle
//     transport; a byte stream cannot carry them. Nothing was sent.
//   - BufferTooShort from recv_bytes_into: the message (consumed, kept in the exception) did not
//     fit. The Connection stays usable.
//   - OSError on a send: the peer is gone (Python's BrokenPipeError) or the end is not writable.
//   - ValueError: bad offset/size arguments; nothing happened.
//   - OSError after close(): "handle is closed", as CPython.
#ifndef MULTIPROC_CORE_CONNECTION_H_
#define MULTIPROC_CORE_CONNECTION_H_

#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "core/errors.h"
#include "core/serialization.h"
#include "core/timeout.h"
#include "platform/handle.h"

namespace multiproc {

class Connection;

namespace internal {
struct ConnectionState;
// Off while authenticating (core/authentication.h): reads then take exactly one message.
void SetReadAhead(Connection& connection, bool enabled);
}  // namespace internal

class Connection {
 public:
  // The largest message a new Connection accepts unless told otherwise.
  static constexpr size_t kDefaultMaxMessageSize = size_t{1} << 31;

  // A closed Connection (every operation raises OSError). Connections come from Pipe(),
  // Listener::accept() and Client().
  Connection();

  // Takes ownership of `handle`, an end of a byte stream (a pipe, socket or named pipe).
  static Connection FromHandle(platform::OwnedHandle handle, bool readable, bool writable);

  // Sends `value` as one message. SerializationError if it carries OS handles (see above).
  template <typename T>
  void send(const T& value) {
    HandleTable handles;
    std::string bytes = internal::Encode(handles, value);
    if (handles.size() != 0) RejectHandles();
    send_bytes(std::string_view(bytes));
  }

  // Receives one message and decodes it as a T (default-constructible). SerializationError if
  // it is not one.
  template <typename T>
  T recv() {
    std::string bytes = recv_bytes();
    HandleTable no_handles;
    T value{};
    try {
      internal::Decode(bytes, no_handles, value);
    } catch (const std::length_error&) {
      ThrowImpossibleSize();  // a corrupt element count
    } catch (const std::bad_alloc&) {
      ThrowImpossibleSize();
    }
    return value;
  }

  // Sends `size` bytes of `bytes` starting at `offset` (by default everything after it) as one
  // message. ValueError if they lie outside `bytes`.
  void send_bytes(std::span<const std::byte> bytes, size_t offset = 0,
                  std::optional<size_t> size = std::nullopt);
  void send_bytes(std::string_view bytes, size_t offset = 0,
                  std::optional<size_t> size = std::nullopt);

  // Receives one message. OSError (and the Connection is closed) if it is longer than
  // `maxlength`.
  std::string recv_bytes(std::optional<size_t> maxlength = std::nullopt);

  // Receives one message into `buffer` at `offset` and returns its length. BufferTooShort (with
  // the message) if it does not fit; ValueError if offset > buffer.size().
  size_t recv_bytes_into(std::span<std::byte> buffer, size_t offset = 0);

  // Whether a message (or the end of the stream) is waiting. Returns at once by default, as
  // Python's poll(); waits up to `timeout`; std::nullopt waits for ever.
  bool poll(Timeout timeout = absl::ZeroDuration());

  // Closes the pipe end for every copy of this Connection. Closing twice is harmless.
  void close();
  bool closed() const;
  bool readable() const;
  bool writable() const;

  // The OS handle (file descriptor / HANDLE); OSError when closed.
  platform::NativeHandle fileno() const;

  // Messages announcing a longer length are refused with OSError before any allocation.
  void set_max_message_size(size_t bytes);
  size_t max_message_size() const;

  // Same pipe end (copies compare equal).
  friend bool operator==(const Connection& a, const Connection& b) { return a.state_ == b.state_; }

  // Handle-reference serialization (a Connection as a Process argument); found by ADL.
  friend void save(cereal::PortableBinaryOutputArchive& archive, const Connection& connection);
  friend void load(cereal::PortableBinaryInputArchive& archive, Connection& connection);

 private:
  friend bool HasBufferedInput(const Connection& connection);
  friend void internal::SetReadAhead(Connection& connection, bool enabled);

  [[noreturn]] static void RejectHandles();
  [[noreturn]] static void ThrowImpossibleSize();
  internal::ConnectionState& open_state() const;

  std::shared_ptr<internal::ConnectionState> state_;
};

// Two connected Connections. Duplex (the default): both ends send and receive. Simplex: the
// first end only receives, the second only sends (Python's Pipe(duplex=False)).
std::pair<Connection, Connection> Pipe(bool duplex = true);

// What multiproc::wait watches: a Connection (ready when a message or the end of the stream is
// waiting) or a process sentinel, Process::sentinel() (ready when the process has ended).
using Waitable = std::variant<Connection, platform::NativeHandle>;

// The objects of `objects` that are ready, in the order given; empty when `timeout` expires
// first (std::nullopt waits until one is ready). Python's multiprocessing.connection.wait.
// Any number of objects (on Windows too, beyond WaitForMultipleObjects' 64).
std::vector<Waitable> wait(const std::vector<Waitable>& objects, Timeout timeout = std::nullopt);

}  // namespace multiproc

#endif  // MULTIPROC_CORE_CONNECTION_H_
