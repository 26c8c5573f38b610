# harness/build.mk: fota-hil, the scenario runner (harness/*.c: parser,
# runner, link proxy, fault injector, results, CLI, and the QEMU backend).
# Links the host build of the bootloader core for crc32/proto/meta/image.

HIL_SRCS := $(wildcard harness/*/*.c)
HIL_OBJS := $(HIL_SRCS:%.c=$(BUILD)/%.o)
# Layers include each other as "layer/file.h".
$(BUILD)/harness/%.o: HOST_CFLAGS += -Iharness
# What the unit tests (tests/scenario) link: no CLI, no runner, no backend.
HIL_LIB_OBJS := $(addprefix $(BUILD)/harness/,scenario/scenario.o scenario/include.o scenario/merge.o scenario/params.o link/proxy.o scenario/results.o scenario/inject.o scenario/sweep.o scenario/journal.o scenario/oracle.o scenario/sweep_oracle.o scenario/fault_parse.o scenario/cut_at.o scenario/sweep_time.o scenario/sweep_depth2.o target/flashmodel.o target/errmsg.o)
# rom_quirks: (issue 12): the scenario key of the emulated ROM's quirks.
HIL_LIB_OBJS += $(BUILD)/harness/scenario/rom_quirks.o
# Bridge steps (issue 12): servers, publish_image, mqtt_trigger, bridge, expect_mqtt; netfault kinds.
HIL_LIB_OBJS += $(addprefix $(BUILD)/harness/,scenario/bridge_parse.o scenario/netfault_spec.o)
# Outcome assertions (issue 15): expect_parse, slot hashes, fotactl's JSON result (jansson).
HIL_LIB_OBJS += $(addprefix $(BUILD)/harness/,scenario/expect_parse.o scenario/fault_truncate.o scenario/slot_hash.o scenario/updater_result.o)
# Glitch sweeps (issue 13): the cases from a trace, and the decoding they share with the engine.
HIL_LIB_OBJS += $(addprefix $(BUILD)/harness/,scenario/sweep_glitch.o target/glitch.o target/elfsym.o)
HIL_LIBS := -lyaml -lelf -lpcap -ljansson -lmosquitto -lpthread
# Board backend: libgpiod v1.6 (power relay, NRST, BOOT0), libusb-1.0 (hub port power, ST-LINK lookup).
USB_CFLAGS := $(shell pkg-config --cflags libusb-1.0 2>/dev/null || echo -I/usr/include/libusb-1.0)
CFLAGS_power_usb := $(USB_CFLAGS)
HIL_LIBS += -lgpiod -lusb-1.0
FOTA_HIL := $(BUILD)/fota-hil
HOST_PROGS += $(FOTA_HIL)

# fota-hil runs fotactl (next to it by default), so building one builds both.
$(FOTA_HIL): $(HIL_OBJS) $(BUILD)/libfotacore.a | $(FOTACTL)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $(HIL_OBJS) $(BUILD)/libfotacore.a $(HIL_LIBS)
