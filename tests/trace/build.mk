# tests/trace: the run-trace writer/reader (harness/trace/trace.c) and the
# Wireshark dissector (scripts/fota-hil.lua, checked through tshark).
# Both binaries link the shared sample trace (trace_sample.c), the tshark
# comparison (tshark_check.c) and libpcap. suite-trace-test (QEMU) runs real
# scenarios with --pcap all and checks their traces the same way, and
# replays one against a fresh target.

TRACE_TEST_DIR := $(BUILD)/tests/trace
TRACE_TESTS := $(TRACE_TEST_DIR)/trace-test $(TRACE_TEST_DIR)/dissector-test
UNIT_TESTS += $(TRACE_TESTS)
QEMU_TESTS += $(TRACE_TEST_DIR)/suite-trace-test

TRACE_LUA_DEF := -DHIL_TRACE_LUA='"$(CURDIR)/scripts/fota-hil.lua"'
CFLAGS_trace-test := -Iharness
CFLAGS_trace_sample := -Iharness
CFLAGS_tshark_check := -Iharness $(TRACE_LUA_DEF)
CFLAGS_dissector-test := -Iharness $(TRACE_LUA_DEF)
CFLAGS_suite-trace-test := -Iharness -DHIL_FOTA_HIL='"$(FOTA_HIL)"'

$(TRACE_TEST_DIR)/%-test: $(TRACE_TEST_DIR)/%-test.o $(TRACE_TEST_DIR)/trace_sample.o \
		$(TRACE_TEST_DIR)/tshark_check.o $(BUILD)/harness/trace/trace.o $(BUILD)/libfotacore.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libfotacore.a $(CMOCKA_LIBS) -lpcap

# suite-trace-test runs fota-hil, so it needs it built.
$(TRACE_TEST_DIR)/suite-trace-test: | $(FOTA_HIL)

