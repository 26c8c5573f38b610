# Applications: every variant of apps/demo built for slot A and slot B,
# then packed into images by `fotactl pack` (FOTACTL, host/build.mk).
#
#   $(FW)/apps/<variant>-<version>-<slot>.elf/.bin   linked for that slot
#   $(IMAGES)/<variant>-<version>-<slot>.img         packed images
#   $(IMAGES)/demo-2.0.0-B-badsha.img                header CRC good, SHA-256 wrong
#   $(IMAGES)/<name>-tail<k>.img                     payload size = 4n + k (k = 1..3)
#   $(IMAGES)/demo-2.0.0-B-half.img                  its first half (a truncated download)
#
# Objects are compiled once per <variant>-<version> (the slot only changes
# the linker script). Needs STM32F4_DIR / STM32F4_BOARD_SRCS / LD_FROM_LAYOUT
# from bootloader/build.mk, included before this file.

APP_BUILDS := demo-1.0.0 demo-2.0.0 demo-3.0.0 crash-2.0.0 hang-2.0.0 noconfirm-2.0.0 noconfirm-3.0.0 big-2.0.0 spitx-1.0.0 \
	background-1.0.0 background-2.0.0 background-3.0.0
APP_SLOTS := A B
APP_SRCS := apps/demo/main.c apps/demo/console.c apps/demo/link.c apps/demo/selftest.c apps/demo/background.c \
	$(STM32F4_BOARD_SRCS) bootloader/core/crc32.c bootloader/core/proto.c bootloader/core/errors.c \
	bootloader/core/image.c

APP_BEHAVIOUR_demo := APP_DEMO
APP_BEHAVIOUR_crash := APP_CRASH
APP_BEHAVIOUR_hang := APP_HANG
APP_BEHAVIOUR_noconfirm := APP_NOCONFIRM
# `spitx`: the demo plus two link writes at start and a heartbeat
# (scenarios/link.spi.app_tx_no_clock.yaml, issue 10).
APP_BEHAVIOUR_spitx := APP_SPI_TX
# `background`: the demo plus a console heartbeat, serving BEGIN/DATA/END
# itself while it runs (apps/demo/background.c, fotactl update --background).
APP_BEHAVIOUR_background := APP_BACKGROUND
# `big`: the demo plus a const padding array, a ~256 KB payload (about 256
# program operations of 1 KB) for the exhaustive power-cut sweep.
APP_BEHAVIOUR_big := APP_DEMO
APP_CFLAGS_big := -DAPP_PAD_BYTES=258048

# Every image is signed with the test key (keys/README.md) and carries
# security counter 1 (docs/SECURITY.md); $(APP_SIGN) goes on `fotactl pack`.
APP_SECURITY_COUNTER := 1
APP_SIGN = --key $(IMAGE_SIGN_KEY) --security-counter $(APP_SECURITY_COUNTER)

# $(call app_version,demo-2.0.0) -> 2.0.0
app_variant = $(word 1,$(subst -, ,$(1)))
app_version = $(word 2,$(subst -, ,$(1)))
app_vpart = $(word $(2),$(subst ., ,$(call app_version,$(1))))
app_cflags = -I$(STM32F4_DIR) -Iapps/demo \
	-DAPP_BEHAVIOUR=$(APP_BEHAVIOUR_$(call app_variant,$(1))) \
	-DAPP_VERSION_MAJOR=$(call app_vpart,$(1),1) \
	-DAPP_VERSION_MINOR=$(call app_vpart,$(1),2) \
	-DAPP_VERSION_PATCH=$(call app_vpart,$(1),3) \
	$(APP_CFLAGS_$(call app_variant,$(1)))

APP_LD_A := $(FW)/apps/app-A.ld
APP_LD_B := $(FW)/apps/app-B.ld

$(APP_LD_A): $(STM32F4_DIR)/app.ld.in bootloader/include/fota/layout.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(call LD_FROM_LAYOUT,-DAPP_SLOT=LAYOUT_SLOT_A)

