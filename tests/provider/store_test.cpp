// SPDX-License-Identifier: MIT
// The secretmem: store (run under libsecretmem-preload.so): key files in
// the formats servers keep them in load straight into the provider, and
// every way a file can be wrong gives an error a person can act on.
#include "fixture.hpp"

#include <store_first_key.hpp>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/store.h>
#include <openssl/ui.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mntent.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace secretmem::provider_test;
using secretmem::openssl::first_pkey;
using secretmem::openssl::store_ptr;

constexpr const char* passphrase = "correct horse battery staple";

int passphrase_callback(char* buffer, int size, int /*rwflag*/, void* userdata)
{
    const std::string pass = static_cast<const char*>(userdata);
    if (static_cast<int>(pass.size()) > size)
        return -1;
    pass.copy(buffer, pass.size());
    return static_cast<int>(pass.size());
}

class Store : public ProviderTest {
protected:
    void SetUp() override
    {
        ProviderTest::SetUp();
        dir_ = std::filesystem::temp_directory_path() /
               ("secretmem-store-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override
    {
        std::filesystem::remove_all(dir_);
        ProviderTest::TearDown();
    }

    [[nodiscard]] pkey_ptr default_key(const char* type, const char* group) const
    {
        std::vector<OSSL_PARAM> params;
        if (group != nullptr) {
            params.push_back(OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                              const_cast<char*>(group), 0));
        }
        return generate(type, "provider=default", params);
    }

    enum class format { pkcs8_pem, traditional_pem, encrypted_pem, der };

    [[nodiscard]] std::filesystem::path write(EVP_PKEY* key, format f, const std::string& name)
    {
        const std::filesystem::path path = dir_ / name;
        BIO* out = BIO_new_file(path.c_str(), "wb");
        if (out == nullptr)
            return {};
        bool ok = false;
        switch (f) {
        case format::pkcs8_pem:
            ok = PEM_write_bio_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
            break;
        case format::traditional_pem:
            ok = PEM_write_bio_PrivateKey_traditional(out, key, nullptr, nullptr, 0, nullptr,
                                                      nullptr) == 1;
            break;
        case format::encrypted_pem:
            ok = PEM_write_bio_PKCS8PrivateKey(out, key, EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                               const_cast<char*>(passphrase)) == 1;
            break;
        case format::der:
            ok = i2d_PrivateKey_bio(out, key) == 1;
            break;
        }
        BIO_free(out);
        return ok ? path : std::filesystem::path{};
    }

    // The first key the URI names, through the store, with `pass` for
    // encrypted files; null and the errors in `errors` on failure.
    [[nodiscard]] pkey_ptr load(const std::string& uri, const char* pass, std::string& errors) const
    {
        UI_METHOD* ui = UI_UTIL_wrap_read_pem_callback(passphrase_callback, 0);
        pkey_ptr key;
        {
            const store_ptr store(OSSL_STORE_open_ex(uri.c_str(), libctx(), nullptr, ui,
                                                     const_cast<char*>(pass), nullptr, nullptr,
                                                     nullptr));
            key = first_pkey(store.get());
        }
        UI_destroy_method(ui);
        errors = drain_errors();
        return key;
    }

    void expect_loads(EVP_PKEY* original, const std::filesystem::path& path, const char* pass)
    {
        ASSERT_FALSE(path.empty());
        std::string errors;
        const pkey_ptr key = load("secretmem:" + path.string(), pass, errors);
        ASSERT_NE(key, nullptr) << path << ": " << errors;
        EXPECT_EQ(provider_of(key.get()), "secretmem") << path;
        expect_secret_backend(backend_of(key.get()));
        EXPECT_EQ(EVP_PKEY_eq(key.get(), original), 1) << path;
        const char* md = EVP_PKEY_is_a(key.get(), "ED25519") == 1 ? nullptr : "SHA256";
        if (EVP_PKEY_is_a(key.get(), "X25519") == 1)
            return;
        const std::vector<unsigned char> sig = sign(key.get(), md);
        ASSERT_FALSE(sig.empty()) << drain_errors();
        EXPECT_TRUE(verifies(original, md, sig)) << path;
    }

    void expect_refused(const std::string& uri, const char* pass, const std::string& reason)
    {
        std::string errors;
        const pkey_ptr key = load(uri, pass, errors);
        EXPECT_EQ(key, nullptr) << uri;
        EXPECT_NE(errors.find(reason), std::string::npos)
            << uri << ": expected \"" << reason << "\" among:\n"
            << errors;
    }

    std::filesystem::path dir_;
};

TEST_F(Store, LoadsEveryFormatIntoTheProvider)
{
    for (const auto& [type, group] :
         std::vector<std::pair<const char*, const char*>>{{"EC", "prime256v1"},
                                                          {"EC", "secp384r1"},
                                                          {"RSA", nullptr},
                                                          {"ED25519", nullptr},
                                                          {"X25519", nullptr}}) {
        SCOPED_TRACE(std::string(type) + (group != nullptr ? std::string(" ") + group : ""));
        const pkey_ptr original = default_key(type, group);
        ASSERT_NE(original, nullptr);
        expect_loads(original.get(), write(original.get(), format::pkcs8_pem, "key.pem"), nullptr);
        expect_loads(original.get(), write(original.get(), format::der, "key.der"), nullptr);
        expect_loads(original.get(), write(original.get(), format::encrypted_pem, "enc.pem"),
                     passphrase);
        if (std::string(type) == "EC" || std::string(type) == "RSA") {
            expect_loads(original.get(),
                         write(original.get(), format::traditional_pem, "traditional.pem"),
                         nullptr);
        }
    }
}

TEST_F(Store, UriForms)
{
    const pkey_ptr original = default_key("EC", "prime256v1");
    const std::filesystem::path path = write(original.get(), format::pkcs8_pem, "key.pem");
    for (const std::string& uri : {"secretmem:" + path.string(), "secretmem://" + path.string()}) {
        std::string errors;
        EXPECT_NE(load(uri, nullptr, errors), nullptr) << uri << ": " << errors;
    }
}

TEST_F(Store, WrongPassphrase)
{
    const pkey_ptr original = default_key("EC", "prime256v1");
    const std::filesystem::path path = write(original.get(), format::encrypted_pem, "enc.pem");
    expect_refused("secretmem:" + path.string(), "not the passphrase",
                   "could not be decrypted: wrong passphrase, or the file is corrupt");
}

TEST_F(Store, TruncatedOrCorruptFile)
{
    const pkey_ptr original = default_key("RSA", nullptr);
    const std::filesystem::path pem = write(original.get(), format::pkcs8_pem, "key.pem");
    const std::filesystem::path der = write(original.get(), format::der, "key.der");
    std::filesystem::resize_file(pem, std::filesystem::file_size(pem) / 2);
    std::filesystem::resize_file(der, std::filesystem::file_size(der) - 7);
    const std::string reason = "holds no private key OpenSSL can decode";
    expect_refused("secretmem:" + pem.string(), nullptr, reason);
    expect_refused("secretmem:" + der.string(), nullptr, reason);
    std::ofstream(dir_ / "garbage.pem") << "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n"
                                        << "-----END PRIVATE KEY-----\n";
    expect_refused("secretmem:" + (dir_ / "garbage.pem").string(), nullptr, reason);
}

TEST_F(Store, MissingOrEmptyFile)
{
    expect_refused("secretmem:" + (dir_ / "nothing-here.pem").string(), nullptr,
                   "the key file cannot be read");
    std::ofstream(dir_ / "empty.pem").close();
    expect_refused("secretmem:" + (dir_ / "empty.pem").string(), nullptr, "the file is empty");
    expect_refused("secretmem:" + dir_.string(), nullptr, "not a regular file");
}

// The type of the file system holding `path`, from the mount table: 9p's
// statfs() reports the host's file system instead.
std::string file_system_of(const std::filesystem::path& path)
{
    const std::string p = std::filesystem::canonical(path).string();
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> mounts(
        ::setmntent("/proc/self/mounts", "r"), ::endmntent);
    if (!mounts)
        return {};
    std::string type;
    std::size_t longest = 0;
    while (const mntent* m = ::getmntent(mounts.get())) {
        const std::string dir = m->mnt_dir;
        const bool holds =
            p.starts_with(dir) && (dir == "/" || p.size() == dir.size() || p[dir.size()] == '/');
        if (holds && dir.size() >= longest) {
            longest = dir.size();
            type = m->mnt_type;
        }
    }
    return type;
}

// 9p without a cache (the VM's build directory) reads into the caller's
// pages directly, and the kernel refuses to pin secret pages: the error
// must say so and what to do, not blame the file.
TEST_F(Store, FileSystemThatCannotReadIntoSecretMemory)
{
    const std::filesystem::path dir = std::filesystem::read_symlink("/proc/self/exe").parent_path();
    if (file_system_of(dir) != "9p")
        GTEST_SKIP() << dir << " is not on 9p (the VM's build directory is)";
    const pkey_ptr original = default_key("EC", "P-256");
    const std::filesystem::path local = write(original.get(), format::pkcs8_pem, "key.pem");
    ASSERT_FALSE(local.empty());
    const std::filesystem::path remote = dir / ("store-9p-" + std::to_string(::getpid()) + ".pem");
    std::filesystem::copy_file(local, remote, std::filesystem::copy_options::overwrite_existing);
    expect_refused("secretmem:" + remote.string(), nullptr,
                   "the file system cannot read into secret memory");
    std::filesystem::remove(remote);
}

TEST_F(Store, UnsupportedKeyTypes)
{
    const pkey_ptr p224 = default_key("EC", "secp224r1");
    expect_refused("secretmem:" + write(p224.get(), format::pkcs8_pem, "p224.pem").string(),
                   nullptr, "unsupported key: secretmem holds");
    const pkey_ptr x448 = default_key("X448", nullptr);
    expect_refused("secretmem:" + write(x448.get(), format::pkcs8_pem, "x448.pem").string(),
                   nullptr, "holds a X448 key");
}

} // namespace
