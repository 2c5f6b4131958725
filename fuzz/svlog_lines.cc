// svlog's input handling: the lines cut from the input stream (lib logscript
// log_next_line(), as svlog's run_lines() does, with its line limit), each selected by a
// script and composed for its actions (log_compose(), log_status_fit()). Input: a byte for
// the line limit, the script's directives one per line, a NUL, then the stream, fed in
// chunks of varying size as reads would deliver it.
#include "fuzz.h"

#include "keel/logscript.h"

#include <algorithm>
#include <array>

namespace {

void run_line(keel::LogScript& script, keel::LineStamps& stamps, char* s, std::size_t len)
{
    const std::span<const keel::LogAction> acts = script.actions();
    std::array<std::uint32_t, 16> chosen;
    std::size_t n = acts.size();
    if (script.selects()) {
        const char saved = s[len];
        s[len] = 0;
        n = script.select(s, std::span(chosen.data(), n));
        s[len] = saved;
    } else {
        for (std::size_t i = 0; i < n; ++i) chosen[i] = static_cast<std::uint32_t>(i);
    }
    for (std::size_t i = 0; i < n; ++i) {
        const keel::LogAction& a = acts[chosen[i]];
        const std::size_t need = keel::log_line_size(a, stamps, len);
        const std::size_t room = need > a.limit ? need : a.limit;
        char* out = static_cast<char*>(std::malloc(room));
        if (!out) std::abort();
        const auto k = static_cast<std::size_t>(
            keel::log_compose(out, a, stamps, std::string_view(s, len)) - out);
        if (k != need) std::abort();
        if (a.kind == keel::LogActKind::status)
            (void)keel::log_status_fit(out, k, a.limit && k > a.limit ? k : a.limit);
        std::free(out);
    }
}

// A status file padded to ^N bytes costs svlog N bytes of memory per status write: the
// operator asked for it, and svlog allocates it (or warns when it cannot). The harness, which
// does the same, leaves sizes above 1 MiB alone, as libFuzzer's memory limit would stop it.
bool huge_status(const keel::LogScript& script)
{
    for (const keel::LogAction& a : script.actions())
        if (a.limit > (1u << 20)) return true;
    return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view in = fz::bytes(data, size);
    const std::size_t lim = fz::pick(in) % 64; // 0: no limit
    std::string_view directives = fz::take(in, '\0');
    if (fz::costly_regex(directives)) return 0;
    std::array<fz::CStr*, 16> own{};
    std::array<char*, 16> args{};
    std::size_t na = 0;
    while (!directives.empty() && na < args.size()) {
        own[na] = new fz::CStr(fz::take(directives, '\n'));
        args[na] = own[na]->p;
        ++na;
    }
    {
        keel::LogScript script;
        if (script.parse(std::span<char* const>(args.data(), na)).error
                == keel::LogScriptError::none
            && script.actions().size() <= 16 && !huge_status(script)) {
            keel::LineStamps stamps;
            stamps.take();
            // The input buffer as svlog keeps it: [start, end) not run yet, room for one more.
            char* buf = static_cast<char*>(std::malloc(in.size() + 1));
            if (!buf) std::abort();
            std::size_t start = 0, end = 0, clean = 0, chunk = 1;
            while (end < in.size() || start < end) {
                const std::size_t add = std::min(chunk, in.size() - end);
                std::memcpy(buf + end, in.data() + end, add);
                end += add;
                chunk = chunk * 3 + 1;
                keel::LogLineCut cut;
                while (start < end && keel::log_next_line(buf + start, end - start, lim, clean, cut)) {
                    if (cut.used == 0 || cut.used > end - start || cut.len > cut.used) std::abort();
                    if (lim && cut.len > lim) std::abort();
                    run_line(script, stamps, buf + start, cut.len);
                    start += cut.used;
                    clean = 0;
                }
                if (clean > end - start) std::abort();
                if (add == 0) break; // the rest is an unterminated last line
            }
            std::free(buf);
        }
    }
    for (std::size_t i = 0; i < na; ++i) delete own[i];
    return 0;
}
