// SPDX-License-Identifier: MIT
#include "kdf_bounds.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>

namespace secretmem::fuzz {
namespace {

// openssl genpkey and pkcs8 use 2048 PBKDF2 iterations, scrypt N = 16384.
constexpr std::int64_t max_iterations = 10000;
constexpr std::int64_t max_scrypt_n = std::int64_t{1} << 14;
constexpr std::int64_t max_scrypt_r = 8;
constexpr std::int64_t max_scrypt_p = 1;

// Unparsable parameters cost nothing: the decryption stops there.
template <typename T>
T* unpack(const ASN1_ITEM* item, const ASN1_TYPE* parameter)
{
    return parameter != nullptr ? static_cast<T*>(ASN1_TYPE_unpack_sequence(item, parameter))
                                : nullptr;
}

// Absent is cheap; too large for 64 bits is not.
bool within(const ASN1_INTEGER* n, std::int64_t bound)
{
    std::int64_t value = 0;
    return n == nullptr || (ASN1_INTEGER_get_int64(&value, n) == 1 && value <= bound);
}

bool kdf_affordable(const X509_ALGOR* kdf)
{
    switch (OBJ_obj2nid(kdf->algorithm)) {
    case NID_id_pbkdf2: {
        const std::unique_ptr<PBKDF2PARAM, decltype(&PBKDF2PARAM_free)> p(
            unpack<PBKDF2PARAM>(ASN1_ITEM_rptr(PBKDF2PARAM), kdf->parameter), PBKDF2PARAM_free);
        return !p || within(p->iter, max_iterations);
    }
    case NID_id_scrypt: {
        const std::unique_ptr<SCRYPT_PARAMS, decltype(&SCRYPT_PARAMS_free)> p(
            unpack<SCRYPT_PARAMS>(ASN1_ITEM_rptr(SCRYPT_PARAMS), kdf->parameter),
            SCRYPT_PARAMS_free);
        return !p ||
               (within(p->costParameter, max_scrypt_n) && within(p->blockSize, max_scrypt_r) &&
                within(p->parallelizationParameter, max_scrypt_p));
    }
    default:
        return true;
    }
}

bool pbe_affordable(const X509_ALGOR* pbe)
{
    if (OBJ_obj2nid(pbe->algorithm) == NID_pbes2) {
        const std::unique_ptr<PBE2PARAM, decltype(&PBE2PARAM_free)> p(
            unpack<PBE2PARAM>(ASN1_ITEM_rptr(PBE2PARAM), pbe->parameter), PBE2PARAM_free);
        return !p || p->keyfunc == nullptr || kdf_affordable(p->keyfunc);
    }
    // PKCS#5 v1.5 and PKCS#12 schemes: PBEPARAM's iteration count.
    const std::unique_ptr<PBEPARAM, decltype(&PBEPARAM_free)> p(
        unpack<PBEPARAM>(ASN1_ITEM_rptr(PBEPARAM), pbe->parameter), PBEPARAM_free);
    return !p || within(p->iter, max_iterations);
}

bool der_affordable(const unsigned char* der, long length)
{
    const std::unique_ptr<X509_SIG, decltype(&X509_SIG_free)> sig(
        d2i_X509_SIG(nullptr, &der, length), X509_SIG_free);
    if (!sig)
        return true;
    const X509_ALGOR* pbe = nullptr;
    const ASN1_OCTET_STRING* digest = nullptr;
    X509_SIG_get0(sig.get(), &pbe, &digest);
    return pbe == nullptr || pbe_affordable(pbe);
}

bool pem_affordable(std::span<const std::uint8_t> file)
{
    const std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(file.data(), static_cast<int>(file.size())), BIO_free);
    if (!bio)
        return true;
    bool affordable = true;
    for (;;) {
        char* name = nullptr;
        char* header = nullptr;
        unsigned char* data = nullptr;
        long length = 0;
        if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1)
            break;
        affordable = affordable && der_affordable(data, length);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
    }
    return affordable;
}

} // namespace

bool kdf_cost_affordable(std::span<const std::uint8_t> file)
{
    ERR_set_mark();
    const bool affordable =
        der_affordable(file.data(), static_cast<long>(file.size())) && pem_affordable(file);
    ERR_pop_to_mark();
    return affordable;
}

} // namespace secretmem::fuzz
