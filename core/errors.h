// The exceptions multiproc throws at its public API, named after Python's so that code and habits
// carry over from multiprocessing. Every one derives from multiproc::Error.
//
//   try {
//     process.start();
//   } catch (const multiproc::BootstrapError& error) {
//     std::cerr << error.what();  // says what to write in main()
//   }
#ifndef MULTIPROC_CORE_ERRORS_H_
#define MULTIPROC_CORE_ERRORS_H_

#include <stdexcept>
#include <string>
#include <utility>

namespace multiproc {

// Base of every multiproc exception.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Python's multiprocessing.ProcessError: misuse of a Process (start twice, join before start).
class ProcessError : public Error {
 public:
  using Error::Error;
};

// Python's ValueError: an argument or an object's state makes the call invalid (e.g. a closed
// Process).
class ValueError : public Error {
 public:
  using Error::Error;
};

// A spawned child reached Process::start (or Pool/Manager creation) without passing through
// main_guard, or its bootstrap payload was unusable.
class BootstrapError : public ProcessError {
 public:
  using ProcessError::ProcessError;
};

// Python's PicklingError: a value cannot travel to another process (e.g. a capturing lambda
// under spawn), or received bytes do not decode as the expected type.
class SerializationError : public Error {
 public:
  using Error::Error;
};

// Python's TimeoutError for operations that take a timeout.
class TimeoutError : public Error {
 public:
  using Error::Error;
};

// Python's AssertionError, raised by multiprocessing where an invariant of the caller's is
// broken (e.g. releasing an RLock this thread does not own).
class AssertionError : public Error {
 public:
  using Error::Error;
};

// Python's EOFError: the other end of a Connection closed or died, or a Queue can never deliver
// again because every other process that held it has exited.
class EOFError : public Error {
 public:
  using Error::Error;
};

// Python's queue.Empty: get() found nothing within its timeout (or at once, for get_nowait).
class Empty : public Error {
 public:
  using Error::Error;
};

// Python's queue.Full: put() found no room within its timeout (or at once, for put_nowait).
class Full : public Error {
 public:
  using Error::Error;
};

// Python's multiprocessing.BufferTooShort: recv_bytes_into got a message longer than the buffer.
// The whole message is kept here, so nothing is lost.
class BufferTooShort : public Error {
 public:
  BufferTooShort(const std::string& what, std::string message)
      : Error(what), message_(std::move(message)) {}
  const std::string& message() const { return message_; }

 private:
  std::string message_;
};

// Python's multiprocessing.AuthenticationError: the peer did not prove it knows the authkey.
class AuthenticationError : public ProcessError {
 public:
  using ProcessError::ProcessError;
};

// Python's threading.BrokenBarrierError: the Barrier was aborted or reset while waiting, or a
// wait timed out.
class BrokenBarrierError : public Error {
 public:
  using Error::Error;
};

// Python's multiprocessing.managers.RemoteError: an exception raised by a manager's referent,
// or a request the manager refused; what() carries the remote type name and message.
class RemoteError : public Error {
 public:
  using Error::Error;
};

// A Pool worker died (killed, crashed or exited) while it held a task; the task fails with this
// (CPython's Pool hangs forever here). what() names the pid and the exit code or signal.
class WorkerLostError : public Error {
 public:
  using Error::Error;
};

// An operating-system call failed; what() names the call and the OS's reason.
class OSError : public Error {
 public:
  using Error::Error;
};

// Python's FileExistsError: creating a named object (SharedMemory) whose name is taken.
class FileExistsError : public OSError {
 public:
  using OSError::OSError;
};

// Python's FileNotFoundError: attaching to (or unlinking) a named object that does not exist.
class FileNotFoundError : public OSError {
 public:
  using OSError::OSError;
};

// Thrown inside a child by multiproc::exit(code) (Python's sys.exit): the child ends with `code`.
class SystemExit {
 public:
  explicit SystemExit(int code) : code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// Ends the calling child process with `code`, unwinding its stack first (Python's sys.exit).
[[noreturn]] inline void exit(int code) { throw SystemExit(code); }

}  // namespace multiproc

#endif  // MULTIPROC_CORE_ERRORS_H_
