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

$(BOARD_TEST_DIR)/board_profile-test: $(BOARD_TEST_DIR)/board_profile-test.o $(BUILD)/harness/board_profile.o
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $^ -o $@ $(CMOCKA_LIBS) -lyaml

$(BOARD_TEST_DIR)/power-test: $(BOARD_TEST_DIR)/power-test.o $(addprefix $(BUILD)/harness/,gpio.o power.o power_usb.o) \
		$(BOARD_FAKES)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $^ -o $@ $(CMOCKA_LIBS)

UNIT_TESTS += $(BOARD_TEST_DIR)/board_profile-test $(BOARD_TEST_DIR)/power-test

# The board target against the stand-in board (QEMU + ptys + fake gpio).
BOARD_TARGET_OBJS := $(addprefix $(BUILD)/harness/,target_board.o board_profile.o gpio.o power.o power_usb.o \
	rsp.o elfsym.o flashmodel.o) $(BOARD_FAKES) $(BUILD)/tests/fakes/standin_board.o
CFLAGS_target_board-test := -Iharness $(HIL_FIX_DEFS)
$(BOARD_TEST_DIR)/target_board-test: $(BOARD_TEST_DIR)/target_board-test.o $(BOARD_TARGET_OBJS) $(BUILD)/libfotacore.a \
		| $(HIL_FIX_BIN)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $(filter %.o %.a,$^) -o $@ $(CMOCKA_LIBS) -lyaml -lelf -lpthread

QEMU_TESTS += $(BOARD_TEST_DIR)/target_board-test

# CLI checks without hardware: doctor, run --board skips, --flash-image.
export FOTA_HIL
QEMU_TESTS += tests/board/doctor-test.sh
