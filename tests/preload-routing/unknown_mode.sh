#!/usr/bin/env bash
# An unknown SECRETMEM_PRELOAD stops the program before main, with exit
# status 2 and a message naming both valid values; no guessed default.
set -uo pipefail
preload=$1
message=$(SECRETMEM_PRELOAD=everything LD_PRELOAD=$preload /bin/echo ran-main 2>&1)
status=$?
if [[ $status -ne 2 ]]; then
    echo "expected exit status 2, got $status: $message" >&2
    exit 1
fi
for expected in "SECRETMEM_PRELOAD is 'everything'" explicit all; do
    [[ $message == *"$expected"* ]] || { echo "message lacks '$expected': $message" >&2; exit 1; }
done
[[ $message != *ran-main* ]] || { echo "the program ran: $message" >&2; exit 1; }
echo "ok: $message"
