# QEMU target backend tests (tests/harness/): unit tests of the flash
# model, the ELF symbol reader and the GDB RSP client, plus the end-to-end
# QEMU test against a tiny fixture firmware.

# The fixture: a stand-in bootloader defining the HIL-served functions.
HIL_FIX_ELF := $(FW)/tests/harness/fixture.elf
HIL_FIX_BIN := $(FW)/tests/harness/fixture.bin

$(HIL_FIX_ELF): $(FW)/tests/harness/fixtures/fixture.o tests/harness/fixtures/fixture.ld
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  ARMLD   $@")
	$(Q)$(ARM_CC) -T tests/harness/fixtures/fixture.ld $(FW)/tests/harness/fixtures/fixture.o \
		$(ARM_LDFLAGS) -o $@

$(HIL_FIX_BIN): $(HIL_FIX_ELF)
	$(Q)$(ARM_OBJCOPY) -O binary $< $@

# The backend's objects (the runner's harness/build.mk links the same ones).
HIL_QEMU_OBJS := $(addprefix $(BUILD)/harness/,target/flashmodel.o target/elfsym.o target/rsp.o target/cpuclock.o target/rsp_target.o target/rsp_glitch.o target/glitch.o target/child.o \
	target/target_qemu.o target/qmp.o target/f407_flash.o target/spi_master.o)
HIL_TEST_DIR := $(BUILD)/tests/harness
HIL_FIX_DEFS := -DHIL_FIXTURE_ELF='"$(HIL_FIX_ELF)"' -DHIL_FIXTURE_BIN='"$(HIL_FIX_BIN)"'
CFLAGS_target_qemu-test := $(HIL_FIX_DEFS)
CFLAGS_elfsym-test := $(HIL_FIX_DEFS)

$(HIL_TEST_DIR)/flashmodel-test: $(HIL_TEST_DIR)/flashmodel-test.o $(BUILD)/harness/target/flashmodel.o
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $^ -o $@ $(CMOCKA_LIBS)

$(HIL_TEST_DIR)/elfsym-test: $(HIL_TEST_DIR)/elfsym-test.o $(BUILD)/harness/target/elfsym.o | $(HIL_FIX_ELF)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $(filter %.o,$^) -o $@ $(CMOCKA_LIBS) -lelf

$(HIL_TEST_DIR)/rsp-test: $(HIL_TEST_DIR)/rsp-test.o $(BUILD)/harness/target/rsp.o $(BUILD)/harness/target/cpuclock.o
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $^ -o $@ $(CMOCKA_LIBS)

# The core's port contract (port_flash_check_*) comes from libfotacore.a.
$(HIL_TEST_DIR)/target_qemu-test: $(HIL_TEST_DIR)/target_qemu-test.o $(HIL_QEMU_OBJS) $(BUILD)/libfotacore.a | $(HIL_FIX_BIN)
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $(filter %.o %.a,$^) -o $@ $(CMOCKA_LIBS) -lelf -ljansson

# The fota-f407 FLASH model's QMP events and fault plans (no QEMU needed).
$(HIL_TEST_DIR)/f407_flash-test: $(HIL_TEST_DIR)/f407_flash-test.o $(BUILD)/harness/target/f407_flash.o \
		$(BUILD)/harness/target/qmp.o $(BUILD)/harness/target/cpuclock.o $(BUILD)/harness/target/flashmodel.o
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $^ -o $@ $(CMOCKA_LIBS) -ljansson

# Waits counted in a peer's CPU time (the debug link's, QMP's, the stock IWDG model's).
$(HIL_TEST_DIR)/cpuclock-test: $(HIL_TEST_DIR)/cpuclock-test.o $(BUILD)/harness/target/cpuclock.o
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $^ -o $@ $(CMOCKA_LIBS)
UNIT_TESTS += $(HIL_TEST_DIR)/cpuclock-test

UNIT_TESTS += $(HIL_TEST_DIR)/flashmodel-test $(HIL_TEST_DIR)/elfsym-test $(HIL_TEST_DIR)/rsp-test \
	$(HIL_TEST_DIR)/f407_flash-test
QEMU_TESTS += $(HIL_TEST_DIR)/target_qemu-test

