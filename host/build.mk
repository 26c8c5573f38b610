# host/: libfotahost (image packing, update protocol master, transports)
# and the fotactl command line. Links crc32/sha256/proto/errors from the
# core's host library ($(BUILD)/libfotacore.a, bootloader/core/build.mk).

FOTAHOST_CFLAGS := -Ihost/include
FOTAHOST_SRCS := \
	host/lib/msg.c \
	host/lib/image.c \
	host/lib/image_sign.c \
	host/lib/file.c \
	host/lib/update.c \
	host/lib/link_posix.c \
	host/lib/platform_posix.c \
	host/lib/stm32rom.c \
	host/lib/an3155.c \
	host/lib/an4286.c \
	host/lib/link_spi.c \
	host/lib/link_i2c.c \
	host/lib/an4221.c \
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

# fotactl_json.o: `update --json` (jansson); fotactl_sign.o: sign/pack --key/pubkey (mbedTLS).
FOTACTL_OBJS := $(BUILD)/host/fotactl.o $(BUILD)/host/fotactl_rom.o $(BUILD)/host/fotactl_sign.o $(BUILD)/host/fotactl_json.o
$(FOTACTL): $(FOTACTL_OBJS) $(FOTAHOST_LIB) $(FOTACORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $(FOTACTL_OBJS) $(FOTAHOST_LIB) $(FOTACORE_LIB) $(MBEDTLS_HOST_LIBS) -ljansson

# The bootloader's built-in public key (crypto/build.mk IMAGE_PUBKEY_C).
# Replaced only when its text changes: a new fotactl (build/host or
# build/san) must not relink the bootloader. The temporary file is per
# process: the test-only bootloader builds (tests/f407, tests/sweep) are
# sub-makes that may run this at the same time.
$(IMAGE_PUBKEY_C): $(IMAGE_SIGN_KEY) $(FOTACTL)
	@mkdir -p $(dir $@)
	$(Q)tmp=$@.tmp.$$$$; $(FOTACTL) pubkey --key $(IMAGE_SIGN_KEY) --c > $$tmp && \
		if cmp -s $$tmp $@; then rm -f $$tmp; else $(if $(Q),echo "  PUBKEY  $@";) mv $$tmp $@; fi

# host/bridge: the FOTA bridge (docs/BRIDGE.md). libfotabridge.a holds the
# portable logic and its Linux ports; fota-bridge is the daemon.
FOTABRIDGE_SRCS := \
	host/bridge/bridge.c \
	host/bridge/download.c \
	host/bridge/clock_linux.c \
	host/bridge/file_replace.c \
	host/bridge/stage_linux.c \
	host/bridge/store_linux.c \
	host/bridge/http_curl.c \
	host/bridge/status_json.c \
	host/bridge/mqtt_mosq.c \
	host/bridge/deliver_fotahost.c \
	host/bridge/config.c
FOTABRIDGE_LIB := $(BUILD)/libfotabridge.a
FOTABRIDGE_LIBS := -lcurl -lmosquitto -ljansson -lyaml
FOTA_BRIDGE := $(BUILD)/fota-bridge

HOST_PROGS += $(FOTA_BRIDGE)

$(FOTABRIDGE_LIB): $(FOTABRIDGE_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(FOTA_BRIDGE): $(BUILD)/host/bridge/fota-bridge.o $(FOTABRIDGE_LIB) $(FOTAHOST_LIB) $(FOTACORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $^ $(FOTABRIDGE_LIBS)
