# make deb: a binary Debian package, build/deb/keel_VERSION-DEB_REVISION_ARCH.deb (dpkg-deb only,
# no debhelper). package/deb/README says what goes in it and why.
#
#   make deb                          programs installed as /usr/bin/keel-NAME
#   make deb DEB_PROGRAM_PREFIX=k6-   another prefix (an empty one clashes with util-linux)
#   make deb SOURCE_DATE_EPOCH=N      file dates and changelog date (default: the last commit's)
#
# The tools are compiled with the paths they run each other by (build/keel/config.h:
# PREFIX=/usr, PROGRAM_PREFIX), so the package is never made from this tree's bin/. It is made
# from a copy of the sources in build/deb/src with a build tree of its own: its build/flags
# records the package's compiler flags, the Makefile's usual rule rebuilds it all when they
# change, and this tree's own build is left alone (make check keeps testing unprefixed bin/).

DEB_PROGRAM_PREFIX ?= keel-
DEB_REVISION       ?= 1
DEB_MAINTAINER     ?= keel maintainers <maintainers@keel.invalid>
# Hardened like Debian's own builds (dpkg-buildflags), at the project's -Os.
DEB_CXXFLAGS ?= -Os -fstack-protector-strong -fstack-clash-protection -fcf-protection
DEB_CPPFLAGS ?= -D_FORTIFY_SOURCE=2
DEB_LDFLAGS  ?= -Wl,-z,relro -Wl,-z,now
# DEB_STATIC=1: a fully static package (no Depends at all).
DEB_STATIC   ?=
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 1767225600)

# The variables of the package's build, the same for make all and make install there.
DEB_MAKE_VARS = PREFIX=/usr BINDIR=/usr/bin MANDIR=/usr/share/man SKELDIR=/usr/share/keel/skel \
    PROGRAM_PREFIX='$(DEB_PROGRAM_PREFIX)' STATIC='$(DEB_STATIC)' SANITIZE= \
    CXXFLAGS='$(DEB_CXXFLAGS) -ffile-prefix-map=$(abspath $(DEB_SRC))=.' \
    CPPFLAGS='$(DEB_CPPFLAGS)' LDFLAGS='$(DEB_LDFLAGS)'

DEB_DIR  := build/deb
DEB_SRC  := $(DEB_DIR)/src
DEB_ROOT := $(DEB_DIR)/root
# What the package's build needs from this tree: sources, man pages, skeleton, lists.
DEB_COPY := Makefile mk lib/*.cc lib/keel tools doc skel package

.PHONY: deb deb-build
deb: deb-build
	$(Q)DEB_PROGRAM_PREFIX='$(DEB_PROGRAM_PREFIX)' DEB_REVISION='$(DEB_REVISION)' \
	    DEB_MAINTAINER='$(DEB_MAINTAINER)' SOURCE_DATE_EPOCH='$(SOURCE_DATE_EPOCH)' \
	    sh package/deb/build.sh '$(DEB_ROOT)' '$(DEB_DIR)'

# Copy the sources (tar keeps their dates, so the copy's build is incremental), then build and
# install there. Leftovers of the previous copy are removed first; its build/ is kept.
deb-build:
	@command -v dpkg-deb >/dev/null 2>&1 || { echo 'make deb: dpkg-deb is missing (apt-get install dpkg)' >&2; exit 1; }
	$(call say,COPY,$(DEB_SRC))
	$(Q)mkdir -p $(DEB_SRC)
	$(Q)cd $(DEB_SRC) && rm -rf Makefile mk lib/*.cc lib/keel tools doc skel package
	$(Q)tar -cf - $(DEB_COPY) | tar -C $(DEB_SRC) -xf -
	$(Q)+$(MAKE) -C $(DEB_SRC) --no-print-directory all $(DEB_MAKE_VARS)
	$(Q)rm -rf $(DEB_ROOT)
	$(Q)+$(MAKE) -C $(DEB_SRC) --no-print-directory -s install DESTDIR='$(abspath $(DEB_ROOT))' \
	    $(DEB_MAKE_VARS) >/dev/null
