// The framed messages that carry handles to running processes (Pool tasks, the forkserver):
// ReceiveHandleMessage returns a message or an error for any bytes, never crashes or hangs.
#include "platform/handle_passing.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > multiproc::fuzzing::kMaxPipedInput) return -1;
  multiproc::platform::PipePair pipe = multiproc::fuzzing::PipeHolding(data, size, true);
  (void)multiproc::platform::ReceiveHandleMessage(pipe.first.get());
  return 0;
}