# The emulated ST ROM bootloader (AN3155): unit tests, our host master
# against it, and Debian's stm32flash over a pty (the independent check).
# tests/fakes/fake_rom.c: the emulated ROM over a fresh flash model, for the
# three rom_*-test files (tests/bootloader links every fake: it resolves
# hil_flash_init from the sim port's flash model).
$(BUILD)/tests/fakes/fake_rom.o: HOST_CFLAGS += -Iharness
$(HIL_TEST_DIR)/rom_%-test.o: HOST_CFLAGS += -Itests/fakes
$(HIL_TEST_DIR)/rom_an3155-test.o: HOST_CFLAGS += -Ihost/include
$(HIL_TEST_DIR)/rom_an3155-test: $(HIL_TEST_DIR)/rom_an3155-test.o $(BUILD)/tests/fakes/fake_rom.o $(BUILD)/harness/link/rom_an3155.o \
		$(BUILD)/harness/target/flashmodel.o $(BUILD)/harness/target/errmsg.o $(BUILD)/harness/link/proxy.o $(FOTAHOST_LIB) $(BUILD)/libfotacore.a
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $^ -o $@ $(CMOCKA_LIBS) -lpthread
UNIT_TESTS += $(HIL_TEST_DIR)/rom_an3155-test

# The ROM path's BOOT0/NRST control socket (boot.sock).
$(HIL_TEST_DIR)/rom_link-test: $(HIL_TEST_DIR)/rom_link-test.o $(BUILD)/harness/link/rom_link.o \
		$(BUILD)/harness/link/rom_an3155.o $(BUILD)/harness/target/flashmodel.o $(BUILD)/harness/target/errmsg.o \
		$(BUILD)/harness/link/proxy.o $(BUILD)/libfotacore.a
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $^ -o $@ $(CMOCKA_LIBS)
UNIT_TESTS += $(HIL_TEST_DIR)/rom_link-test

# The same ROM on SPI1 (AN4286): byte-level unit tests.
$(HIL_TEST_DIR)/rom_an4286-test: $(HIL_TEST_DIR)/rom_an4286-test.o $(BUILD)/tests/fakes/fake_rom.o $(BUILD)/harness/link/rom_an4286.o \
		$(BUILD)/harness/link/rom_an3155.o $(BUILD)/harness/target/flashmodel.o $(BUILD)/harness/target/errmsg.o $(BUILD)/harness/link/proxy.o $(BUILD)/libfotacore.a
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $^ -o $@ $(CMOCKA_LIBS)
UNIT_TESTS += $(HIL_TEST_DIR)/rom_an4286-test

# The same ROM on I2C1 (AN4221) and the emulated I2C bus: transaction-level
# tests, the quirks, and our AN4221 master against the model over i2c-emu.
$(HIL_TEST_DIR)/rom_an4221-test.o: HOST_CFLAGS += -Ihost/include
$(HIL_TEST_DIR)/rom_an4221-test: $(HIL_TEST_DIR)/rom_an4221-test.o $(BUILD)/tests/fakes/fake_rom.o $(BUILD)/harness/link/rom_an4221.o \
		$(BUILD)/harness/link/i2c_link.o $(BUILD)/harness/link/rom_an3155.o $(BUILD)/harness/target/flashmodel.o \
		$(BUILD)/harness/target/errmsg.o $(BUILD)/harness/link/proxy.o $(FOTAHOST_LIB) $(BUILD)/libfotacore.a
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $^ -o $@ $(CMOCKA_LIBS) -lpthread
UNIT_TESTS += $(HIL_TEST_DIR)/rom_an4221-test

# `make bench`: every update path for a 256 KB image, modelled on an F407
# and measured in emulation where the rig emulates it.
$(HIL_TEST_DIR)/link-bench.o: HOST_CFLAGS += -Ihost/include
$(HIL_TEST_DIR)/link-bench: $(HIL_TEST_DIR)/link-bench.o $(BUILD)/harness/link/rom_an3155.o \
		$(BUILD)/harness/target/flashmodel.o $(BUILD)/harness/target/errmsg.o $(BUILD)/harness/link/proxy.o $(FOTAHOST_LIB) $(BUILD)/libfotacore.a
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $^ -o $@ -lpthread
BENCHES += $(HIL_TEST_DIR)/link-bench

# fota-f407's SPI1 over its chardev: the master side (spi_master.c) and
# the SPI bus with a slave behind a wire (spi_link.c).
$(HIL_TEST_DIR)/spi_master-test: $(HIL_TEST_DIR)/spi_master-test.o $(BUILD)/harness/target/spi_master.o
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $^ -o $@ $(CMOCKA_LIBS)
$(HIL_TEST_DIR)/spi_link-test: $(HIL_TEST_DIR)/spi_link-test.o $(BUILD)/harness/link/spi_link.o \
		$(BUILD)/harness/link/proxy.o $(BUILD)/harness/target/errmsg.o $(BUILD)/libfotacore.a
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $^ -o $@ $(CMOCKA_LIBS)
UNIT_TESTS += $(HIL_TEST_DIR)/spi_master-test $(HIL_TEST_DIR)/spi_link-test
