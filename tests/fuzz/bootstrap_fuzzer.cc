// The bootstrap payload a spawned child reads from its parent: magic, length, cereal body.
// Whatever arrives, ReadBootstrap returns a payload or DataLoss; it never crashes or allocates
// beyond the bytes it received.
#include "core/bootstrap.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > multiproc::fuzzing::kMaxPipedInput) return -1;
  multiproc::platform::PipePair pipe = multiproc::fuzzing::PipeHolding(data, size, false);
  (void)multiproc::internal::ReadBootstrap(pipe.first.get());
  return 0;
}