$(APP_LD_B): $(STM32F4_DIR)/app.ld.in bootloader/include/fota/layout.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(call LD_FROM_LAYOUT,-DAPP_SLOT=LAYOUT_SLOT_B)

# $(1) = <variant>-<version>: its objects.
define APP_OBJ_RULES
APP_OBJS_$(1) := $(patsubst %.c,$(FW)/apps/obj/$(1)/%.o,$(APP_SRCS))

$(FW)/apps/obj/$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  ARMCC   $$< ($(1))")
	$$(Q)$$(ARM_CC) $$(ARM_CFLAGS) $(call app_cflags,$(1)) -c $$< -o $$@
endef

# $(1) = <variant>-<version>, $(2) = slot: the ELF linked for that slot.
define APP_LINK_RULES
$(FW)/apps/$(1)-$(2).elf: $$(APP_OBJS_$(1)) $$(APP_LD_$(2))
	@$$(if $$(Q),echo "  ARMLD   $$@")
	$$(Q)$$(ARM_CC) -T$$(APP_LD_$(2)) -Wl,-Map=$$(@:.elf=.map) -o $$@ $$(APP_OBJS_$(1)) $$(ARM_LDFLAGS)
	$$(Q)$$(if $$(Q),,$$(ARM_SIZE) $$@)
endef

$(foreach b,$(APP_BUILDS),$(eval $(call APP_OBJ_RULES,$(b))))
$(foreach b,$(APP_BUILDS),$(foreach s,$(APP_SLOTS),$(eval $(call APP_LINK_RULES,$(b),$(s)))))

APP_NAMES := $(foreach b,$(APP_BUILDS),$(foreach s,$(APP_SLOTS),$(b)-$(s)))
APP_ELFS := $(patsubst %,$(FW)/apps/%.elf,$(APP_NAMES))
APP_BINS := $(patsubst %,$(FW)/apps/%.bin,$(APP_NAMES))
APP_IMGS := $(patsubst %,$(IMAGES)/%.img,$(APP_NAMES))
APP_BADSHA_IMG := $(IMAGES)/demo-2.0.0-B-badsha.img
# A SHA-256 that is not the payload's (63 zeros and a one).
APP_BADSHA := 0000000000000000000000000000000000000000000000000000000000000001

$(APP_BINS): $(FW)/apps/%.bin: $(FW)/apps/%.elf
	@$(if $(Q),echo "  BIN     $@")
	$(Q)$(ARM_OBJCOPY) -O binary $< $@

# FOTACTL is defined by host/build.mk, included after this file: expand it
# in the prerequisites only once everything is read.
.SECONDEXPANSION:
$(APP_IMGS): $(IMAGES)/%.img: $(FW)/apps/%.bin $$(FOTACTL) $(IMAGE_SIGN_KEY)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  PACK    $@")
	$(Q)$(FOTACTL) pack $(APP_SIGN) --slot $(word 3,$(subst -, ,$*)) --version $(word 2,$(subst -, ,$*)) \
		--in $< --out $@ $(if $(Q),>/dev/null)

$(APP_BADSHA_IMG): $(FW)/apps/demo-2.0.0-B.bin $$(FOTACTL) $(IMAGE_SIGN_KEY)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  PACK    $@")
	$(Q)$(FOTACTL) pack $(APP_SIGN) --slot B --version 2.0.0 --force-sha256 $(APP_BADSHA) --in $< --out $@ \
		$(if $(Q),>/dev/null)

