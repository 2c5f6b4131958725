// rc-update's conversion file (keel/rcconv.h).
#include "keel/rcconv.h"

#include "keel/execlex.h"
#include "keel/str.h"

#include <cerrno>

namespace keel::rc {

ConvResult conv_line(std::string_view text, GrowBuf& words, ConvLine& out) noexcept
{
    out = ConvLine{};
    const std::size_t base = words.size();
    std::size_t n = 0;
    if (exec_lex(text, words, n) != LexResult::ok)
        return errno == ENOMEM ? ConvResult::nomem : ConvResult::syntax;
    if (n == 0) return ConvResult::empty;
    // The words of this line, NUL-separated, from base.
    std::string_view rest = sub(words.data(), base);
    auto next = [&]() {
        const std::size_t z = rest.find('\0');
        const std::string_view w = head(rest, z);
        rest = sub(rest, z + 1);
        return w;
    };
    out.old = next();
    --n;
    if (n && rest.starts_with(std::string_view("->\0", 3))) {
        (void)next();
        if (n < 2) {
            out.problem = ConvProblem::no_new_name;
            return ConvResult::ok;
        }
        out.new_off = static_cast<std::size_t>(rest.data() - words.data().data());
        out.new_name = next();
        out.renamed = true;
        n -= 2;
    }
    for (; n; --n) {
        const std::string_view w = next();
        if (w != "restart") {
            out.problem = ConvProblem::unknown_keyword;
            out.bad = w;
            return ConvResult::ok;
        }
        out.restart = true;
    }
    return ConvResult::ok;
}

} // namespace keel::rc
