# Each test directory has its own fragment (tests/<dir>/build.mk) that
# appends to UNIT_TESTS / QEMU_TESTS / BENCHES.
CMOCKA_LIBS := -lcmocka
include $(wildcard tests/*/build.mk)
