# tests/report: `fota-hil report` (harness/cli/report.c) and the pure parts of
# `fota-hil replay` (harness/cli/replay.c). report-test: unit tests (JUnit
# parsing, slot decoding, answer comparison). report-render-test (QEMU):
# runs the test-only scenarios in tests/report/scenarios/ (one fails on
# purpose), writes the report and renders it in headless Chromium
# (skipped, not passed, when Chromium cannot start).

REPORT_TEST_DIR := $(BUILD)/tests/report
REPORT_LIB_OBJS = $(filter-out $(BUILD)/harness/cli/main.o,$(HIL_OBJS))
UNIT_TESTS += $(REPORT_TEST_DIR)/report-test
QEMU_TESTS += $(REPORT_TEST_DIR)/report-render-test
CFLAGS_report-test := -Iharness
CFLAGS_report-render-test := -Iharness -DHIL_FOTA_HIL='"$(FOTA_HIL)"' -DHIL_REPORT_OUT='"$(REPORT_TEST_DIR)"'

$(REPORT_TEST_DIR)/report-test: $(REPORT_TEST_DIR)/report-test.o $(REPORT_LIB_OBJS) $(BUILD)/libfotacore.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libfotacore.a $(CMOCKA_LIBS) $(HIL_LIBS)

$(REPORT_TEST_DIR)/report-render-test: $(REPORT_TEST_DIR)/report-render-test.o | $(FOTA_HIL)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $(filter %.o,$^) $(CMOCKA_LIBS)

