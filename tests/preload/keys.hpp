// SPDX-License-Identifier: MIT
// What a private key looks like in a process's memory, found with libcrypto
// in the test process (never in the process under test), and checks that
// what openssl produced under the preload is right.
#pragma once

#include "memscan.hpp"

#include <string>
#include <vector>

namespace secretmem::preload_test {

// One secret number of a key, in one of the byte orders it may sit in
// memory: "p (BIGNUM, little-endian)".
struct secret_part {
    std::string name;
    std::string component; // "p": the number, whatever the byte order
    memscan::bytes value;
};

// The private components of the PEM private key `pem`:
//  - EC: the scalar; RSA: p, q and d.  Each big-endian (as DER and the
//    octet strings of encoders hold it) and little-endian (a BIGNUM's
//    64-bit limbs on x86-64, as OpenSSL computes with it);
//  - X25519 / Ed25519: the 32 raw bytes.
// Throws std::runtime_error when libcrypto cannot read the key.
[[nodiscard]] std::vector<secret_part> secret_parts(const std::string& pem);

// The needles of `parts`, in order.
[[nodiscard]] std::vector<memscan::bytes> needles(const std::vector<secret_part>& parts);

// openssl pkeyutl -sign's signature of `data` verifies with the public half
// of `pem` (raw: Ed25519's -rawin, the whole message).
[[nodiscard]] bool signature_verifies(const std::string& pem, const std::string& data,
                                      const std::string& signature, bool raw);

// The X25519 shared secret between private key `pem` and public key
// `peer_pem`, as openssl pkeyutl -derive computes it.
[[nodiscard]] std::string derive(const std::string& pem, const std::string& peer_pem);

} // namespace secretmem::preload_test
