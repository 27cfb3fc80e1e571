// Whether this build runs under a sanitizer that changes how processes behave. ThreadSanitizer
// maps shadow memory for every page a process touches, so a child that merely reads shared or
// inherited memory shows private memory growth (about 4x what it read): the copy-on-write
// checks (seed 000) cannot be made under it. It also replaces vfork with fork
// (platform/posix/process.cc launches accordingly).
#ifndef MULTIPROC_PLATFORM_SANITIZERS_H_
#define MULTIPROC_PLATFORM_SANITIZERS_H_

namespace multiproc::platform {

#if defined(__SANITIZE_THREAD__)
inline constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool kThreadSanitizer = true;
#else
inline constexpr bool kThreadSanitizer = false;
#endif
#else
inline constexpr bool kThreadSanitizer = false;
#endif

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_SANITIZERS_H_
