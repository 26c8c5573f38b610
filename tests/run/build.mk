# tests/run/build.mk: QEMU tests of the runner with a fake updater
# (tests/run/runner-test.sh, tests/run/fake-fotactl.sh).

RUNNER_TEST := $(BUILD)/tests/run/runner-test

# A wrapper so QEMU_TESTS stays a list of executables.
$(RUNNER_TEST): tests/run/runner-test.sh tests/run/fake-fotactl.sh $(FOTA_HIL) $(FOTACTL)
	@mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nexec tests/run/runner-test.sh %s %s\n' '$(FOTA_HIL)' '$(abspath $(FOTACTL))' > $@ && chmod +x $@

QEMU_TESTS += $(RUNNER_TEST)
