# Each test directory has its own fragment (tests/<dir>/build.mk) that
# appends to UNIT_TESTS / QEMU_TESTS / BENCHES.
CMOCKA_LIBS := -lcmocka
# Tests include harness headers as "layer/file.h".
$(BUILD)/tests/%.o: HOST_CFLAGS += -Iharness
include $(wildcard tests/*/build.mk)
