# tests/scenario/build.mk: unit tests of the harness's runner side
# (scenario parser, link proxy, flash fault injector, result writers).

SCENARIO_TEST_NAMES := scenario-test proxy-test inject-test results-test sweep-test oracle-test outcome-test \
                       include-test params-test merge-test fault_parse-test cut_at-test sweep_time-test sweep_glitch-test \
                       bridge_parse-test
SCENARIO_TESTS := $(SCENARIO_TEST_NAMES:%=$(BUILD)/tests/scenario/%)
UNIT_TESTS += $(SCENARIO_TESTS)
$(foreach t,$(SCENARIO_TEST_NAMES),$(eval CFLAGS_$(t) := -Iharness))

$(BUILD)/tests/scenario/%-test: $(BUILD)/tests/scenario/%-test.o $(HIL_LIB_OBJS) $(BUILD)/libfotacore.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $< $(HIL_LIB_OBJS) $(BUILD)/libfotacore.a $(CMOCKA_LIBS) -lyaml -ljansson -lelf
