// POSIX only: sweeping a process's descriptor table, for a child that must hold only what it was
// given. Async-signal-safe (system calls only), so it may run between fork and exec.
#ifndef MULTIPROC_PLATFORM_POSIX_DESCRIPTORS_H_
#define MULTIPROC_PLATFORM_POSIX_DESCRIPTORS_H_

namespace multiproc::platform {

enum class Sweep { kClose, kMarkCloseOnExec };

// Closes, or marks close-on-exec, every descriptor numbered `first` or above: close_range where
// the kernel has it (Linux 5.11), else a walk of the table up to the descriptor limit.
void SweepDescriptorsFrom(int first, Sweep sweep);

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_POSIX_DESCRIPTORS_H_
