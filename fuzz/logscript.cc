// svlog's logging script (lib logscript parse): directives are the input's lines (at most 64),
// parsed as svlog's arguments; a valid script then selects a few sample lines.
#include "fuzz.h"

#include "keel/logscript.h"

#include <array>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view in = fz::bytes(data, size);
    if (fz::costly_regex(in)) return 0;
    constexpr std::size_t max_args = 64;
    std::array<fz::CStr*, max_args> own{};
    std::array<char*, max_args> args{};
    std::size_t n = 0;
    while (!in.empty() && n < max_args) {
        own[n] = new fz::CStr(fz::take(in, '\n'));
        args[n] = own[n]->p;
        ++n;
    }
    {
        keel::LogScript script;
        const keel::LogScriptStatus st = script.parse(std::span<char* const>(args.data(), n));
        if (st.error == keel::LogScriptError::none) {
            const std::size_t na = script.actions().size();
            if (na == 0) std::abort();
            std::array<std::uint32_t, max_args> chosen{};
            for (const char* line : {"", "hello world", "error: x", "@4000 t"}) {
                const std::size_t k = script.select(line, std::span(chosen.data(), na));
                if (k > na) std::abort();
                for (std::size_t i = 0; i < k; ++i)
                    if (chosen[i] >= na) std::abort();
            }
            for (const keel::LogAction& a : script.actions())
                if (a.kind == keel::LogActKind::logdir && a.logdir >= script.logdirs().size())
                    std::abort();
        } else if (st.error != keel::LogScriptError::no_action && !st.arg) {
            std::abort(); // every other error names its directive
        }
    }
    for (std::size_t i = 0; i < n; ++i) delete own[i];
    return 0;
}
