// envdir's file contents (lib env env_file_value(), the rules envdir applies to each file):
// a byte picks the options (-f, -n, the -c byte), the rest is the file. The value must be
// NUL-terminated, hold no NUL, and (without -f) no newline.
#include "fuzz.h"

#include "keel/env.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view in = fz::bytes(data, size);
    const unsigned char how = fz::pick(in);
    keel::EnvFileRules r;
    r.whole_file = how & 1;
    r.no_chomp = how & 2;
    r.nul_is = how >> 2 ? static_cast<char>(how >> 2) : '\n'; // -c takes a non-empty byte
    char* s = static_cast<char*>(std::malloc(in.size() + 1));
    if (!s) std::abort();
    if (!in.empty()) std::memcpy(s, in.data(), in.size());
    const std::size_t n = keel::env_file_value(s, in.size(), r);
    if (n > in.size() || s[n] != 0 || std::memchr(s, 0, n)) std::abort();
    if (!r.whole_file && r.nul_is != '\n' && std::memchr(s, '\n', n)) std::abort();
    if (!r.no_chomp && !r.whole_file && n && (s[n - 1] == ' ' || s[n - 1] == '\t')
        && std::memchr(in.data(), 0, in.size()) == nullptr)
        std::abort();
    std::free(s);
    return 0;
}
