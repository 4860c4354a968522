# The front door.  Meson builds and tests userspace; kernel/scripts/ builds
# and boots the patched kernel.  This file only sequences them.

BUILD   := build
MESON   := $(BUILD)/meson

.PHONY: all build deps check demo lint clean

all: build

deps:
	@scripts/install-deps.sh

$(MESON)/build.ninja: | deps
	meson setup $(MESON)

build: deps $(MESON)/build.ninja
	meson compile -C $(MESON)

# The summary line counts test cases; the exit status is meson's or the summary's.
check: build
	@status=0; meson test -C $(MESON) --print-errorlogs --num-processes 2 || status=$$?; \
	scripts/test-summary.py $(MESON) || status=1; exit $$status

demo: build
	@scripts/demo.sh $(MESON)

clean:
	rm -rf $(BUILD)
