# tests/f407/build.mk: the tests of `fota-hil run --target f407` (issue 10).
# The broken flash driver is built by a second make into
# build/fw-broken-flash/ with -DFOTA_TEST_BROKEN_FLASH_PSIZE (never into
# build/fw/), as tests/sweep builds the broken-commit bootloader.

BROKEN_FLASH_FW := build/fw-broken-flash
F407_BROKEN_DRIVER_TEST := $(BUILD)/tests/f407/broken-driver

.PHONY: fw-broken-flash
fw-broken-flash:
	$(Q)$(MAKE) --no-print-directory FW=$(BROKEN_FLASH_FW) \
		BL_CFLAGS_EXTRA=-DFOTA_TEST_BROKEN_FLASH_PSIZE $(BROKEN_FLASH_FW)/bootloader.elf $(BROKEN_FLASH_FW)/bootloader.bin

# A wrapper so QEMU_TESTS stays a list of executables; needs `make qemu`.
$(F407_BROKEN_DRIVER_TEST): tests/f407/broken_driver.sh fw-broken-flash qemu $(FOTA_HIL)
	@mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nexec tests/f407/broken_driver.sh %s\n' '$(FOTA_HIL)' > $@ && chmod +x $@

QEMU_TESTS += $(F407_BROKEN_DRIVER_TEST)

# The broken SPI driver (FOTA_TEST_BROKEN_SPI_RING: RX ring without CIRC),
# likewise into build/fw-broken-spi/.
BROKEN_SPI_FW := build/fw-broken-spi
F407_BROKEN_SPI_TEST := $(BUILD)/tests/f407/broken-spi-driver

.PHONY: fw-broken-spi
fw-broken-spi:
	$(Q)$(MAKE) --no-print-directory FW=$(BROKEN_SPI_FW) \
		BL_CFLAGS_EXTRA=-DFOTA_TEST_BROKEN_SPI_RING $(BROKEN_SPI_FW)/bootloader.elf $(BROKEN_SPI_FW)/bootloader.bin

$(F407_BROKEN_SPI_TEST): tests/f407/broken_spi_driver.sh fw-broken-spi qemu $(FOTA_HIL)
	@mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nexec tests/f407/broken_spi_driver.sh %s\n' '$(FOTA_HIL)' > $@ && chmod +x $@

QEMU_TESTS += $(F407_BROKEN_SPI_TEST)

# port_spi_tx's wait bounded by the SysTick again (FOTA_TEST_BROKEN_SPI_TX_TICK,
# the bug issue 10 fixed), likewise into build/fw-broken-spi-tx/.
BROKEN_SPI_TX_FW := build/fw-broken-spi-tx
F407_BROKEN_SPI_TX_TEST := $(BUILD)/tests/f407/broken-spi-tx

.PHONY: fw-broken-spi-tx
fw-broken-spi-tx:
	$(Q)$(MAKE) --no-print-directory FW=$(BROKEN_SPI_TX_FW) \
		BL_CFLAGS_EXTRA=-DFOTA_TEST_BROKEN_SPI_TX_TICK $(BROKEN_SPI_TX_FW)/bootloader.elf $(BROKEN_SPI_TX_FW)/bootloader.bin

$(F407_BROKEN_SPI_TX_TEST): tests/f407/broken_spi_tx.sh fw-broken-spi-tx qemu $(FOTA_HIL)
	@mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nexec tests/f407/broken_spi_tx.sh %s\n' '$(FOTA_HIL)' > $@ && chmod +x $@

QEMU_TESTS += $(F407_BROKEN_SPI_TX_TEST)

# The FLASH model's CPU stall (docs/QEMU.md): the BSY loop polls once or
# twice per operation with it, the update is the same without it.
F407_FETCH_STALL_TEST := $(BUILD)/tests/f407/fetch-stall
$(F407_FETCH_STALL_TEST): tests/f407/fetch_stall.sh qemu $(FOTA_HIL)
	@mkdir -p $(dir $@)
	$(Q)printf '#!/bin/sh\nexec tests/f407/fetch_stall.sh %s\n' '$(FOTA_HIL)' > $@ && chmod +x $@

QEMU_TESTS += $(F407_FETCH_STALL_TEST)
