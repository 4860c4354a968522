#!/usr/bin/env bash
# The main job, shown end to end on the running kernel: what it offers, then a
# key kept in a secret region and used through an access window.
set -euo pipefail
build=$1

banner() { printf '\n== %s\n\n' "$*"; }

banner "What this kernel offers (secretmem info)"
"$build/cli/secretmem" info || true

banner "A key in secret memory (examples/keep_key.cpp)"
"$build/examples/keep-key"
