# tests/bench/build.mk: `make bench` (BENCHES): the sweep benchmark.
SWEEP_BENCH := $(BUILD)/tests/bench/sweep-bench

$(SWEEP_BENCH): tests/bench/sweep-bench.sh $(FOTA_HIL) qemu
	@mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nexec tests/bench/sweep-bench.sh %s %s\n' '$(FOTA_HIL)' '$(JOBS)' > $@ && chmod +x $@

BENCHES += $(SWEEP_BENCH)

# The signature verification time on a 256 KB image (docs/SECURITY.md).
VERIFY_BENCH := $(BUILD)/tests/bench/verify-bench

$(VERIFY_BENCH): tests/bench/verify-bench.sh $(MKFLASH)
	@mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nexec tests/bench/verify-bench.sh %s\n' '$(MKFLASH)' > $@ && chmod +x $@

BENCHES += $(VERIFY_BENCH)

# `make soak` (issue 11): a representative slice, repeated over both links
# under stress-ng; failures and flaky cases per 1000 cases (tests/bench/soak.sh).
SOAK_ROUNDS ?= 3
.PHONY: soak
soak: check-deps firmware host
	$(Q)SOAK_JOBS=$(JOBS) tests/bench/soak.sh $(FOTA_HIL) $(SOAK_ROUNDS)

# `make glitch-full` (issue 13): the glitch sweep over every point of its
# trace, not a sample (tests/bench/glitch_full.yaml; about 6500 cases).
GLITCH_FULL_ARGS ?=
.PHONY: glitch-full
glitch-full: check-deps firmware host
	$(Q)mkdir -p build/results
	$(Q)$(FOTA_HIL) run -j $(JOBS) --work-dir build/work-glitch --junit build/results/junit-glitch.xml \
		$(GLITCH_FULL_ARGS) tests/bench/glitch_full.yaml