# Tail images (issue 16): the application binary padded so that the
# payload size is 4n + k, k = 1, 2, 3 bytes over a whole word. The pad
# bytes are 0xA5, not 0xFF, so a bootloader that programs whole words only
# and drops the 1-3 byte tail leaves erased bytes where the image has 0xA5:
# END's verification (CRC-32, SHA-256) must fail. The application never
# reads the pad (it follows the linked image).
APP_TAIL_BASES := demo-2.0.0-A demo-2.0.0-B demo-3.0.0-A demo-3.0.0-B big-2.0.0-B
APP_TAIL_KS := 1 2 3
APP_TAIL_BINS := $(foreach b,$(APP_TAIL_BASES),$(foreach k,$(APP_TAIL_KS),$(FW)/apps/$(b)-tail$(k).bin))
APP_TAIL_IMGS := $(patsubst $(FW)/apps/%.bin,$(IMAGES)/%.img,$(APP_TAIL_BINS))

# $(1) = <variant>-<version>-<slot>, $(2) = k: pad its binary to 4n + k bytes.
define APP_TAIL_RULES
$(FW)/apps/$(1)-tail$(2).bin: $(FW)/apps/$(1).bin
	@$$(if $$(Q),echo "  TAIL    $$@")
	$$(Q)sz=$$$$(stat -c %s $$<); pad=$$$$(( (4 - sz % 4) % 4 + $(2) )); \
		{ cat $$<; head -c $$$$pad /dev/zero | tr '\000' '\245'; } > $$@

$(IMAGES)/$(1)-tail$(2).img: $(FW)/apps/$(1)-tail$(2).bin $$$$(FOTACTL) $(IMAGE_SIGN_KEY)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  PACK    $$@")
	$$(Q)$$(FOTACTL) pack $$(APP_SIGN) --slot $(lastword $(subst -, ,$(1))) --version $(call app_version,$(1)) \
		--in $$< --out $$@ $$(if $$(Q),>/dev/null)
endef

$(foreach b,$(APP_TAIL_BASES),$(foreach k,$(APP_TAIL_KS),$(eval $(call APP_TAIL_RULES,$(b),$(k)))))

# A truncated download (issue 15, scenarios/cookbook.truncated_download.yaml):
# the first half of demo-2.0.0-B.img, its header still announcing the whole
# payload; only `fotactl update --force` sends it.
APP_HALF_IMG := $(IMAGES)/demo-2.0.0-B-half.img
$(APP_HALF_IMG): $(IMAGES)/demo-2.0.0-B.img
	@$(if $(Q),echo "  HALF    $@")
	$(Q)head -c $$(( $$(stat -c %s $<) / 2 )) $< > $@

FIRMWARE += $(APP_ELFS) $(APP_BINS) $(APP_IMGS) $(APP_BADSHA_IMG) $(APP_TAIL_BINS) $(APP_TAIL_IMGS) $(APP_HALF_IMG)

# Negative-test images for scenarios/image.sign.* and
# image.security_counter.* (docs/SECURITY.md), all from demo-2.0.0 for
# slot B: unsigned (pack without --key, the counter of the others, so that
# only the missing signature refuses it), signed with the other test key,
# one bit flipped in the signature / in the protected SEC_CNT TLV, the TLV
# area cut by 8 bytes with a header that agrees (host/mkbadimg.c), and
# security counter 2 (a later image with counter 1 is a rollback).
MKBADIMG := $(BUILD)/mkbadimg
SIGN_BAD_IMGS := $(patsubst %,$(IMAGES)/demo-2.0.0-B-%.img,unsigned wrongkey badsig badseccnt cuttlv seccnt2)
HOST_PROGS += $(MKBADIMG)

