// Option values and the option parser: lib opt (OptParser over an argv made of the input's
// NUL-separated words, with short and long options), scan_number (every integer type and
// base the tools use), rlimit scan_limit_value (softlimit), uidgid scan_gid_list, waitsig
// parse_timeout (-t of the waiting tools) and sig_number (svc, kill-all...).
#include "fuzz.h"

#include "keel/num.h"
#include "keel/opt.h"
#include "keel/rlimit.h"
#include "keel/sig.h"
#include "keel/uidgid.h"
#include "keel/waitsig.h"

#include <array>

namespace {

keel::GidList gids; // 256 KiB: static

void values(std::string_view v)
{
    std::uint64_t u64;
    std::uint32_t u32;
    std::uint16_t u16;
    std::int64_t i64;
    int i;
    (void)keel::scan_number(v, u64);
    (void)keel::scan_number(v, u32);
    (void)keel::scan_number(v, u16);
    (void)keel::scan_number(v, i64);
    (void)keel::scan_number(v, i);
    (void)keel::scan_number(v, u32, 8);
    (void)keel::scan_number(v, u64, 16);
    keel::LimitValue lv;
    if (keel::scan_limit_value(v, lv) && lv.highest && v != "=") std::abort();
    if (keel::scan_gid_list(v, gids) && gids.size > keel::max_groups) std::abort();
    const int s = keel::sig_number(v);
    if (s < 0 || s > 64) std::abort();
    if (s) (void)keel::sig_text(s);
    const fz::CStr c(v);
    std::int64_t deadline;
    (void)keel::parse_timeout(c.p, deadline);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view in = fz::bytes(data, size);
    values(in);
    // The same bytes as an argv: words split at NUL, at most 32.
    constexpr std::size_t max_args = 32;
    std::array<char*, max_args + 2> argv{};
    std::array<fz::CStr*, max_args + 1> own{};
    std::size_t argc = 0;
    own[argc] = new fz::CStr("prog");
    argv[argc] = own[argc]->p;
    ++argc;
    std::string_view rest = in;
    while (!rest.empty() && argc <= max_args) {
        own[argc] = new fz::CStr(fz::take(rest, '\0'));
        argv[argc] = own[argc]->p;
        ++argc;
    }
    static constexpr keel::LongOpt longs[] = {{"ctty", 'c', true}, {"verbose", 'v', false},
                                              {"timeout", 't', true}};
    keel::OptParser opts(static_cast<int>(argc), argv.data(), "ab:c:t:vnq", longs);
    // next() must make progress: at most one option per byte of the arguments (a cluster
    // such as "-abab..." yields one per letter), plus one per argument.
    const std::size_t most = size + argc + 1;
    std::size_t calls = 0;
    while (int c = opts.next()) {
        if (++calls > most) std::abort();
        if (c == 'b' || c == 'c' || c == 't') {
            if (!opts.arg()) std::abort();
            values(opts.arg());
        }
    }
    if (opts.index() < 1 || static_cast<std::size_t>(opts.index()) > argc) std::abort();
    for (std::size_t k = 0; k < argc; ++k) delete own[k];
    return 0;
}
