# tests/sweep/build.mk: the QEMU test that the power-cut sweep catches a
# deliberately broken bootloader. That bootloader is built by a second make
# into build/fw-broken/ with -DFOTA_TEST_BROKEN_COMMIT_BEFORE_VERIFY (never
# into build/fw/).

BROKEN_FW := build/fw-broken
SWEEP_BROKEN_TEST := $(BUILD)/tests/sweep/broken-commit

.PHONY: fw-broken
fw-broken:
	$(Q)$(MAKE) --no-print-directory FW=$(BROKEN_FW) \
		BL_CFLAGS_EXTRA=-DFOTA_TEST_BROKEN_COMMIT_BEFORE_VERIFY $(BROKEN_FW)/bootloader.elf $(BROKEN_FW)/bootloader.bin

# A wrapper so QEMU_TESTS stays a list of executables.
$(SWEEP_BROKEN_TEST): tests/sweep/broken-commit.sh fw-broken $(FOTA_HIL)
	@mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nexec tests/sweep/broken-commit.sh %s\n' '$(FOTA_HIL)' > $@ && chmod +x $@

QEMU_TESTS += $(SWEEP_BROKEN_TEST)

# The same broken bootloader against the background-update sweep
# (tests/sweep/broken-background.sh; bootloader/core/bl_api.c).
SWEEP_BROKEN_BG_TEST := $(BUILD)/tests/sweep/broken-background
$(SWEEP_BROKEN_BG_TEST): tests/sweep/broken-background.sh fw-broken $(FOTA_HIL)
	@mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nexec tests/sweep/broken-background.sh %s\n' '$(FOTA_HIL)' > $@ && chmod +x $@

QEMU_TESTS += $(SWEEP_BROKEN_BG_TEST)

# The glitch sweep can fail (tests/sweep/glitch-unhardened.sh): the
# bootloader without its glitch hardening (fota/fih.h, -DFOTA_NO_FIH),
# built into build/fw-nofih/ (never into build/fw/).
NOFIH_FW := build/fw-nofih
SWEEP_GLITCH_TEST := $(BUILD)/tests/sweep/glitch-unhardened

.PHONY: fw-nofih
fw-nofih:
	$(Q)$(MAKE) --no-print-directory FW=$(NOFIH_FW) BL_CFLAGS_EXTRA=-DFOTA_NO_FIH \
		$(NOFIH_FW)/bootloader.elf $(NOFIH_FW)/bootloader.bin

$(SWEEP_GLITCH_TEST): tests/sweep/glitch-unhardened.sh fw-nofih $(FOTA_HIL)
	@mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nexec tests/sweep/glitch-unhardened.sh %s\n' '$(FOTA_HIL)' > $@ && chmod +x $@

QEMU_TESTS += $(SWEEP_GLITCH_TEST)

# Shared runs change no verdict (tests/sweep/share-equivalence.sh): a
# quarter of the 256 KB sweep on fota-f407 with and without --no-share.
SWEEP_SHARE_TEST := $(BUILD)/tests/sweep/share-equivalence
$(SWEEP_SHARE_TEST): tests/sweep/share-equivalence.sh $(FOTA_HIL) qemu
	@mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nexec tests/sweep/share-equivalence.sh %s\n' '$(FOTA_HIL)' > $@ && chmod +x $@

QEMU_TESTS += $(SWEEP_SHARE_TEST)