$(MKBADIMG): $(BUILD)/host/mkbadimg.o $$(FOTACORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $< $(FOTACORE_LIB)

SIGN_PACK_unsigned := --security-counter $(APP_SECURITY_COUNTER)
SIGN_PACK_wrongkey := --key keys/test-ecdsa-p256-other.pem --security-counter $(APP_SECURITY_COUNTER)
SIGN_PACK_seccnt2 := --key $(IMAGE_SIGN_KEY) --security-counter 2
$(patsubst %,$(IMAGES)/demo-2.0.0-B-%.img,unsigned wrongkey seccnt2): $(IMAGES)/demo-2.0.0-B-%.img: \
		$(FW)/apps/demo-2.0.0-B.bin $$(FOTACTL) $(IMAGE_SIGN_KEY)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  PACK    $@")
	$(Q)$(FOTACTL) pack $(SIGN_PACK_$*) --slot B --version 2.0.0 --in $< --out $@ $(if $(Q),>/dev/null)

MKBADIMG_badsig := --flip sig
MKBADIMG_badseccnt := --flip sec_cnt
MKBADIMG_cuttlv := --cut-tlv 8
$(patsubst %,$(IMAGES)/demo-2.0.0-B-%.img,badsig badseccnt cuttlv): $(IMAGES)/demo-2.0.0-B-%.img: \
		$(IMAGES)/demo-2.0.0-B.img $(MKBADIMG)
	@$(if $(Q),echo "  BADIMG  $@")
	$(Q)$(MKBADIMG) --in $< --out $@ $(MKBADIMG_$*)

FIRMWARE += $(SIGN_BAD_IMGS)

# Flash dumps with a metadata log that has run long (host/mkflash.c, issue
# 16), for `flash: {file: ...}`: 1.0.0 confirmed in A, B empty, and the
# newest record at the last places of a sector so the commits of one
# update switch sectors at PENDING, TRIAL or CONFIRMED; the seq-wrap dump
# starts three commits below the sequence number's maximum.
MKFLASH := $(BUILD)/mkflash
FLASH_DUMPS_DIR := build/flash
MKFLASH_END_meta-wrap-pending := 1:255
MKFLASH_SEQ_meta-wrap-pending := 1000
MKFLASH_END_meta-wrap-trial := 0:254
MKFLASH_SEQ_meta-wrap-trial := 2000
MKFLASH_END_meta-wrap-confirm := 1:253
MKFLASH_SEQ_meta-wrap-confirm := 3000
MKFLASH_END_meta-seq-wrap := 0:100
MKFLASH_SEQ_meta-seq-wrap := 0xFFFFFFFD
FLASH_DUMPS := $(patsubst %,$(FLASH_DUMPS_DIR)/%.bin,meta-wrap-pending meta-wrap-trial meta-wrap-confirm meta-seq-wrap)
HOST_PROGS += $(MKFLASH)

$(MKFLASH): $(BUILD)/host/mkflash.o $$(FOTACORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $< $(FOTACORE_LIB)

$(FLASH_DUMPS): $(FLASH_DUMPS_DIR)/%.bin: $(MKFLASH) $(FW)/bootloader.bin $(IMAGES)/demo-1.0.0-A.img
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MKFLASH $@")
	$(Q)$(MKFLASH) --out $@ --bootloader $(FW)/bootloader.bin --slot-a $(IMAGES)/demo-1.0.0-A.img \
		--end $(MKFLASH_END_$*) --seq $(MKFLASH_SEQ_$*)

FIRMWARE += $(FLASH_DUMPS)

# The glitch sweep's flash (scenarios/sweep.glitch*.yaml): 1.0.0 confirmed
# in A, the bad-signature 2.0.0 in B PENDING (installed, its trial boot
# next): the boot that must refuse it is the one glitched.
GLITCH_DUMP := $(FLASH_DUMPS_DIR)/glitch-pending-badsig.bin
$(GLITCH_DUMP): $(MKFLASH) $(FW)/bootloader.bin $(IMAGES)/demo-1.0.0-A.img $(IMAGES)/demo-2.0.0-B-badsig.img
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MKFLASH $@")
	$(Q)$(MKFLASH) --out $@ --bootloader $(FW)/bootloader.bin --slot-a $(IMAGES)/demo-1.0.0-A.img \
		--slot-b-pending $(IMAGES)/demo-2.0.0-B-badsig.img --end 0:0 --seq 1

FIRMWARE += $(GLITCH_DUMP)
