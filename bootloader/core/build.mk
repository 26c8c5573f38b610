# bootloader/core/build.mk: the portable bootloader core and the host
# "sim" port.
#
#   BL_CORE_SRCS      every core source; the firmware (bootloader/build.mk)
#                     compiles them for ARM into $(FW) via the generic rule
#   $(BUILD)/libfotacore.a  host build of the core. Host tools and the
#                     harness link it for crc32/sha256/proto/errors/image/meta:
#                     image.c and meta.c need no port; image_verify.c,
#                     meta_log.c, boot.c, update.c, bl_api.c call fota/port.h
#                     and are only pulled in by programs that provide a port
#   $(BUILD)/libfotasim.a   the sim port (bootloader/port/sim): fota/port.h
#                     over the harness's flash model (flashmodel.o is in
#                     the archive) with fault injection, for the unit tests,
#                     and the public key image_verify() checks against
#                     ($(IMAGE_PUBKEY_C), crypto/build.mk). image_sig.c
#                     needs Debian's libmbedcrypto ($(MBEDTLS_HOST_LIBS))
#
# Included by bootloader/build.mk and tests/bootloader/build.mk; guarded.

ifndef FOTA_CORE_MK_INCLUDED
FOTA_CORE_MK_INCLUDED := 1

BL_CORE_SRCS := $(wildcard bootloader/core/*.c)
BL_CORE_HOST_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(BL_CORE_SRCS))
BL_SIM_SRCS := $(wildcard bootloader/port/sim/*.c)
BL_SIM_HOST_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(BL_SIM_SRCS)) $(BUILD)/harness/target/flashmodel.o \
	$(BUILD)/$(IMAGE_PUBKEY_C:.c=.o)
# The sim port includes "target/flashmodel.h" (harness/target).
CFLAGS_sim_port := -Iharness
FOTA_CORE_HOST_LIB := $(BUILD)/libfotacore.a
FOTA_SIM_LIB := $(BUILD)/libfotasim.a

$(FOTA_CORE_HOST_LIB): $(BL_CORE_HOST_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(FOTA_SIM_LIB): $(BL_SIM_HOST_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

.PHONY: fotacore
fotacore: $(FOTA_CORE_HOST_LIB) $(FOTA_SIM_LIB)

endif
