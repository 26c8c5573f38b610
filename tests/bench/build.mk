# tests/bench/build.mk: `make bench` (BENCHES): the sweep benchmark.
SWEEP_BENCH := $(BUILD)/tests/bench/sweep-bench

$(SWEEP_BENCH): tests/bench/sweep-bench.sh $(FOTA_HIL)
	@mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nexec tests/bench/sweep-bench.sh %s %s\n' '$(FOTA_HIL)' '$(JOBS)' > $@ && chmod +x $@

BENCHES += $(SWEEP_BENCH)
