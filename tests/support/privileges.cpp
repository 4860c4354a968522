// SPDX-License-Identifier: MIT
#include "privileges.hpp"

#include <secretmem/mman.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace secretmem::test {
namespace {

[[noreturn]] void fail(const char* what)
{
    std::perror(what);
    std::abort();
}

constexpr unsigned memfd_secret_nr = 447;

} // namespace

void hide_secret_syscalls(bool deny)
{
    const unsigned memfd_errno = deny ? EPERM : ENOSYS;
    sock_filter program[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, memfd_secret_nr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | memfd_errno),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[2])),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_SECRET, 0, 5),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
        // mmap() with the MAP_SECRET mapping type: EINVAL, as from any
        // kernel that does not know the type.
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[3])),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, MAP_TYPE),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MAP_SECRET, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof(program) / sizeof(program[0])), program};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        fail("PR_SET_NO_NEW_PRIVS");
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
        fail("seccomp");
}

void limit_memlock(unsigned long bytes)
{
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    if (::syscall(SYS_capget, &header, data) != 0)
        fail("capget");
    data[CAP_TO_INDEX(CAP_IPC_LOCK)].effective &= ~CAP_TO_MASK(CAP_IPC_LOCK);
    if (::syscall(SYS_capset, &header, data) != 0)
        fail("capset");
    const rlimit limit{bytes, bytes};
    if (::setrlimit(RLIMIT_MEMLOCK, &limit) != 0)
        fail("setrlimit(RLIMIT_MEMLOCK)");
}

} // namespace secretmem::test
