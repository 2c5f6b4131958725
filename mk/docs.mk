# The static HTML site, rendered by mandoc from the same pages man reads (doc/*.[1-8]):
#
#   make html                   build/html/NAME.SECTION.html for every page, index.html,
#                               keel.css and the pictures of doc/*.png
#   make html HTML_DIR=DIR      the same into DIR
#
# man(7) pages have no link macro mandoc 1.14 renders, so each page's cross references
# (NAME(SECTION) in bold, as .BR NAME (SECTION) writes them) become links here, by sed, to the
# pages that exist; references to other manuals (reboot(2), sh(1)) stay plain text. A link
# written .UR file.png in a page shows the picture, with the link's text as its caption.
# Needs only sh, mandoc, sed and awk.

HTML_DIR   ?= build/html
HTML_SRCS  := $(sort $(wildcard doc/*.[1-8]))
HTML_PAGES := $(HTML_SRCS:doc/%=$(HTML_DIR)/%.html)
HTML_PICS  := $(patsubst doc/%,$(HTML_DIR)/%,$(wildcard doc/*.png))

.PHONY: html
html: $(HTML_PAGES) $(HTML_DIR)/index.html $(HTML_DIR)/keel.css $(HTML_PICS)

# One sed command per page, turning <b>NAME</b>(SECTION) into a link to NAME.SECTION.html.
# Rewritten only when the list of pages changes (then every page is linked again).
$(HTML_DIR)/.xref.sed: FORCE
	@command -v mandoc >/dev/null 2>&1 || { echo "make html: mandoc is not installed" >&2; exit 1; }
	@mkdir -p $(@D)
	@for f in $(HTML_SRCS); do \
	   p=$${f#doc/}; n=$${p%.*}; s=$${p##*.}; \
	   printf 's|<b>%s</b>(%s)|<a class="Xr" href="%s.%s.html">&</a>|g\n' \
	       "$$(printf %s "$$n" | sed 's/[.[*^$$]/\\&/g')" "$$s" "$$n" "$$s"; \
	 done > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(HTML_DIR)/%.html: doc/% $(HTML_DIR)/.xref.sed mk/docs.mk
	$(call say,HTML,$@)
	$(Q)mandoc -Thtml -Ostyle=keel.css,man=%N.%S.html $< > $@.mandoc
	$(Q)sed -f $(HTML_DIR)/.xref.sed \
	    -e 's|<a class="Lk" href="\([^":/]*\.png\)">|&<img class="figure" src="\1" alt="\1"/>|g' \
	    $@.mandoc > $@.tmp
	$(Q)rm -f $@.mandoc && mv $@.tmp $@

$(HTML_DIR)/index.html: $(HTML_SRCS) mk/html-index.sh
	$(call say,HTML,$@)
	@mkdir -p $(@D)
	$(Q)sh mk/html-index.sh $(HTML_SRCS) > $@.tmp && mv $@.tmp $@

$(HTML_DIR)/keel.css: doc/keel.css
	@mkdir -p $(@D)
	$(Q)cp $< $@

$(HTML_DIR)/%.png: doc/%.png
	@mkdir -p $(@D)
	$(Q)cp $< $@
