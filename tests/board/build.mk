# tests/board/build.mk: the board backend's parts against stand-ins at
# their real boundaries: the profile parser; GPIO and power drivers
# against a fake libgpiod chip and a fake libusb bus (linked in place of
# -lgpiod / -lusb-1.0); the board target against QEMU's gdbstub standing
# in for openocd, with ptys for the ttys (QEMU_TESTS).

BOARD_TEST_DIR := $(BUILD)/tests/board
BOARD_FAKES := $(BUILD)/tests/fakes/fake_gpiod.o $(BUILD)/tests/fakes/fake_libusb.o
CFLAGS_fake_libusb := $(USB_CFLAGS)
CFLAGS_board_profile-test := -Iharness
CFLAGS_power-test := -Iharness

$(BOARD_TEST_DIR)/board_profile-test: $(BOARD_TEST_DIR)/board_profile-test.o $(BUILD)/harness/target/board_profile.o $(BUILD)/harness/target/errmsg.o
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $^ -o $@ $(CMOCKA_LIBS) -lyaml

$(BOARD_TEST_DIR)/power-test: $(BOARD_TEST_DIR)/power-test.o $(addprefix $(BUILD)/harness/,target/gpio.o target/power.o target/power_usb.o) \
		$(BOARD_FAKES)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $^ -o $@ $(CMOCKA_LIBS)

UNIT_TESTS += $(BOARD_TEST_DIR)/board_profile-test $(BOARD_TEST_DIR)/power-test

# The board target against the stand-in board (QEMU + ptys + fake gpio).
BOARD_TARGET_OBJS := $(addprefix $(BUILD)/harness/,target/target_board.o target/board_profile.o target/errmsg.o target/gpio.o target/power.o target/power_usb.o \
	target/rsp.o target/cpuclock.o target/rsp_target.o target/rsp_glitch.o target/glitch.o target/child.o target/elfsym.o target/flashmodel.o) $(BOARD_FAKES) $(BUILD)/tests/fakes/standin_board.o
CFLAGS_target_board-test := -Iharness $(HIL_FIX_DEFS) -DFAKE_OPENOCD='"$(BOARD_TEST_DIR)/bin/openocd"'
$(BOARD_TEST_DIR)/target_board-test: $(BOARD_TEST_DIR)/target_board-test.o $(BOARD_TARGET_OBJS) $(BUILD)/libfotacore.a \
		| $(HIL_FIX_BIN) $(BOARD_TEST_DIR)/bin/openocd
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $(filter %.o %.a,$^) -o $@ $(CMOCKA_LIBS) -lyaml -lelf -lpthread

QEMU_TESTS += $(BOARD_TEST_DIR)/target_board-test

# CLI checks without hardware: doctor, run --board skips, --flash-image.
export FOTA_HIL
QEMU_TESTS += tests/board/doctor-test.sh

# A stand-in `openocd` executable (tests/board/fake_openocd.c): checks the
# command line the backend builds, serves RSP on its gdb_port by proxying
# to the stand-in's QEMU gdbstub, implements vFlash* and DBGMCU_IDCODE.
FAKE_OPENOCD := $(BOARD_TEST_DIR)/bin/openocd
$(FAKE_OPENOCD): $(BOARD_TEST_DIR)/fake_openocd.o
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $^ -o $@

# fota-hil linked with the fake libgpiod and libusb and a whole stand-in
# rig (tests/board/standin_rig.c), for tests only: doctor, dump and
# run --board against the stand-in (tests/board/standin-run-test.sh).
STANDIN_HIL := $(BOARD_TEST_DIR)/fota-hil-standin
CFLAGS_standin_rig := $(USB_CFLAGS)
$(STANDIN_HIL): $(HIL_OBJS) $(BOARD_TEST_DIR)/standin_rig.o $(BOARD_FAKES) $(BUILD)/tests/fakes/standin_board.o \
		$(BUILD)/libfotacore.a | $(FOTACTL)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $(filter %.o %.a,$^) -o $@ -lyaml -lelf -lpcap -ljansson -lmosquitto -lpthread

run-qemu-tests: $(STANDIN_HIL) $(FAKE_OPENOCD)
QEMU_TESTS += tests/board/standin-run-test.sh
