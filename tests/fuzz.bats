#!/usr/bin/env bats
# fuzz/: the libFuzzer targets build with clang, and each one replays its seed corpus and
# every regression input (fuzz/regress/NAME: inputs that once crashed) once, without a crash,
# leak or UB report. The timed runs (make fuzz-smoke, fuzz-run) are not part of make check.

load helper

FUZZ_CXX=${FUZZ_CXX:-clang++}

# Skips unless FUZZ_CXX links a libFuzzer program with ASan and UBSan.
need_libfuzzer() {
    command -v "$FUZZ_CXX" >/dev/null 2>&1 || skip "$FUZZ_CXX not installed"
    printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
        'extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }' > "$T/f.cc"
    "$FUZZ_CXX" -fsanitize=fuzzer,address,undefined -o "$T/f" "$T/f.cc" >/dev/null 2>&1 ||
        skip "$FUZZ_CXX cannot link with -fsanitize=fuzzer (libFuzzer missing)"
}

targets() { for f in "$KEEL_ROOT"/fuzz/*.cc; do basename "$f" .cc; done; }

# Builds build/fuzz/* once per suite run (make knows what is up to date), on every CPU.
build_fuzz() {
    run make -C "$KEEL_ROOT" -s -j"$(nproc)" fuzz FUZZ_CXX="$FUZZ_CXX"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "fuzz: every target has a seed corpus and a line in fuzz/README" {
    for t in $(targets); do
        [ -n "$(ls -A "$KEEL_ROOT/fuzz/corpus/$t" 2>/dev/null)" ] || { echo "no seeds for $t"; false; }
        grep -q "^$t " "$KEEL_ROOT/fuzz/README" || { echo "fuzz/README does not list $t"; false; }
    done
    # and no corpus or regress directory without its target
    for d in "$KEEL_ROOT"/fuzz/corpus/* "$KEEL_ROOT"/fuzz/regress/*; do
        [ -e "$d" ] || continue
        [ -f "$KEEL_ROOT/fuzz/$(basename "$d").cc" ] || { echo "$d has no target"; false; }
    done
}

@test "fuzz: every target replays its corpus and regress inputs without a crash" {
    need_libfuzzer
    build_fuzz
    sum_before=$(cd "$KEEL_ROOT" && find fuzz/corpus fuzz/regress -type f | sort | xargs cat | cksum)
    # shellcheck disable=SC2046
    run sh "$KEEL_ROOT/fuzz/run.sh" replay $(targets)
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(grep -c 'inputs replayed$' <<<"$output")" -eq "$(targets | wc -l)" ]
    # Replaying writes nothing into the committed inputs.
    [ "$(cd "$KEEL_ROOT" && find fuzz/corpus fuzz/regress -type f | sort | xargs cat | cksum)" = "$sum_before" ]
}

@test "fuzz: a crashing input makes the replay fail" {
    need_libfuzzer
    build_fuzz
    # run.sh must report a target that crashes: a stand-in whose seed makes it abort.
    mkdir -p "$T/root/fuzz/corpus/boom" "$T/root/build/fuzz"
    cp "$KEEL_ROOT/fuzz/run.sh" "$T/root/fuzz/"
    echo x > "$T/root/fuzz/corpus/boom/seed"
    printf '%s\n' '#include <cstddef>' '#include <cstdint>' '#include <cstdlib>' \
        'extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {' \
        '  if (n && d[0] == 0x78) abort(); return 0; }' > "$T/boom.cc"
    "$FUZZ_CXX" -fsanitize=fuzzer,address,undefined -o "$T/root/build/fuzz/boom" "$T/boom.cc"
    run sh "$T/root/fuzz/run.sh" replay boom
    [ "$status" -ne 0 ]
    grep -q 'boom.*FAILED' <<<"$output"
}
