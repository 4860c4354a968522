# The front door.  Meson builds and tests userspace; kernel/scripts/ builds
# and boots the patched kernel.  This file only sequences them.

BUILD   := build
MESON   := $(BUILD)/meson

.PHONY: all build deps kernel kernel-stock kernel-debug stress kernel-each-patch checkpatch vm bench check check-asan check-tsan fuzz fuzz-smoke demo clean

all: build

deps:
	@scripts/install-deps.sh

$(MESON)/build.ninja: | deps
	meson setup $(MESON)

build: deps $(MESON)/build.ninja
	meson compile -C $(MESON)

# The patched Linux 6.12 (kernel/patches) for the QEMU VM, and the kernel's
# mm selftests built from it (the series' own secret_map test among them).
kernel: deps
	@kernel/scripts/build-kernel.sh
	@kernel/scripts/build-selftests.sh

# The same kernel without the series: the baseline the selftests compare with.
kernel-stock: deps
	@KERNEL_FLAVOR=stock kernel/scripts/build-kernel.sh

# The patched kernel again with kernel/config/debug.config on top (KASAN,
# lockdep, DEBUG_LIST, DEBUG_PAGEALLOC...): the stress runs on it.
kernel-debug: deps
	@KERNEL_FLAVOR=debug kernel/scripts/build-kernel.sh

# The kernel stress (tests/stress) in the VM on the debug kernel: random
# operations on secret memory from several processes and threads under
# memory pressure and compaction, an OOM step, then the checks that all of it
# came back and that dmesg is clean.  make check runs 30 s of it.
STRESS_SECONDS ?= 300
stress: build kernel-debug
	@tests/stress/run-stress.sh $(MESON)/tests/stress/secret-stress $(STRESS_SECONDS)

# Every patch of the series built on its own, in three configurations (slow:
# about an hour on 2 cores; not part of check).
kernel-each-patch: kernel
	@kernel/scripts/build-each-patch.sh

# checkpatch.pl --strict on every patch of the series (also run by make check).
checkpatch: kernel
	@kernel/scripts/checkpatch-series.sh

# Run CMD as root in the VM on the patched kernel, with this build's tools
# first in PATH:  make vm CMD='secretmem info'
# $(value ...) hands CMD over as typed: make must not expand a $(...) in it.
vm: export VM_CMD := $(value CMD)
vm: build kernel
	@kernel/scripts/vm-run.sh "PATH=$(abspath $(MESON))/cli:\$$PATH; $$VM_CMD"

# The benchmarks of issues 4 to 6 (bench/run-bench.sh): the provider and the
# allocator on the host, the kernel interface in the VM on the patched one.
# Google Benchmark JSON, summary.md and the plots in build/bench/, a dated
# copy in bench/results/.
bench: build kernel
	@bench/run-bench.sh $(abspath $(MESON))/bench/secret-bench $(abspath $(BUILD))/bench

# Every test: on this machine's kernel, then in the VM on the patched one
# (and 30 s of the stress on the debug kernel), then the host suites under
# ASan + UBSan (check-asan) and a smoke run of each fuzzer (fuzz-smoke).
# The summary lines count test cases, and the output ends with them and the
# name of every test and stage that failed (scripts/check.sh); the exit status
# is 0 only if all passed.
check: build kernel kernel-stock kernel-debug
	@scripts/check.sh $(MESON)

# The host suites again under sanitizers, each in its own build directory
# (build/asan, build/tsan; scripts/check-sanitized.sh): AddressSanitizer with
# UndefinedBehaviorSanitizer and LeakSanitizer, or ThreadSanitizer.  Not the
# vm and lint suites; tests/meson.build says which tests cannot run there, and
# why.  Independent of check, which may run them after its own suite.
check-asan: deps
	@scripts/check-sanitized.sh asan

check-tsan: deps
	@scripts/check-sanitized.sh tsan

# The libFuzzer targets (fuzz/README.md) in build/fuzz, a clang build of their
# own: each FUZZ_SECONDS (120) on its seeds and a working corpus; fuzz-smoke
# runs the seeds and FUZZ_SMOKE_SECONDS (15) each.  Non-zero on any crash,
# leak or broken invariant, with the input saved and how to run it again.
fuzz: deps
	@scripts/fuzz.sh run

fuzz-smoke: deps
	@scripts/fuzz.sh smoke

# The main job, end to end (scripts/demo.sh): builds what it runs when
# missing (its programs, the patched kernel), boots that kernel in QEMU, and
# shows a TLS server's private key in MAP_SECRET memory, an attacker getting
# nothing from the running server, and MAP_SECRET against memfd_secret.
# The first run builds the kernel from source, which dominates it (12.5 minutes
# on 2 idle cores, far longer on busy ones); later runs take under a minute.
demo: deps
	@scripts/demo.sh $(MESON)

clean:
	rm -rf $(BUILD)
