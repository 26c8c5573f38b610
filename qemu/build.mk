# qemu/: fota-hil's qemu-system-arm with the fota-f407 machine (docs/QEMU.md).
#
#   make qemu        build it into the machine-wide cache (or find it there)
#                    and print its path; first build ~40 min on 2 loaded cores
#   make qemu-test   the qtests of the device models (RM0090 sections 3, 7, 8, 10, 21, 28)
#
# QEMU_F407 is the binary's path, keyed by the hash of qemu/, for the
# harness and the tests to use; `make qemu` also links it as
# build/qemu/qemu-system-arm, where `fota-hil run --target f407` looks.
QEMU_F407 := $(shell qemu/build.sh path)
QEMU_F407_LINK := build/qemu/qemu-system-arm
QEMU_F407_QTESTS := $(dir $(QEMU_F407))qtest
QEMU_QTEST_NAMES := $(shell . qemu/source.conf && echo $$QEMU_QTESTS)

.PHONY: qemu qemu-test
qemu:
	$(Q)qemu/build.sh build >/dev/null
	$(Q)mkdir -p $(dir $(QEMU_F407_LINK)) && ln -sfn $(QEMU_F407) $(QEMU_F407_LINK)
	$(Q)echo "qemu: $(QEMU_F407_LINK) -> $(QEMU_F407)"

qemu-test: qemu
	$(Q)set -e; start=$$(date +%s); for t in $(QEMU_QTEST_NAMES); do \
	  echo "== qtest $$t"; \
	  QTEST_QEMU_BINARY=$(QEMU_F407) $(QEMU_F407_QTESTS)/$$t --tap -k; \
	done; echo "qemu-test: $$(( $$(date +%s) - start )) s"
