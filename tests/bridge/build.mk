# tests/bridge: the FOTA bridge (host/bridge, docs/BRIDGE.md) against real
# servers each test starts on 127.0.0.1: lighttpd and mosquitto (Debian).

BRIDGE_TEST_DIR := $(BUILD)/tests/bridge
BRIDGE_TEST_HELPERS := $(BRIDGE_TEST_DIR)/servers.o $(BRIDGE_TEST_DIR)/relay.o $(BRIDGE_TEST_DIR)/fixture.o \
	$(BUILD)/tests/host/fake-target.o $(BUILD)/harness/link/netsrv.o
BRIDGE_UNIT_TESTS := \
	$(BRIDGE_TEST_DIR)/bridge-test \
	$(BRIDGE_TEST_DIR)/mqtt-test \
	$(BRIDGE_TEST_DIR)/e2e-test \
	$(BRIDGE_TEST_DIR)/fota-bridge-test \
	$(BRIDGE_TEST_DIR)/netfault-test
UNIT_TESTS += $(BRIDGE_UNIT_TESTS)

$(BRIDGE_TEST_DIR)/%.o: HOST_CFLAGS += $(FOTAHOST_CFLAGS) -Ihost/bridge -Itests/host

$(BRIDGE_TEST_DIR)/%-test: $(BRIDGE_TEST_DIR)/%-test.o $(BRIDGE_TEST_HELPERS) $(FOTABRIDGE_LIB) $(FOTAHOST_LIB) \
		$(FOTACORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $(filter %.o,$^) $(FOTABRIDGE_LIB) $(FOTAHOST_LIB) $(FOTACORE_LIB) \
		$(FOTABRIDGE_LIBS) $(CMOCKA_LIBS) -lpthread

# fota-bridge-test runs the real daemon.
$(BRIDGE_TEST_DIR)/fota-bridge-test.o: HOST_CFLAGS += -DFOTA_BRIDGE_PATH='"$(abspath $(FOTA_BRIDGE))"'
$(BRIDGE_TEST_DIR)/fota-bridge-test: $(FOTA_BRIDGE)

# netfault-test: the harness's network fault proxy (harness/link/netfault*.c,
# issue 12 item 3), standalone until the harness's scenario steps use it.
$(BRIDGE_TEST_DIR)/netfault-test: $(BUILD)/harness/link/netfault.o $(BUILD)/harness/link/netfault_tcp.o \
	$(BUILD)/harness/scenario/netfault_spec.o $(BUILD)/harness/link/netsrv.o
