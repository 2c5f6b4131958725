# --- Cross builds and reproducibility --------------------------------------------------------
#   make CROSS=aarch64-linux-gnu-   this tree for another architecture (the Makefile's CROSS)
#   make check-cross CROSS_ARCH=aarch64
#                             a STATIC=1 cross build in build/cross/ARCH, and the chainloader and
#                             supervision tests run against it under qemu-user (tests/cross/run.sh)
#   make repro-check          the tree built twice, from copies at two different paths, with one
#                             SOURCE_DATE_EPOCH: every bin/* must be byte-identical
#                             (tests/cross/repro.sh; the make variables of this run apply to both)
CROSS_ARCH ?= aarch64

# make check runs what it builds on this host.
ifneq ($(CROSS),)
ifneq ($(filter check,$(MAKECMDGOALS)),)
$(error make check runs the programs it builds here: for CROSS=$(CROSS), use make check-cross)
endif
endif

.PHONY: check-cross repro-check

check-cross:
	MAKE='$(MAKE)' sh tests/cross/run.sh $(CROSS_ARCH)

repro-check:
	MAKE='$(MAKE)' sh tests/cross/repro.sh
