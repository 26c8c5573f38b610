# tests/bootloader: cmocka tests of the bootloader core on the sim port.
# One binary per unit, $(BUILD)/tests/bootloader/<unit>-test, each linked
# with the shared fakes (tests/fakes), the sim port and the host core.

include bootloader/core/build.mk

BL_TEST_DIR := $(BUILD)/tests/bootloader
BL_TEST_UNITS := crc32 sha256 errors proto image image_tlv meta port_flash_check sim boot bl_api update sweep iwdg
BL_UNIT_TESTS := $(patsubst %,$(BL_TEST_DIR)/%-test,$(BL_TEST_UNITS))
BL_FAKES_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/fakes/*.c))
UNIT_TESTS += $(BL_UNIT_TESTS)

BL_TEST_CFLAGS := -Ibootloader/port/sim -Itests/fakes -Ihost/include
$(BL_TEST_DIR)/%.o: HOST_CFLAGS += $(BL_TEST_CFLAGS)
$(BUILD)/tests/fakes/%.o: HOST_CFLAGS += $(BL_TEST_CFLAGS)

# The sim port comes first so its bl_mailbox() wins over the core's weak one.
# The fakes sign test images with libfotahost (fh_image_sign).
$(BL_TEST_DIR)/%-test: $(BL_TEST_DIR)/%-test.o $(BL_FAKES_OBJS) $(FOTA_SIM_LIB) $(FOTAHOST_LIB) $(FOTA_CORE_HOST_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $(filter %.o,$^) $(FOTA_SIM_LIB) $(FOTAHOST_LIB) $(FOTA_CORE_HOST_LIB) \
		$(FOTA_SIM_LIB) $(CMOCKA_LIBS) $(MBEDTLS_HOST_LIBS)

# The stm32f4 IWDG driver, built for the host over a fake register block.
$(BL_TEST_DIR)/iwdg-test: $(BUILD)/bootloader/port/stm32f4/iwdg.o

.PHONY: bl-units
bl-units: $(BL_UNIT_TESTS)
	$(Q)set -e; for t in $(BL_UNIT_TESTS); do echo "== $$t"; $$t; done

# Keep the objects (make would delete them as intermediates of the pattern rule).
