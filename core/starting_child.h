// Whether the calling thread is encoding the arguments of a child being started: a Process
// target's arguments, which include a Pool worker's initargs. A secret that CPython sends only to
// a starting child (a manager proxy's authkey) travels only then; a proxy sent anywhere else (a
// Connection, a Queue, a Pool task) travels without it, and the receiver uses the key it already
// has, as CPython's proxies do.
//
//   {
//     internal::StartingChild starting;
//     payload.arguments = encode_arguments(handles);
//   }
#ifndef MULTIPROC_CORE_STARTING_CHILD_H_
#define MULTIPROC_CORE_STARTING_CHILD_H_

namespace multiproc::internal {

class StartingChild {
 public:
  // Marks the calling thread as starting a child until destroyed (scopes nest).
  StartingChild();
  ~StartingChild();
  StartingChild(const StartingChild&) = delete;
  StartingChild& operator=(const StartingChild&) = delete;

  // Whether a StartingChild of the calling thread is alive.
  static bool InProgress();

 private:
  bool enclosing_;
};

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_STARTING_CHILD_H_
