// tai64nlocal's input (lib tailocal TaiLocal, the filter the tool runs; lib tai underneath):
// the input's first byte picks the read sizes, the rest is stdin. The output must not
// depend on how the input was cut into reads: it is compared with a single-read run.
#include "fuzz.h"

#include "keel/tailocal.h"

#include <algorithm>
#include <ctime>

namespace {

struct Out {
    char* p;
    std::size_t len, cap;
};

bool put(void* ctx, std::string_view s) noexcept
{
    auto& o = *static_cast<Out*>(ctx);
    if (o.len + s.size() > o.cap) std::abort();
    std::memcpy(o.p + o.len, s.data(), s.size());
    o.len += s.size();
    return true;
}

// Runs the filter over in, given in reads of step bytes (0: one read), the way tai64nlocal
// does: the unused rest is given again with the next read.
void run(std::string_view in, std::size_t step, Out& out)
{
    keel::TaiLocal f(true);
    std::size_t used = 0, have = 0;
    for (;;) {
        const std::size_t add = step ? std::min(step, in.size() - have) : in.size() - have;
        have += add;
        const bool eof = add == 0;
        bool failed;
        used += f.convert(in.substr(used, have - used), eof, put, &out, failed);
        if (failed || used > have) std::abort();
        if (eof) break;
    }
    if (used != in.size()) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const bool tz = (setenv("TZ", "UTC", 1), tzset(), true);
    (void)tz;
    std::string_view in = fz::bytes(data, size);
    const std::size_t step = fz::pick(in) % 40 + 1;
    // A converted label (25 bytes) becomes at most tai_time_text_max (40) bytes.
    const std::size_t cap = in.size() * 2 + 64;
    Out a{static_cast<char*>(std::malloc(cap)), 0, cap};
    Out b{static_cast<char*>(std::malloc(cap)), 0, cap};
    if (!a.p || !b.p) std::abort();
    run(in, 0, a);
    run(in, step, b);
    if (a.len != b.len || std::memcmp(a.p, b.p, a.len) != 0) std::abort();
    std::free(a.p);
    std::free(b.p);
    return 0;
}
