# tests/run/build.mk: QEMU tests of the runner with a fake updater
# (tests/run/runner-test.sh, tests/run/fake-fotactl.sh).

RUNNER_TEST := $(BUILD)/tests/run/runner-test

# A wrapper so QEMU_TESTS stays a list of executables.
$(RUNNER_TEST): tests/run/runner-test.sh tests/run/fake-fotactl.sh $(FOTA_HIL) $(FOTACTL)
	@mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nexec tests/run/runner-test.sh %s %s\n' '$(FOTA_HIL)' '$(abspath $(FOTACTL))' > $@ && chmod +x $@

QEMU_TESTS += $(RUNNER_TEST)

# hil_sweep_plan_build with the sweeps' recordings in parallel (issue 11):
# a fake runner (hil_run_scenario in the test), so no QEMU.
SWEEP_RUN_TEST := $(BUILD)/tests/run/sweep_run-test
CFLAGS_sweep_run-test := -Iharness
SWEEP_RUN_TEST_OBJS := $(addprefix $(BUILD)/harness/,run/sweep_run.o run/sweep_record.o run/sweep_depth2.o \
	run/sweep_glitch.o run/sweep_share.o run/workdir.o scenario/journal_io.o)
$(SWEEP_RUN_TEST): $(SWEEP_RUN_TEST).o $(SWEEP_RUN_TEST_OBJS) $(HIL_LIB_OBJS) $(BUILD)/libfotacore.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $< $(SWEEP_RUN_TEST_OBJS) $(HIL_LIB_OBJS) $(BUILD)/libfotacore.a \
		$(CMOCKA_LIBS) -lyaml -ljansson -lelf
UNIT_TESTS += $(SWEEP_RUN_TEST)

# Shared runs of power-cut cases (harness/run/sweep_share.c): groups,
# the pool's decisions, a follower's result. No QEMU.
SWEEP_SHARE_TEST := $(BUILD)/tests/run/sweep_share-test
CFLAGS_sweep_share-test := -Iharness
SWEEP_SHARE_TEST_OBJS := $(addprefix $(BUILD)/harness/,run/sweep_share.o run/workdir.o)
$(SWEEP_SHARE_TEST): $(SWEEP_SHARE_TEST).o $(SWEEP_SHARE_TEST_OBJS) $(HIL_LIB_OBJS) $(BUILD)/libfotacore.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $< $(SWEEP_SHARE_TEST_OBJS) $(HIL_LIB_OBJS) $(BUILD)/libfotacore.a \
		$(CMOCKA_LIBS) -lyaml -ljansson -lelf
UNIT_TESTS += $(SWEEP_SHARE_TEST)

# The updater hold (harness/run/hold.c): which answer ends a hold, SIGSTOP
# and SIGCONT of a child. No QEMU.
HOLD_TEST := $(BUILD)/tests/run/hold-test
CFLAGS_hold-test := -Iharness
HOLD_TEST_OBJS := $(addprefix $(BUILD)/harness/,run/hold.o run/diag.o target/cpuclock.o)
$(HOLD_TEST): $(HOLD_TEST).o $(HOLD_TEST_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $< $(HOLD_TEST_OBJS) $(CMOCKA_LIBS)
UNIT_TESTS += $(HOLD_TEST)
