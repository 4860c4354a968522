# The front door.  Meson builds and tests userspace; kernel/scripts/ builds
# and boots the patched kernel.  This file only sequences them.

BUILD   := build
MESON   := $(BUILD)/meson

.PHONY: all build deps kernel kernel-stock kernel-each-patch checkpatch vm bench check demo clean

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

# Every test: on this machine's kernel, then in the VM on the patched one.
# The summary line counts test cases; the exit status is meson's or the summary's.
check: build kernel kernel-stock
	@status=0; meson test -C $(MESON) --print-errorlogs --num-processes 2 || status=$$?; \
	scripts/test-summary.py $(MESON) || status=1; exit $$status

demo: build
	@scripts/demo.sh $(MESON)

clean:
	rm -rf $(BUILD)
