// SPDX-License-Identifier: MIT
// The secretmem C++ SDK.
#pragma once

#include <secretmem/backend.hpp>
#include <secretmem/error.hpp>
#include <secretmem/policy.hpp>
#include <secretmem/region.hpp>
#include <secretmem/secret.hpp>
