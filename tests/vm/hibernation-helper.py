#!/usr/bin/env python3
"""For hibernation-guest.sh: mark 4 MiB of MAP_SECRET memory, then hold it
("hold": until killed) or free it at once ("free").

The mark is PREFIX followed by the nonce reversed, written into the secret
pages one character at a time: it never exists whole in ordinary memory,
which the image holds, so finding it on the disk means a secret page got
there.
"""
import mmap
import sys
import time

from guest_checks import MAP_SECRET, PAGE

mode, prefix, nonce = sys.argv[1], sys.argv[2], sys.argv[3]
size = 4 << 20
m = mmap.mmap(-1, size, flags=MAP_SECRET)
for page in range(0, size, PAGE):
    at = page
    for ch in prefix:
        m[at] = ord(ch)
        at += 1
    for i in range(len(nonce) - 1, -1, -1):
        m[at] = ord(nonce[i])
        at += 1
if mode == "hold":
    time.sleep(3600)
m.close()
