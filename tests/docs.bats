#!/usr/bin/env bats
# The suite's own promises: every program has a man page whose SYNOPSIS is its usage string,
# every page is lint-clean, and package/modes lists exactly the programs in tools/.

load helper

tools() { for f in "$KEEL_ROOT"/tools/*.cc; do basename "$f" .cc; done; }

# The SYNOPSIS section of a page as plain text on one line, spaces squeezed.
synopsis_of() {
    mandoc -Tascii "$1" | col -b |
        awk '/^SYNOPSIS/ { on = 1; next } /^[A-Z]/ { on = 0 } on' |
        tr -s ' \n' '  ' | sed 's/^ *//; s/ *$//'
}

@test "every program has a man page and a test file" {
    for t in $(tools); do
        [ -f "$KEEL_ROOT/doc/$t.8" ] || [ -f "$KEEL_ROOT/doc/$t.1" ] || { echo "no man page for $t"; false; }
        [ -f "$KEEL_ROOT/tests/$t.bats" ] || { echo "no tests/$t.bats"; false; }
    done
}

@test "package/modes lists exactly the programs of tools/" {
    diff <(tools | sort) <(grep -v '^#' "$KEEL_ROOT/package/modes" | awk 'NF { print $1 }' | sort)
}

@test "every man page passes mandoc -Tlint -Wwarning" {
    need_cmd mandoc
    run mandoc -Tlint -Wwarning "$KEEL_ROOT"/doc/*.[1-8]
    [ "$status" -eq 0 ]
    [ -z "$output" ]
}

@test "every man page SYNOPSIS is the program's usage string" {
    need_cmd mandoc
    for t in $(tools); do
        page=$(ls "$KEEL_ROOT"/doc/"$t".[1-8])
        u=$(usage_of "$t")
        [ -n "$u" ] || { echo "no usage string in tools/$t.cc"; false; }
        s=$(synopsis_of "$page")
        [ "$s" = "$u" ] || { echo "$t: SYNOPSIS '$s' != usage '$u'"; false; }
    done
}

@test "keel(7) names every program" {
    for t in $(tools); do
        grep -q "^\.BR $t " "$KEEL_ROOT/doc/keel.7" || { echo "keel.7 does not list $t"; false; }
    done
}
