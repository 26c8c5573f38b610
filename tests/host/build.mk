# tests/host: cmocka tests of libfotahost and fotactl (host/build.mk).
# Binaries under $(BUILD)/tests/host/, run by `make units` / `make test`.

HOST_TEST_DIR := $(BUILD)/tests/host
HOST_TEST_LIBS := $(FOTAHOST_LIB) $(FOTACORE_LIB)
HOST_UNIT_TESTS := \
	$(HOST_TEST_DIR)/image-test \
	$(HOST_TEST_DIR)/sign-test \
	$(HOST_TEST_DIR)/link-test \
	$(HOST_TEST_DIR)/update-test \
	$(HOST_TEST_DIR)/stm32rom-test \
	$(HOST_TEST_DIR)/an4221-test \
	$(HOST_TEST_DIR)/fotactl-test \
	$(HOST_TEST_DIR)/e2e-test
UNIT_TESTS += $(HOST_UNIT_TESTS)

$(HOST_TEST_DIR)/%.o: HOST_CFLAGS += $(FOTAHOST_CFLAGS) -Itests/host
# e2e-test runs the real core (boot + update receiver) on the sim port.
$(HOST_TEST_DIR)/e2e-test.o: HOST_CFLAGS += -Ibootloader/port/sim
# fotactl-test runs the real binary.
$(HOST_TEST_DIR)/fotactl-test.o: HOST_CFLAGS += -DFOTACTL_PATH='"$(abspath $(FOTACTL))"'

define HOST_TEST_LINK
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(CMOCKA_LIBS) -lpthread -lutil \
		$(MBEDTLS_HOST_LIBS)
endef

$(HOST_TEST_DIR)/image-test: $(HOST_TEST_DIR)/image-test.o $(HOST_TEST_LIBS)
	$(HOST_TEST_LINK)
$(HOST_TEST_DIR)/sign-test: $(HOST_TEST_DIR)/sign-test.o $(HOST_TEST_LIBS)
	$(HOST_TEST_LINK)
$(HOST_TEST_DIR)/link-test: $(HOST_TEST_DIR)/link-test.o $(HOST_TEST_LIBS)
	$(HOST_TEST_LINK)
# stm32rom-test: the ROM masters against a scripted ROM (socketpair, pty).
$(HOST_TEST_DIR)/stm32rom-test: $(HOST_TEST_DIR)/stm32rom-test.o $(HOST_TEST_LIBS)
	$(HOST_TEST_LINK)
# an4221-test: the I2C ROM master against scripted i2c-emu answers.
$(HOST_TEST_DIR)/an4221-test: $(HOST_TEST_DIR)/an4221-test.o $(HOST_TEST_LIBS)
	$(HOST_TEST_LINK)
$(HOST_TEST_DIR)/update-test: $(HOST_TEST_DIR)/update-test.o $(HOST_TEST_DIR)/fake-target.o $(HOST_TEST_LIBS)
	$(HOST_TEST_LINK)
$(HOST_TEST_DIR)/fotactl-test: $(HOST_TEST_DIR)/fotactl-test.o $(HOST_TEST_DIR)/fake-target.o \
		$(HOST_TEST_LIBS) $(FOTACTL)
	$(HOST_TEST_LINK)
# Core and sim port reference each other (boot_main <-> port_*): the sim
# first so its bl_mailbox() wins over the core's weak one, then the core,
# then the sim again (as tests/bootloader/build.mk).
$(HOST_TEST_DIR)/e2e-test: $(HOST_TEST_DIR)/e2e-test.o $(HOST_TEST_DIR)/fake-target.o $(FOTAHOST_LIB) \
		$(BUILD)/libfotasim.a $(FOTACORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $(filter %.o,$^) $(FOTAHOST_LIB) $(BUILD)/libfotasim.a $(FOTACORE_LIB) \
		$(BUILD)/libfotasim.a $(CMOCKA_LIBS) -lpthread $(MBEDTLS_HOST_LIBS)
