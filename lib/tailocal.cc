// tai64nlocal's filter (keel/tailocal.h).
#include "keel/tailocal.h"

#include "keel/str.h"
#include "keel/tai.h"

#include <array>
#include <cstring>

namespace keel {
namespace {

// A line is converted only if it is longer than its label (its newline counts, as in s6).
constexpr std::size_t min_line = tai64n_text_len + 1;

} // namespace

std::size_t TaiLocal::convert(std::string_view d, bool eof, PutFn put, void* ctx,
                              bool& failed) noexcept
{
    const std::size_t total = d.size();
    failed = false;
    while (!d.empty()) {
        if (at_line_start_) {
            // Decide on the label once the line is known to be long enough, or not.
            if (head(d, tai64n_text_len).find('\n') == d.npos) {
                if (d.size() < min_line && !eof) break;
                if (d.size() >= min_line) {
                    Tai64n t;
                    std::array<char, tai_time_text_max> text;
                    if (tai_scan(head(d, tai64n_text_len), t)) {
                        const std::string_view s = tai_fmt_time(t, utc_, text);
                        if (!s.empty()) {
                            if (!put(ctx, s)) {
                                failed = true;
                                return total - d.size();
                            }
                            d.remove_prefix(tai64n_text_len);
                        }
                    }
                }
            }
            at_line_start_ = false;
        }
        const void* nl = std::memchr(d.data(), '\n', d.size());
        const std::size_t n = nl ? static_cast<const char*>(nl) - d.data() + 1 : d.size();
        if (!put(ctx, head(d, n))) {
            failed = true;
            return total - d.size();
        }
        at_line_start_ = nl != nullptr;
        d.remove_prefix(n);
    }
    return total - d.size();
}

} // namespace keel
