// Exceptions that managed objects raise, named after the Python built-ins a manager proxy
// re-raises: a missing dict key (KeyError), a list index out of range (IndexError), a missing
// Namespace attribute (AttributeError), a value of another type than the one asked for
// (TypeError).
//
//   try {
//     int x = ns.get<int>("x");
//   } catch (const multiproc::AttributeError& error) {
//     ...  // nobody set "x"
//   }
//
// Everything else a referent throws comes back as RemoteError ("TypeName: message"); Empty,
// Full, ValueError, AssertionError, BrokenBarrierError and TimeoutError come back as themselves.
#ifndef MULTIPROC_CORE_MANAGER_ERRORS_H_
#define MULTIPROC_CORE_MANAGER_ERRORS_H_

#include "core/errors.h"

namespace multiproc {

class KeyError : public Error {
 public:
  using Error::Error;
};

class IndexError : public Error {
 public:
  using Error::Error;
};

class AttributeError : public Error {
 public:
  using Error::Error;
};

class TypeError : public Error {
 public:
  using Error::Error;
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_MANAGER_ERRORS_H_
