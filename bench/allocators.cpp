#include "allocators.hpp"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <openssl/crypto.h>
#include <sodium.h>
#ifdef ALLOC_BENCH_HAVE_SECRETMEM
#include <secretmem/alloc.h>
#endif

namespace alloc_bench {

namespace {

using allocate_fn = void* (*)(std::size_t);
using release_fn = void (*)(void*);
using mallctl_fn = int (*)(const char*, void*, std::size_t*, void*, std::size_t);

// Never closed: the allocators live as long as the process.
void* jemalloc_handle = nullptr;
int openssl_init_result = -1;

// dlsym() hands out an object pointer; POSIX guarantees that it converts to
// the function's type.
template <typename Fn>
Fn symbol(void* handle, const char* name)
{
    void* p = dlsym(handle, name);
    Fn fn = nullptr;
    static_assert(sizeof fn == sizeof p);
    std::memcpy(&fn, &p, sizeof fn);
    return fn;
}

// The file a function comes from, as the dynamic linker says.
std::string provider(const void* function)
{
    Dl_info info{};
    if (dladdr(function, &info) == 0 || info.dli_fname == nullptr) {
        return "unknown";
    }
    return info.dli_fname;
}

std::string function_provider(allocate_fn fn)
{
    void* p = nullptr;
    std::memcpy(&p, &fn, sizeof p);
    return provider(p);
}

heap_figures no_figures()
{
    return {};
}

heap_figures openssl_figures()
{
    heap_figures f;
    f.secret_bytes = openssl_heap_size;
    return f;
}

void* openssl_allocate(std::size_t size)
{
    return OPENSSL_secure_malloc(size);
}

void openssl_release(void* p)
{
    OPENSSL_secure_free(p);
}

#ifdef ALLOC_BENCH_HAVE_SECRETMEM
heap_figures secretmem_figures()
{
    secretmem_heap_stats stats{};
    heap_figures f;
    if (secretmem_get_heap_stats(&stats) != 0) {
        return f;
    }
    f.secret_bytes = stats.mapped_bytes;
    f.metadata_bytes = stats.metadata_bytes;
    f.backend = stats.backend != nullptr ? stats.backend : "not started";
    f.degraded = stats.degraded != 0;
    const char* error = secretmem_heap_error();
    f.error = error != nullptr ? error : "";
    return f;
}
#endif

std::string jemalloc_version()
{
    auto mallctl = symbol<mallctl_fn>(jemalloc_handle, "mallctl");
    const char* version = nullptr;
    std::size_t size = sizeof version;
    if (mallctl == nullptr ||
        mallctl("version", static_cast<void*>(&version), &size, nullptr, 0) != 0) {
        return "unknown";
    }
    return version;
}

} // namespace

bool jemalloc_loadable(std::string& error)
{
    if (jemalloc_handle == nullptr) {
        jemalloc_handle = dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_LOCAL);
    }
    if (jemalloc_handle == nullptr) {
        const char* why = dlerror();
        error = why != nullptr ? why : "dlopen failed";
        return false;
    }
    return true;
}

std::string tls_tunable()
{
    // jemalloc 5.3's initial-exec TLS is 2.6 KiB; glibc keeps 512 bytes.
    return "glibc.rtld.optional_static_tls=8192";
}

std::vector<allocator> set_up(std::vector<std::string>& missing)
{
    std::vector<allocator> out;

#ifdef ALLOC_BENCH_HAVE_SECRETMEM
    out.push_back({"secretmem", secretmem_malloc, secretmem_free, false, true, secretmem_figures});
#else
    missing.emplace_back("secretmem: not built (allocator/ defines no alloc_dep yet)");
#endif

    void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    auto glibc_malloc = libc != nullptr ? symbol<allocate_fn>(libc, "malloc") : nullptr;
    auto glibc_free = libc != nullptr ? symbol<release_fn>(libc, "free") : nullptr;
    if (glibc_malloc != nullptr && glibc_free != nullptr) {
        out.push_back({"glibc", glibc_malloc, glibc_free, false, false, no_figures});
    } else {
        missing.emplace_back("glibc: malloc/free not found in libc.so.6");
    }

    std::string error;
    auto je_malloc =
        jemalloc_loadable(error) ? symbol<allocate_fn>(jemalloc_handle, "malloc") : nullptr;
    auto je_free = je_malloc != nullptr ? symbol<release_fn>(jemalloc_handle, "free") : nullptr;
    if (je_malloc != nullptr && je_free != nullptr) {
        out.push_back({"jemalloc", je_malloc, je_free, false, false, no_figures});
    } else {
        missing.emplace_back("jemalloc: " + (error.empty() ? "no malloc/free in it" : error));
    }

    if (sodium_init() >= 0) {
        out.push_back({"sodium", sodium_malloc, sodium_free, true, true, no_figures});
    } else {
        missing.emplace_back("sodium: sodium_init() failed");
    }

    if (openssl_init_result < 0) {
        openssl_init_result = CRYPTO_secure_malloc_init(openssl_heap_size, openssl_min_block);
    }
    // 0: no secure heap, and CRYPTO_secure_malloc() would fall back to
    // ordinary memory, which is not what is measured here.
    if (openssl_init_result != 0 && CRYPTO_secure_malloc_initialized() == 1) {
        out.push_back({"openssl", openssl_allocate, openssl_release, true, true, openssl_figures});
    } else {
        missing.emplace_back("openssl: CRYPTO_secure_malloc_init failed");
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> describe()
{
    std::vector<std::pair<std::string, std::string>> d;
    d.emplace_back("glibc_version", gnu_get_libc_version());
    // Which library serves this process's own malloc (glibc is measured
    // through libc.so.6's symbols whatever it says).
    d.emplace_back("process_malloc", function_provider(&malloc));
    if (jemalloc_handle != nullptr) {
        d.emplace_back("jemalloc_version", jemalloc_version());
        d.emplace_back("jemalloc_library",
                       function_provider(symbol<allocate_fn>(jemalloc_handle, "malloc")));
    }
    d.emplace_back("sodium_version", sodium_version_string());
    d.emplace_back("openssl_version", OpenSSL_version(OPENSSL_VERSION));
    d.emplace_back(
        "openssl_secure_heap",
        openssl_init_result < 0
            ? "not set up"
            : "CRYPTO_secure_malloc_init(" + std::to_string(openssl_heap_size) + ", " +
                  std::to_string(openssl_min_block) + ") = " + std::to_string(openssl_init_result) +
                  (openssl_init_result == 2 ? " (arena not locked or no guard pages)" : ""));
#ifdef ALLOC_BENCH_HAVE_SECRETMEM
    d.emplace_back("secretmem_allocator", "built");
#else
    d.emplace_back("secretmem_allocator", "not built (allocator/ defines no alloc_dep yet)");
#endif
    return d;
}

} // namespace alloc_bench
