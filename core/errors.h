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

// An operating-system call failed; what() names the call and the OS's reason.
class OSError : public Error {
 public:
  using Error::Error;
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
