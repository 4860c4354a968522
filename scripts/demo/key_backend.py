#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Ask the secretmem provider where it holds a key file's private key.

    key_backend.py MODULE_DIR KEY_FILE

Loads KEY_FILE as `secretmem:KEY_FILE`, the way the demo's s_server does,
and prints the key's `secretmem-backend` parameter and the provider's
`secretmem-openssl-heap`, as "backend=native heap=native".  The openssl
tools print neither (`openssl list -providers -verbose` names the
parameters, not their values), so this calls libcrypto directly.

The store holds a key only where OpenSSL's heap is secret memory: run it
with LD_PRELOAD="libsecretmem-preload.so libcrypto.so.3", libcrypto
preloaded too, so that it is loaded, and its heap redirected, before Python
starts.  Exit status 1 when the key cannot be loaded, with OpenSSL's reason.
"""
import ctypes
import sys

OSSL_PARAM_UTF8_PTR = 6


class OsslParam(ctypes.Structure):
    _fields_ = [("key", ctypes.c_char_p), ("data_type", ctypes.c_uint),
                ("data", ctypes.c_void_p), ("data_size", ctypes.c_size_t),
                ("return_size", ctypes.c_size_t)]


def libcrypto():
    lib = ctypes.CDLL("libcrypto.so.3")
    signatures = {
        "OSSL_PROVIDER_set_default_search_path": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
        "OSSL_PROVIDER_load": (ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_char_p]),
        "OSSL_PROVIDER_get_params": (ctypes.c_int, [ctypes.c_void_p, ctypes.POINTER(OsslParam)]),
        "OSSL_STORE_open": (ctypes.c_void_p, [ctypes.c_char_p] + [ctypes.c_void_p] * 4),
        "OSSL_STORE_load": (ctypes.c_void_p, [ctypes.c_void_p]),
        "OSSL_STORE_INFO_get1_PKEY": (ctypes.c_void_p, [ctypes.c_void_p]),
        "EVP_PKEY_get_utf8_string_param": (
            ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t,
                           ctypes.POINTER(ctypes.c_size_t)]),
        "ERR_get_error": (ctypes.c_ulong, []),
        "ERR_error_string_n": (None, [ctypes.c_ulong, ctypes.c_char_p, ctypes.c_size_t]),
    }
    for name, (result, args) in signatures.items():
        function = getattr(lib, name)
        function.restype = result
        function.argtypes = args
    return lib


def openssl_error(lib, what):
    code = lib.ERR_get_error()
    text = ctypes.create_string_buffer(512)
    lib.ERR_error_string_n(code, text, len(text))
    return f"{what}: {text.value.decode(errors='replace') if code else 'no reason given'}"


def heap_of(lib, provider):
    value = ctypes.c_char_p()
    params = (OsslParam * 2)()
    params[0] = OsslParam(b"secretmem-openssl-heap", OSSL_PARAM_UTF8_PTR,
                          ctypes.cast(ctypes.byref(value), ctypes.c_void_p),
                          ctypes.sizeof(value), 0)
    if lib.OSSL_PROVIDER_get_params(provider, params) != 1 or not value.value:
        return "unknown"
    return value.value.decode()


def main(module_dir, key_file):
    lib = libcrypto()
    lib.OSSL_PROVIDER_set_default_search_path(None, module_dir.encode())
    if not lib.OSSL_PROVIDER_load(None, b"default"):
        sys.exit(openssl_error(lib, "the default provider"))
    provider = lib.OSSL_PROVIDER_load(None, b"secretmem")
    if not provider:
        sys.exit(openssl_error(lib, f"the secretmem provider from {module_dir}"))
    store = lib.OSSL_STORE_open(f"secretmem:{key_file}".encode(), None, None, None, None)
    info = lib.OSSL_STORE_load(store) if store else None
    key = lib.OSSL_STORE_INFO_get1_PKEY(info) if info else None
    if not key:
        sys.exit(openssl_error(lib, f"secretmem:{key_file}"))
    name = ctypes.create_string_buffer(64)
    length = ctypes.c_size_t()
    if lib.EVP_PKEY_get_utf8_string_param(key, b"secretmem-backend", name, len(name),
                                          ctypes.byref(length)) != 1:
        sys.exit(openssl_error(lib, "the key's secretmem-backend"))
    print(f"backend={name.value.decode()} heap={heap_of(lib, provider)}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: key_backend.py MODULE_DIR KEY_FILE")
    main(sys.argv[1], sys.argv[2])
