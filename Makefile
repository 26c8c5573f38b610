# fota-hil top-level Makefile. Quiet unless V=1.
#
#   make            firmware (arm-none-eabi-gcc) + host tools + harness
#   make test       unit tests (cmocka, ASan+UBSan) + a quick QEMU subset
#   make suite      every scenario under scenarios/ on fota-f407, over UART, then over SPI
#   make suite-stock  the same on Debian's stock qemu-system-arm only, both links
#   make bench      benchmarks that print numbers
#   make fuzz       libFuzzer targets (clang), FUZZ_SECONDS=N each (tests/fuzz/build.mk)
#   make deps       install missing Debian packages (as root) or print the command
#   make qemu       qemu-system-arm with the fota-f407 machine (qemu/, docs/QEMU.md)
#   make qemu-test  the qtests of its device models
#   make COV=1 ...  host code with gcov instrumentation
#
# Each directory adds its rules in its own build.mk. Host objects go to
# $(BUILD) (build/host, or build/san for the sanitizer build that
# `make test` uses); firmware always goes to $(FW).

V ?= 0
Q := $(if $(filter 1,$(V)),,@)
SAN ?= 0
COV ?= 0
FW := build/fw
IMAGES := build/images
BUILD ?= $(if $(filter 1,$(SAN)),build/san,build/host)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

HOST_CC ?= gcc
HOST_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-O2 -g -Ibootloader/include -MMD -MP
HOST_LDFLAGS :=
ifeq ($(SAN),1)
HOST_CFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
HOST_LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(COV),1)
HOST_CFLAGS += --coverage -O0
HOST_LDFLAGS += --coverage
endif

ARM_CC := arm-none-eabi-gcc
ARM_OBJCOPY := arm-none-eabi-objcopy
ARM_CPP := arm-none-eabi-cpp
ARM_CFLAGS := -std=c11 -mcpu=cortex-m4 -mthumb -mfloat-abi=soft -Os -g3 -ffunction-sections \
	-fdata-sections -ffreestanding -fno-common -Wall -Wextra -Werror -Wshadow -Ibootloader/include -MMD -MP
ARM_LDFLAGS := -mcpu=cortex-m4 -mthumb -nostartfiles -Wl,--gc-sections --specs=nano.specs -lc -lnosys

# Filled by the build.mk fragments.
# FIRMWARE: ELF/bin/img targets built by `make`; HOST_PROGS: fotactl,
# fota-hil; UNIT_TESTS: cmocka executables; QEMU_TESTS: executables that
# need QEMU, run after the unit tests; BENCHES: run by `make bench`.
FIRMWARE :=
HOST_PROGS :=
UNIT_TESTS :=
QEMU_TESTS :=
BENCHES :=

.PHONY: all firmware host test test-san check-layers check-doc-refs suite suite-stock bench deps clean check-deps units run-qemu-tests
all: check-deps firmware host

include scripts/deps.mk
include crypto/build.mk
include bootloader/build.mk
include apps/build.mk
include host/build.mk
include harness/build.mk
include qemu/build.mk
-include tests/build.mk

firmware: $(FIRMWARE)
host: $(HOST_PROGS)

# Compile rules. Host objects mirror the source tree under $(BUILD).
$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(CFLAGS_$(notdir $(basename $<))) -c $< -o $@

$(FW)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  ARMCC   $<")
	$(Q)$(ARM_CC) $(ARM_CFLAGS) $(FW_CFLAGS) -c $< -o $@

# Unit tests: every cmocka binary, under ASan+UBSan. A unit test that
# deadlocks is a bug, and it must not hold CI until its own timeout: each
# binary gets UNIT_HANG_S seconds (a backstop for a hang only; the slowest
# takes about 30 s on a loaded 2-core machine), then its stacks are printed
# (gdb) and it is killed.
UNIT_HANG_S ?= 900
units: $(UNIT_TESTS)
	$(Q)set -e; for t in $(UNIT_TESTS); do echo "== $$t"; scripts/run-hang-guard.sh $(UNIT_HANG_S) $$t; done

# `make test` re-enters make with SAN=1 so every host binary (units, tools,
# the harness itself in the QEMU subset) runs under ASan+UBSan.
test: check-deps
	$(Q)$(MAKE) --no-print-directory SAN=1 test-san

test-san: check-layers check-doc-refs firmware host units fuzz-regress qemu-test run-qemu-tests

# The harness's folders are layers; no file includes one above its own.
check-layers:
	$(Q)scripts/check-layers.sh

# Every repository path README.md, docs/*.md and harness/**/README.md name exists.
check-doc-refs:
	$(Q)scripts/check-doc-refs.sh

bench: check-deps firmware host $(BENCHES)
	$(Q)set -e; for b in $(BENCHES); do $$b; done

clean:
	rm -rf build

# Keep every intermediate file (test objects made by pattern rules): make's
# closing `rm` would otherwise be the last line of `make test`. NOTE: no
# fragment may name .SECONDARY prerequisites; that cancels this form.
.SECONDARY:

-include $(shell find build -name '*.d' 2>/dev/null)

# The scenario suite: every scenario file, in parallel, JUnit + TAP, on the
# register-level machine (--target f407: the port's own flash, IWDG, clock,
# SPI1 slave and DMA code), over the UART link, then over the SPI link with
# the harness as SPI master. `make suite-stock` runs both links on stock.
SUITE_ARGS ?=
suite: check-deps firmware host qemu
	$(Q)mkdir -p build/results
	$(Q)echo "== every scenario over the UART link on fota-f407 (fota-hil run --target f407)"
	$(Q)$(FOTA_HIL) run -j $(JOBS) --target f407 --work-dir build/work-f407 --junit build/results/junit.xml \
		--tap build/results/results.tap $(SUITE_ARGS) scenarios/
	$(Q)echo "== the same scenarios over the SPI link on fota-f407 (fota-hil run --target f407 --link spi)"
	$(Q)$(FOTA_HIL) run -j $(JOBS) --target f407 --link spi --work-dir build/work-f407-spi \
		--junit build/results/junit-spi.xml --tap build/results/results-spi.tap $(SUITE_ARGS) scenarios/

# The suite on Debian's stock qemu-system-arm only, both links (no `make qemu`).
suite-stock: check-deps firmware host
	$(Q)mkdir -p build/results
	$(Q)$(FOTA_HIL) run -j $(JOBS) --junit build/results/junit-stock.xml --tap build/results/results-stock.tap \
		$(SUITE_ARGS) scenarios/
	$(Q)echo "== the same scenarios over the SPI link (fota-hil run --link spi)"
	$(Q)$(FOTA_HIL) run -j $(JOBS) --link spi --work-dir build/work-spi --junit build/results/junit-spi.xml \
		--tap build/results/results-spi.tap $(SUITE_ARGS) scenarios/

# QEMU-backed tests that `make test` runs after the unit tests: each
# QEMU_TESTS binary, then the scenarios tagged `quick`.
run-qemu-tests: firmware host qemu $(QEMU_TESTS)
	$(Q)set -e; for t in $(QEMU_TESTS); do echo "== $$t"; $$t; done
	$(Q)mkdir -p build/results
	$(Q)$(FOTA_HIL) run -j $(JOBS) --tag quick --junit build/results/junit-quick.xml scenarios/
	$(Q)echo "== the quick scenarios on the register-level machine (fota-hil run --target f407)"
	$(Q)$(FOTA_HIL) run -j $(JOBS) --target f407 --tag quick --work-dir build/work-f407 \
		--junit build/results/junit-quick-f407.xml scenarios/
