# tests/trace: the run-trace writer/reader (harness/trace.c) and the
# Wireshark dissector (scripts/fota-hil.lua, checked through tshark).
# Both binaries link the shared sample trace (trace_sample.c) and libpcap.

TRACE_TEST_DIR := $(BUILD)/tests/trace
TRACE_TESTS := $(TRACE_TEST_DIR)/trace-test $(TRACE_TEST_DIR)/dissector-test
UNIT_TESTS += $(TRACE_TESTS)

CFLAGS_trace-test := -Iharness
CFLAGS_trace_sample := -Iharness
CFLAGS_dissector-test := -Iharness -DHIL_TRACE_LUA='"$(CURDIR)/scripts/fota-hil.lua"'

$(TRACE_TEST_DIR)/%-test: $(TRACE_TEST_DIR)/%-test.o $(TRACE_TEST_DIR)/trace_sample.o \
		$(BUILD)/harness/trace.o $(BUILD)/libfotacore.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libfotacore.a $(CMOCKA_LIBS) -lpcap

.SECONDARY: $(TRACE_TEST_DIR)/trace-test.o $(TRACE_TEST_DIR)/dissector-test.o $(TRACE_TEST_DIR)/trace_sample.o
