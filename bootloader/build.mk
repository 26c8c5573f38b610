# Bootloader firmware: the portable core (bootloader/core/build.mk defines
# BL_CORE_SRCS) + the stm32f4 port, linked with a script generated from
# fota/layout.h. Outputs $(FW)/bootloader.elf, .bin, .map.
#
#   BL_CFLAGS_EXTRA   extra compiler flags for the bootloader objects only
#                     (test-only broken builds, e.g. -DBL_TEST_...); a change
#                     rebuilds them.

include bootloader/core/build.mk

ARM_SIZE := arm-none-eabi-size
BL_CFLAGS_EXTRA ?=

STM32F4_DIR := bootloader/port/stm32f4
# Shared with the applications (apps/build.mk): startup, clock/tick, USART.
STM32F4_BOARD_SRCS := $(STM32F4_DIR)/startup.c $(STM32F4_DIR)/clock.c $(STM32F4_DIR)/usart.c
BL_PORT_SRCS := $(STM32F4_BOARD_SRCS) $(STM32F4_DIR)/flash.c $(STM32F4_DIR)/iwdg.c $(STM32F4_DIR)/port.c $(STM32F4_DIR)/spi.c \
	$(STM32F4_DIR)/main.c
BL_SRCS := $(BL_CORE_SRCS) $(BL_PORT_SRCS)
BL_OBJS := $(patsubst %.c,$(FW)/%.o,$(BL_SRCS)) $(FW)/$(IMAGE_PUBKEY_C:.c=.o)

BL_ELF := $(FW)/bootloader.elf
BL_BIN := $(FW)/bootloader.bin
BL_LD := $(FW)/bootloader.ld
BL_FLAGS_STAMP := $(FW)/bootloader.cflags

# Linker scripts: the C preprocessor expands fota/layout.h, sed drops the
# "u" suffix of its integer constants (ld does not know it).
LD_FROM_LAYOUT = $(ARM_CPP) -P -x c -Ibootloader/include $(1) $< \
	| sed -E 's/\b(0[xX][0-9A-Fa-f]+|[0-9]+)[uU]\b/\1/g' > $@.tmp && mv $@.tmp $@

$(BL_LD): $(STM32F4_DIR)/bootloader.ld.in bootloader/include/fota/layout.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(call LD_FROM_LAYOUT,)

# Rewritten only when BL_CFLAGS_EXTRA or the mbedTLS directory changes, so
# objects follow them. The directory must be in it: the top Makefile's
# `.SECONDARY:` makes every file an intermediate, and make does not build a
# missing intermediate (a new MBEDTLS_DIR after an edit of crypto/) for
# objects that are otherwise up to date, so the bootloader silently stayed
# linked against the old library (tests/firmware/mbedtls-rebuild.sh).
BL_FLAGS_LINE := $(BL_CFLAGS_EXTRA) mbedtls=$(MBEDTLS_DIR)
$(BL_FLAGS_STAMP): fw-flags-force
	@mkdir -p $(dir $@)
	@echo '$(BL_FLAGS_LINE)' | cmp -s - $@ || echo '$(BL_FLAGS_LINE)' > $@
.PHONY: fw-flags-force
fw-flags-force:

$(BL_OBJS): FW_CFLAGS += -I$(STM32F4_DIR) $(MBEDTLS_FW_CFLAGS) $(BL_CFLAGS_EXTRA)
$(BL_OBJS): $(BL_FLAGS_STAMP) $(MBEDTLS_LIB)

$(BL_ELF): $(BL_OBJS) $(BL_LD) $(MBEDTLS_LIB)
	@$(if $(Q),echo "  ARMLD   $@")
	$(Q)$(ARM_CC) -T$(BL_LD) -Wl,-Map=$(FW)/bootloader.map -o $@ $(BL_OBJS) $(MBEDTLS_LIB) $(ARM_LDFLAGS)
	$(Q)$(if $(Q),,$(ARM_SIZE) $@)

$(BL_BIN): $(BL_ELF)
	@$(if $(Q),echo "  BIN     $@")
	$(Q)$(ARM_OBJCOPY) -O binary $< $@

FIRMWARE += $(BL_ELF) $(BL_BIN)
