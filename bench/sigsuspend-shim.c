/* LD_PRELOAD shim for running libdispatch programs (dispatchMain) under valgrind.
 * libdispatch's _dispatch_sigsuspend() passes a `static const sigset_t mask` (read-only memory) to
 * sigsuspend(); valgrind's PRE(sys_rt_sigsuspend) removes VG_SIGVGKILL from the caller's mask in
 * place and so faults (internal SIGSEGV, "the 'impossible' happened", thread 1 in syscall 130).
 * This passes a writable copy instead. Build: cc -O2 -shared -fPIC -o sigsuspend-shim.so sigsuspend-shim.c */
#define _GNU_SOURCE
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>

int sigsuspend(const sigset_t *mask) {
    sigset_t copy;
    if (mask) copy = *mask;
    /* the kernel takes the size of its own sigset (8 bytes on x86-64), as glibc passes */
    return (int)syscall(SYS_rt_sigsuspend, mask ? &copy : NULL, (size_t)(_NSIG / 8));
}
