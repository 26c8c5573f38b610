# host/: libfotahost (image packing, update protocol master, transports)
# and the fotactl command line. Links crc32/sha256/proto/errors from the
# core's host library ($(BUILD)/libfotacore.a, bootloader/core/build.mk).

FOTAHOST_CFLAGS := -Ihost/include
FOTAHOST_SRCS := \
	host/lib/msg.c \
	host/lib/image.c \
	host/lib/file.c \
	host/lib/update.c \
	host/lib/link_posix.c \
	host/lib/platform_posix.c \
	host/lib/stm32rom.c \
	host/lib/an3155.c \
	host/lib/an4286.c \
	host/lib/link_spi.c \
	host/lib/rom_update.c
FOTAHOST_OBJS := $(FOTAHOST_SRCS:%.c=$(BUILD)/%.o)
FOTAHOST_LIB := $(BUILD)/libfotahost.a
FOTACORE_LIB ?= $(BUILD)/libfotacore.a
FOTACTL := $(BUILD)/fotactl

HOST_PROGS += $(FOTACTL)

# Every object under host/ (and the host tests, tests/host/build.mk) sees
# the public headers in host/include.
$(BUILD)/host/%.o: HOST_CFLAGS += $(FOTAHOST_CFLAGS)

$(FOTAHOST_LIB): $(FOTAHOST_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(FOTACTL): $(BUILD)/host/fotactl.o $(BUILD)/host/fotactl_rom.o $(FOTAHOST_LIB) $(FOTACORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $(BUILD)/host/fotactl.o $(BUILD)/host/fotactl_rom.o $(FOTAHOST_LIB) \
		$(FOTACORE_LIB)
