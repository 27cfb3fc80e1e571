// POSIX only (Linux): see descriptors.h.
#include "platform/posix/descriptors.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

// Older C library headers lack it; the kernel's value.
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace multiproc::platform {

void SweepDescriptorsFrom(int first, Sweep sweep) {
  unsigned flags = sweep == Sweep::kClose ? 0U : CLOSE_RANGE_CLOEXEC;
  if (::syscall(SYS_close_range, static_cast<unsigned>(first), ~0U, flags) == 0) return;
  rlimit limit{};
  int highest = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < INT_MAX
                    ? static_cast<int>(limit.rlim_cur)
                    : 65536;
  for (int fd = first; fd < highest; ++fd) {
    if (sweep == Sweep::kClose) {
      ::close(fd);
    } else {
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
  }
}

}  // namespace multiproc::platform
