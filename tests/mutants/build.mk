# tests/mutants/build.mk: `make mutants` (issue 16), a measure of the
# suite's strength. Each mutant is the real bootloader with one
# deliberately planted bug class, switched on by a -DFOTA_MUTANT_* flag
# (the #ifdef blocks in bootloader/core/) and built by a second make into
# build/fw-mutant-<name>/ (never into build/fw/), the way tests/sweep
# builds the broken-commit bootloader. tests/mutants/run.sh runs the same
# fixed subset of scenarios (MUTANT_SCENARIOS, documented in
# docs/SCENARIOS.md) against every mutant and prints killed/total. A
# mutant that survives is reported, never removed.
#
#   factory_adopt_torn  a torn record after the newest reads as factory state (adopts the new image)
#   retry_trial         an unconfirmed trial is booted again instead of rolled back
#   no_verify_active    the active slot's header is read, never verified
#   scan_order          the newest metadata record is the last valid one in scan order (seq ignored)
#   resume_late         the offered resume offset is one chunk late
#   whole_words         DATA programs whole words only, a 1-3 byte tail is dropped
#   commit_before_verify  PENDING committed at BEGIN (tests/sweep's broken build)

MUTANTS := factory_adopt_torn retry_trial no_verify_active scan_order resume_late whole_words commit_before_verify
MUTANT_FLAG_factory_adopt_torn := FOTA_MUTANT_FACTORY_ADOPT_TORN
MUTANT_FLAG_retry_trial := FOTA_MUTANT_RETRY_TRIAL
MUTANT_FLAG_no_verify_active := FOTA_MUTANT_NO_VERIFY_ACTIVE
MUTANT_FLAG_scan_order := FOTA_MUTANT_SCAN_ORDER
MUTANT_FLAG_resume_late := FOTA_MUTANT_RESUME_LATE
MUTANT_FLAG_whole_words := FOTA_MUTANT_WHOLE_WORDS
MUTANT_FLAG_commit_before_verify := FOTA_TEST_BROKEN_COMMIT_BEFORE_VERIFY

# The fixed subset every mutant runs (the same for all: no per-mutant pick).
MUTANT_SCENARIOS ?= --tag mutants
MUTANT_JOBS ?= $(JOBS)

# $(1) = mutant name: its bootloader, built by a second make.
define MUTANT_FW_RULE
.PHONY: mutant-fw-$(1)
mutant-fw-$(1):
	$$(Q)$$(MAKE) --no-print-directory FW=build/fw-mutant-$(1) BL_CFLAGS_EXTRA=-D$(MUTANT_FLAG_$(1)) \
		build/fw-mutant-$(1)/bootloader.elf build/fw-mutant-$(1)/bootloader.bin
endef
$(foreach m,$(MUTANTS),$(eval $(call MUTANT_FW_RULE,$(m))))

.PHONY: mutants mutant-fw
mutant-fw: $(MUTANTS:%=mutant-fw-%)

mutants: firmware host mutant-fw
	$(Q)MUTANT_JOBS=$(MUTANT_JOBS) tests/mutants/run.sh $(FOTA_HIL) '$(MUTANT_SCENARIOS)' $(MUTANTS)
