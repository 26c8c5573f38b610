# tests/fuzz: libFuzzer targets (clang, ASan + UBSan) for the parsers that
# read untrusted input (issue 13): the bootloader's frame parser, image
# header checks, the image TLV area parser, metadata decoder and log scan; the harness's scenario,
# rig-profile and pcap trace readers.
#
#   make fuzz [FUZZ_SECONDS=30]  run each target FUZZ_SECONDS seconds from its
#                     seed corpus (tests/fuzz/corpus/<target>, new inputs
#                     go to build/fuzz/corpus/<target>); one line per target
#                     with execs and crashes; crash inputs are kept in
#                     build/fuzz/crashes/<target>/; fails if any crashed
#   make fuzz-regress run every target once over each file of its seed
#                     corpus (-runs=0 style: no mutation); part of `make test`
#
# Every input that once crashed a target is added to its seed corpus, so
# fuzz-regress replays it. Objects are built with clang into build/fuzz,
# apart from the gcc builds.

FUZZ_CC ?= clang
FUZZ_DIR := build/fuzz
FUZZ_SECONDS ?= 30
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Ibootloader/include -Ibootloader/port/sim -Iharness -Ihost/include -MMD -MP \
	-fsanitize=fuzzer-no-link $(FUZZ_SAN)
FUZZ_LDFLAGS := -fsanitize=fuzzer $(FUZZ_SAN)
FUZZ_TARGETS := proto image image_tlv meta scenario board_profile trace
FUZZ_BINS := $(patsubst %,$(FUZZ_DIR)/%-fuzz,$(FUZZ_TARGETS))

# Every core file and the sim port, built with clang: each target links
# what it needs from these archives (the sim port first: its bl_mailbox()
# wins over the core's weak one).
FUZZ_CORE_LIB := $(FUZZ_DIR)/libfotacore.a
FUZZ_SIM_LIB := $(FUZZ_DIR)/libfotasim.a
FUZZ_CORE_OBJS := $(patsubst %.c,$(FUZZ_DIR)/%.o,$(BL_CORE_SRCS))
FUZZ_SIM_OBJS := $(patsubst %.c,$(FUZZ_DIR)/%.o,$(BL_SIM_SRCS)) $(FUZZ_DIR)/harness/target/flashmodel.o \
	$(FUZZ_DIR)/$(IMAGE_PUBKEY_C:.c=.o)

FUZZ_OBJS_proto :=
FUZZ_OBJS_image := $(FUZZ_DIR)/host/lib/image.o $(FUZZ_DIR)/host/lib/msg.o $(FUZZ_DIR)/host/lib/file.o
FUZZ_OBJS_image_tlv :=
FUZZ_OBJS_meta :=
FUZZ_OBJS_scenario := $(patsubst $(BUILD)/%,$(FUZZ_DIR)/%,$(HIL_LIB_OBJS))
FUZZ_OBJS_board_profile := $(FUZZ_DIR)/harness/target/board_profile.o $(FUZZ_DIR)/harness/target/errmsg.o
FUZZ_OBJS_trace := $(FUZZ_DIR)/harness/trace/trace.o
FUZZ_LIBS := -lyaml -lelf -lpcap -ljansson $(MBEDTLS_HOST_LIBS)

$(FUZZ_DIR)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_CORE_LIB): $(FUZZ_CORE_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^
$(FUZZ_SIM_LIB): $(FUZZ_SIM_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

.SECONDEXPANSION:
$(FUZZ_DIR)/%-fuzz: $(FUZZ_DIR)/tests/fuzz/%-fuzz.o $$(FUZZ_OBJS_$$*) $(FUZZ_SIM_LIB) $(FUZZ_CORE_LIB)
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $(filter %.o,$^) $(FUZZ_SIM_LIB) $(FUZZ_CORE_LIB) $(FUZZ_SIM_LIB) $(FUZZ_LIBS)

.PHONY: fuzz fuzz-build fuzz-regress
fuzz-build: $(FUZZ_BINS)

fuzz: check-deps $(FUZZ_BINS)
	$(Q)scripts/fuzz-run.sh run $(FUZZ_SECONDS) $(FUZZ_DIR) $(FUZZ_TARGETS)

fuzz-regress: check-deps $(FUZZ_BINS)
	$(Q)scripts/fuzz-run.sh regress 0 $(FUZZ_DIR) $(FUZZ_TARGETS)
