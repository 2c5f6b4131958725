#!/usr/bin/env bats
# make html (mk/docs.mk): the static site mandoc renders from doc/*.[1-8]. Every man page gets
# its HTML file, index.html links every page, guides first, every relative link of every
# generated file leads to a file (and an anchor) that exists, and the pages link the pages
# they name. Built into the test's own directory: the tree's build/ is not touched.

load helper

# The site is built once for the file, into a directory of its own; each test reads it.
setup_file() {
    command -v mandoc >/dev/null 2>&1 || skip "mandoc is not installed: make html renders the pages with it"
    HTML_SITE=$(mktemp -d /tmp/keel-html.XXXXXX)
    export HTML_SITE
    make -s -C "$KEEL_ROOT" html HTML_DIR="$HTML_SITE/html" > "$HTML_SITE/make.log" 2>&1
    echo $? > "$HTML_SITE/make.status"
}

teardown_file() { [ -z "${HTML_SITE:-}" ] || rm -rf "$HTML_SITE"; }

setup() {
    keel_setup
    H=$HTML_SITE/html
}

teardown() { keel_teardown; }

# The man pages of doc/, as file names (svc.8).
pages() { for f in "$KEEL_ROOT"/doc/*.[1-8]; do basename "$f"; done; }

# make html succeeded (in setup_file).
build_site() {
    [ "$(cat "$HTML_SITE/make.status")" = 0 ] || { cat "$HTML_SITE/make.log" >&2; return 1; }
}

# links FILE: every href and src value of an HTML file, one per line.
links() { grep -o '\(href\|src\)="[^"]*"' "$1" | sed 's/^[a-z]*="//; s/"$//'; }

@test "html: make html writes one HTML file per man page, the style sheet and the index" {
    build_site
    local p n=0
    for p in $(pages); do
        [ -s "$H/$p.html" ] || { echo "no $p.html"; false; }
        grep -q '<div class="manual-text">' "$H/$p.html" || { echo "$p.html: not a rendered page"; false; }
        n=$((n + 1))
    done
    [ "$n" -gt 50 ]
    cmp "$KEEL_ROOT/doc/keel.css" "$H/keel.css"
    for p in "$KEEL_ROOT"/doc/*.png; do
        [ -e "$p" ] || continue
        cmp "$p" "$H/${p##*/}"
    done
    # Nothing else: one file per page, the index, the style sheet, the pictures.
    [ "$(ls "$H" | grep -vc '\.png$')" -eq $((n + 2)) ]
}

@test "html: index.html links every man page with its NAME line, guides before programs" {
    build_site
    local p desc
    for p in $(pages); do
        grep -qF "href=\"$p.html\"" "$H/index.html" || { echo "index.html does not link $p"; false; }
    done
    # The description of a page's NAME line is there, after its link.
    desc=$(awk '/^\.SH NAME/ { getline; sub(/^.* \\- /, ""); gsub(/\\-/, "-"); print; exit }' "$KEEL_ROOT/doc/svc.8")
    [ -n "$desc" ]
    grep -A1 -F 'href="svc.8.html"' "$H/index.html" | grep -qF "<dd>$desc</dd>"
    # Section 7 (the guides, keel(7) first) comes before section 8.
    local l7 l8 lkeel lboot
    l7=$(grep -n 'id="section-7"' "$H/index.html" | cut -d: -f1)
    l8=$(grep -n 'id="section-8"' "$H/index.html" | cut -d: -f1)
    lkeel=$(grep -n 'href="keel.7.html"' "$H/index.html" | cut -d: -f1)
    lboot=$(grep -n 'href="keel-boot.7.html"' "$H/index.html" | cut -d: -f1)
    [ -n "$l7" ] && [ -n "$l8" ] && [ "$l7" -lt "$lkeel" ] && [ "$lkeel" -lt "$lboot" ] && [ "$lboot" -lt "$l8" ]
    [ "$(grep -n 'href="svc.8.html"' "$H/index.html" | cut -d: -f1)" -gt "$l8" ]
}

