# crypto/: the mbedTLS static library the bootloader verifies image
# signatures with (docs/SECURITY.md "Building mbedTLS").
#
#   MBEDTLS_DIR   its directory in the machine-wide cache, keyed by the hash
#                 of crypto/ and of the ARM compiler's version
#   MBEDTLS_LIB   $(MBEDTLS_DIR)/libmbedcrypto.a (Cortex-M4), built by
#                 crypto/build.sh when missing (a few seconds), with a clear
#                 error (exit 2) when it cannot be
#   MBEDTLS_FW_CFLAGS  what a firmware object that includes mbedTLS needs
#   MBEDTLS_HOST_LIBS  Debian's libmbedcrypto (libmbedtls-dev) for host programs
#   IMAGE_SIGN_KEY     the PEM key images are signed with; the bootloader is
#                 built with its public half (keys/README.md: a TEST key)
MBEDTLS_DIR := $(shell crypto/build.sh path)
MBEDTLS_LIB := $(MBEDTLS_DIR)/libmbedcrypto.a
MBEDTLS_FW_CFLAGS := -I$(MBEDTLS_DIR)/include '-DMBEDTLS_CONFIG_FILE="fota_mbedtls_config.h"'
MBEDTLS_HOST_LIBS := -lmbedcrypto
IMAGE_SIGN_KEY ?= keys/test-ecdsa-p256.pem
# The C file with the key's public half (fota/image_sig.h image_sig_pubkey),
# compiled into the bootloader ($(FW)/build/gen/...) and the sim port.
IMAGE_PUBKEY_C := build/gen/image_pubkey.c

$(MBEDTLS_LIB):
	@$(if $(Q),echo "  MBEDTLS $(MBEDTLS_DIR)")
	$(Q)crypto/build.sh build $(MBEDTLS_DIR) >/dev/null

.PHONY: mbedtls
mbedtls: $(MBEDTLS_LIB)
