// SPDX-License-Identifier: MIT
// libFuzzer target: a key file, decoded by the secretmem provider the ways
// OpenSSL reaches it, from the module OpenSSL loads.  The input:
//
//   byte 0   mode: bits 0-1 the route: 0 the secretmem: store (the file
//            written to a temporary path), 1 OSSL_DECODER with input DER,
//            2 with PEM, 3 with any input type; bit 2 the passphrase
//            callback gives the passphrase (else it refuses); bit 3 the key
//            is used (signs, derives); bit 4 the URI is secretmem://PATH
//            rather than secretmem:PATH; bit 5 the decoder's selection is
//            any part of a key rather than a key pair
//   rest     the file's bytes
//
// Each input is checked against the default provider's decoding of the
// same bytes (key_checks.hpp), leaves no OpenSSL object behind
// (LeakSanitizer) and nothing on the error queue.
#include "../common/check.hpp"
#include "../common/input.hpp"
#include "kdf_bounds.hpp"
#include "key_checks.hpp"
#include "openssl_env.hpp"

#include <openssl_ptr.hpp>
#include <store_first_key.hpp>

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/store.h>
#include <openssl/ui.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

using namespace secretmem::fuzz;
using secretmem::openssl::decoder_ctx_ptr;
using secretmem::openssl::first_pkey;
using secretmem::openssl::pkey_ptr;
using secretmem::openssl::store_ptr;

// The passphrase every encrypted seed in fuzz/corpus/provider-keys uses.
constexpr std::string_view passphrase = "secretmem fuzz passphrase";

struct mode {
    unsigned route;
    bool give_passphrase;
    bool use_key;
    bool slashes;
    bool any_selection;
};

mode mode_of(std::uint8_t b)
{
    return {b & 3U, (b & 4U) != 0, (b & 8U) != 0, (b & 16U) != 0, (b & 32U) != 0};
}

// For the store, through UI_UTIL_wrap_read_pem_callback.
int pem_passphrase(char* buffer, int size, int /*rwflag*/, void* give)
{
    if (give == nullptr || static_cast<int>(passphrase.size()) > size)
        return -1;
    passphrase.copy(buffer, passphrase.size());
    return static_cast<int>(passphrase.size());
}

// For decoders.
int decoder_passphrase(char* buffer, std::size_t size, std::size_t* length,
                       const OSSL_PARAM* /*params*/, void* give)
{
    if (give == nullptr || passphrase.size() > size)
        return 0;
    *length = passphrase.copy(buffer, passphrase.size());
    return 1;
}

void* passphrase_arg(const mode& m)
{
    static char give = 1;
    return m.give_passphrase ? &give : nullptr;
}

// One path per process, written for each input and removed once the store
// has read it (libFuzzer leaves with _Exit: no atexit handler would run).
const std::string& key_path()
{
    static const std::string path = [] {
        const char* tmp = std::getenv("TMPDIR");
        return std::string(tmp != nullptr && tmp[0] != '\0' ? tmp : "/tmp") +
               "/secretmem-fuzz-key-" + std::to_string(::getpid());
    }();
    return path;
}

void write_key_file(std::span<const std::uint8_t> file)
{
    const int fd = ::open(key_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0, "cannot write %s: %s", key_path().c_str(), std::strerror(errno));
    std::size_t done = 0;
    while (done < file.size()) {
        const ssize_t n = ::write(fd, file.data() + done, file.size() - done);
        FUZZ_CHECK(n > 0, "cannot write %s: %s", key_path().c_str(), std::strerror(errno));
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
}

pkey_ptr decode(OSSL_LIB_CTX* libctx, const char* input_type, int selection,
                std::span<const std::uint8_t> file, const mode& m)
{
    EVP_PKEY* key = nullptr;
    const decoder_ctx_ptr ctx(OSSL_DECODER_CTX_new_for_pkey(&key, input_type, nullptr, nullptr,
                                                            selection, libctx, nullptr));
    if (!ctx ||
        OSSL_DECODER_CTX_set_passphrase_cb(ctx.get(), decoder_passphrase, passphrase_arg(m)) != 1)
        return nullptr;
    const unsigned char* data = file.data();
    std::size_t length = file.size();
    if (OSSL_DECODER_from_data(ctx.get(), &data, &length) != 1) {
        EVP_PKEY_free(key);
        return nullptr;
    }
    return pkey_ptr(key);
}

pkey_ptr load_from_store(const mode& m)
{
    const std::string uri = (m.slashes ? "secretmem://" : "secretmem:") + key_path();
    const std::unique_ptr<UI_METHOD, decltype(&UI_destroy_method)> ui(
        UI_UTIL_wrap_read_pem_callback(pem_passphrase, 0), UI_destroy_method);
    FUZZ_CHECK(ui != nullptr, "UI_UTIL_wrap_read_pem_callback failed");
    const store_ptr store(OSSL_STORE_open_ex(uri.c_str(), environment().app, nullptr, ui.get(),
                                             passphrase_arg(m), nullptr, nullptr, nullptr));
    FUZZ_CHECK(store != nullptr, "the secretmem store does not open %s", uri.c_str());
    FUZZ_CHECK(OSSL_STORE_expect(store.get(), OSSL_STORE_INFO_PKEY) == 1,
               "OSSL_STORE_expect failed");
    return first_pkey(store.get());
}

// The store's own decoding, by the default provider alone.
pkey_ptr reference_key(std::span<const std::uint8_t> file, const mode& m)
{
    ERR_set_mark();
    pkey_ptr key = decode(environment().reference, nullptr, OSSL_KEYMGMT_SELECT_KEYPAIR, file, m);
    ERR_pop_to_mark();
    return key;
}

void through_store(std::span<const std::uint8_t> file, const mode& m)
{
    write_key_file(file);
    const pkey_ptr key = load_from_store(m);
    ::unlink(key_path().c_str());
    if (!key) {
        // Every refusal says why: a person must be able to act on it.
        FUZZ_CHECK(ERR_peek_error() != 0, "the store loaded no key and said nothing");
        return;
    }
    FUZZ_CHECK(provider_of(key.get()) == "secretmem", "the store gave a key of provider %s",
               provider_of(key.get()).c_str());
    const pkey_ptr reference = reference_key(file, m);
    check_held_key(key.get(), reference.get(), m.use_key);
}

void through_decoder(std::span<const std::uint8_t> file, const mode& m)
{
    static constexpr const char* input_types[] = {"DER", "DER", "PEM", nullptr};
    const char* input_type = input_types[m.route];
    const int selection = m.any_selection ? 0 : OSSL_KEYMGMT_SELECT_KEYPAIR;
    const pkey_ptr key = decode(environment().app, input_type, selection, file, m);
    if (!key || provider_of(key.get()) != "secretmem")
        return;
    ERR_set_mark();
    const pkey_ptr reference = decode(environment().reference, input_type, selection, file, m);
    ERR_pop_to_mark();
    check_held_key(key.get(), reference.get(), m.use_key);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/)
{
    (void)environment();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    input in({data, size});
    const mode m = mode_of(in.byte());
    const std::span<const std::uint8_t> file = in.rest();
    if (!kdf_cost_affordable(file))
        return -1; // not added to the corpus
    if (m.route == 0) {
        through_store(file, m);
    } else {
        through_decoder(file, m);
    }
    ERR_clear_error();
    return 0;
}