@test "html: the guides are rendered and indexed" {
    build_site
    local g
    for g in keel keel-boot keel-containers keel-migrate keel-performance keel-security; do
        [ -f "$KEEL_ROOT/doc/$g.7" ] || { echo "no doc/$g.7"; false; }
        [ -s "$H/$g.7.html" ]
        grep -qF "href=\"$g.7.html\"" "$H/index.html"
    done
    grep -q 'id="A_COMPLETE_EXAMPLE"' "$H/keel-boot.7.html"
    # The performance page shows its plot, a PNG committed in doc/ and copied beside it.
    grep -qF '<img class="figure" src="keel-performance.png"' "$H/keel-performance.7.html"
    cmp "$KEEL_ROOT/doc/keel-performance.png" "$H/keel-performance.png"
}

@test "html: every relative link of every generated file resolves, anchors included" {
    build_site
    # One awk pass: the ids of every file, then every href and src checked against the files
    # and their ids. Links with a scheme (http:, https:, mailto:) go elsewhere.
    run awk '
        function base(p) { sub(/.*\//, "", p); return p }
        FNR == 1 { file = base(FILENAME); have[file] = 1 }
        {
            line = $0
            while (match(line, /id="[^"]*"/)) {
                ids[file, substr(line, RSTART + 4, RLENGTH - 5)] = 1
                line = substr(line, RSTART + RLENGTH)
            }
            line = $0
            while (match(line, /(href|src)="[^"]*"/)) {
                l = substr(line, RSTART, RLENGTH); sub(/^[a-z]*="/, "", l); sub(/"$/, "", l)
                line = substr(line, RSTART + RLENGTH)
                if (l ~ /:/) continue
                n++; from[n] = file; link[n] = l
            }
        }
        END {
            for (i = 1; i <= n; i++) {
                l = link[i]; target = l; frag = ""
                if (index(l, "#")) { target = substr(l, 1, index(l, "#") - 1); frag = substr(l, index(l, "#") + 1) }
                if (target == "") target = from[i]
                if (target ~ /\.html$/ && !(target in have)) { print from[i] ": " l ": no file " target; bad = 1 }
                else if (frag != "" && !((target, frag) in ids)) { print from[i] ": " l ": no anchor " frag; bad = 1 }
                else if (target !~ /\.html$/) print "FILE " target
            }
            print "LINKS " n
            exit bad
        }' "$H"/*.html
    echo "$output" | grep -v '^FILE \|^LINKS ' || :
    [ "$status" -eq 0 ]
    # The other files linked (keel.css, pictures) exist.
    local f
    for f in $(echo "$output" | sed -n 's/^FILE //p' | sort -u); do
        [ -f "$H/$f" ] || { echo "no file $f"; false; }
    done
    # Every page links its sections and the style sheet: well over a thousand links.
    [ "$(echo "$output" | sed -n 's/^LINKS //p')" -gt 1000 ]
}

@test "html: pages link the pages they name, not other manuals" {
    build_site
    grep -qF '<a class="Xr" href="supervise.8.html"><b>supervise</b>(8)</a>' "$H/svc.8.html"
    grep -qF 'href="init-maker.8.html"' "$H/keel-boot.7.html"
    grep -qF 'href="keel-security.7.html"' "$H/keel.7.html"
    # keel(7) links the page of every program it lists.
    local t
    for t in $(grep '^\.BR [a-z0-9-]* (8)' "$KEEL_ROOT/doc/keel.7" | awk '{ print $2 }'); do
        grep -qF "href=\"$t.8.html\"" "$H/keel.7.html" || { echo "keel.7.html does not link $t"; false; }
    done
    # A reference to another manual stays text: there is no reboot.2.html to go to.
    grep -qF '<b>reboot</b>(2)' "$H/halt-final.8.html"
    ! grep -q 'href="reboot.2.html"' "$H/halt-final.8.html"
    # No page of doc/ is named in bold without its link.
    run grep -oP '(?<!">)<b>[a-z0-9-]+</b>\([1-8]\)' "$H"/*.html
    local ref name
    for ref in $output; do
        name=${ref#*<b>}; name=${name%%</b>*}
        [ ! -f "$KEEL_ROOT/doc/$name.${ref: -2:1}" ] || { echo "unlinked: $ref"; false; }
    done
}

@test "html: a second make html rewrites nothing" {
    build_site
    local before
    before=$(stat -c %y "$H/svc.8.html" "$H/index.html" "$H/keel.css")
    run make -s -C "$KEEL_ROOT" html HTML_DIR="$H"
    [ "$status" -eq 0 ]
    [ "$(stat -c %y "$H/svc.8.html" "$H/index.html" "$H/keel.css")" = "$before" ]
}
