// Quoting for generated sh scripts (keel/shword.h).
#include "keel/shword.h"

namespace keel {

bool sh_word_is_plain(std::string_view s) noexcept
{
    if (s.empty()) return false;
    for (const char c : s) {
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && std::string_view("_-./,:=+@%").find(c) == std::string_view::npos)
            return false;
    }
    return true;
}

bool put_sh_word(Writer& w, std::string_view s) noexcept
{
    if (sh_word_is_plain(s)) return w.put(s);
    if (!w.put('\'')) return false;
    for (const char c : s)
        if (!(c == '\'' ? w.put("'\\''") : w.put(c))) return false;
    return w.put('\'');
}

} // namespace keel
