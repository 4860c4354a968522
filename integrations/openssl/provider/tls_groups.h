/* SPDX-License-Identifier: MIT */
/*
 * The TLS groups whose key management this provider offers, as the
 * TLS-GROUP capability.  libssl uses a provider's group only when the
 * group's key type fetches from that same provider; with secretmem's EC
 * and X25519 key management preferred, the default provider's
 * secp256r1 or x25519 would be dropped, and with them ECDHE.  So the
 * groups are named here too, the same as the default provider names them.
 */
#ifndef SECRETMEM_PROVIDER_TLS_GROUPS_H
#define SECRETMEM_PROVIDER_TLS_GROUPS_H

#include <openssl/core.h>

int secretmem_get_capabilities(void* provctx, const char* capability, OSSL_CALLBACK* cb, void* arg);

#endif /* SECRETMEM_PROVIDER_TLS_GROUPS_H */
