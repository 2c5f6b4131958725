// The execline lexer (lib execlex): rc-compile's oneshot scripts and rc-update's conversion
// file lines. Each word it counts ends in a NUL (a \0 escape may put more NULs inside one).
#include "fuzz.h"

#include "keel/execlex.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    keel::GrowBuf out;
    if (!out.init(16)) std::abort();
    std::size_t words = 0;
    if (keel::exec_lex(fz::bytes(data, size), out, words) == keel::LexResult::ok) {
        std::size_t nuls = 0;
        for (const char c : out.data()) nuls += c == 0;
        if (nuls < words || (words == 0 && !out.data().empty())) std::abort();
    }
    return 0;
}
