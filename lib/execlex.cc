// The execline lexer of keel/execlex.h, a hand-written version of execline's el_parse state
// machine (src/libexecline/PARSING.txt describes it).
#include "keel/execlex.h"

namespace keel {

namespace {

enum class St { start, comment, open, close, word, bs_space, bs_word, quote, bs_quote };

class Out {
public:
    explicit Out(GrowBuf& b) noexcept : b_(b) {}
    bool put(char c) noexcept
    {
        if (b_.room() == 0 && !b_.grow(1)) return false;
        char* p = b_.reserve(1);
        *p = c;
        b_.commit(1);
        return true;
    }
    bool spaces(unsigned n) noexcept
    {
        while (n--)
            if (!put(' ')) return false;
        return true;
    }

private:
    GrowBuf& b_;
};

bool is_space(unsigned char c) noexcept { return c >= 1 && c <= 32 && c != '\n'; }

int digit_value(unsigned char c, int base) noexcept
{
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    return v < base ? v : -1;
}

// A numeric escape inside quotes, starting at s[i] (just after the backslash). Up to max
// digits in base after skip bytes of prefix; at least one digit is needed. Returns the
// index after it, or 0 on a syntax error.
std::size_t numeric(std::string_view s, std::size_t i, std::size_t skip, int base,
                    std::size_t max, unsigned& value) noexcept
{
    i += skip;
    std::size_t n = 0;
    value = 0;
    while (n < max && i < s.size()) {
        const int d = digit_value(static_cast<unsigned char>(s[i]), base);
        if (d < 0) break;
        value = value * static_cast<unsigned>(base) + static_cast<unsigned>(d);
        ++i;
        ++n;
    }
    return n ? i : 0;
}

} // namespace

LexResult exec_lex(std::string_view script, GrowBuf& buf, std::size_t& words) noexcept
{
    // A NUL byte ends the script, as in execline.
    for (std::size_t k = 0; k < script.size(); ++k)
        if (script[k] == 0) {
            script = {script.data(), k};
            break;
        }
    Out out(buf);
    words = 0;
    unsigned level = 0;
    St st = St::start;
    std::size_t i = 0;
    const auto end_word = [&]() noexcept {
        ++words;
        return out.put(0);
    };
    for (;;) {
        const bool eof = i >= script.size();
        const unsigned char c = eof ? 0 : static_cast<unsigned char>(script[i]);
        bool ok = true;
        switch (st) {
        case St::start:
            if (eof) return level ? LexResult::unmatched_open : LexResult::ok;
            if (c == '#') st = St::comment;
            else if (c == '\\') st = St::bs_space;
            else if (c == '{') st = St::open;
            else if (c == '}') st = St::close;
            else if (c == '"') ok = out.spaces(level), st = St::quote;
            else if (c != '\n' && !is_space(c)) ok = out.spaces(level) && out.put(c), st = St::word;
            break;
        case St::comment:
            if (eof) return level ? LexResult::unmatched_open : LexResult::ok;
            if (c == '\n') st = St::start;
            break;
        case St::open:
        case St::close:
            if (eof && st == St::open) return LexResult::syntax;
            if (eof || c == '\n' || is_space(c)) {
                if (st == St::open) ++level;
                else {
                    if (!level) return LexResult::unmatched_close;
                    --level;
                    ok = out.spaces(level) && end_word();
                }
                st = St::start;
                if (!ok) return LexResult::nomem;
                if (eof) continue;
                break;
            }
            // "{x" or "}x": an ordinary word that starts with the brace.
            if (!out.spaces(level) || !out.put(st == St::open ? '{' : '}')) return LexResult::nomem;
            st = St::word;
            continue; // the current byte is handled in the word state
        case St::word:
            if (eof || c == '\n' || is_space(c)) {
                if (!end_word()) return LexResult::nomem;
                st = St::start;
                if (eof) continue;
            } else if (c == '"') st = St::quote;
            else if (c == '\\') st = St::bs_word;
            else ok = out.put(c);
            break;
        case St::bs_space:
            if (eof) return level ? LexResult::unmatched_open : LexResult::ok;
            if (c == '\n') st = St::start;
            else ok = out.spaces(level) && out.put(c), st = St::word;
            break;
        case St::bs_word:
            if (eof) return LexResult::syntax;
            ok = out.put(c);
            st = St::word;
            break;
        case St::quote:
            if (eof) return LexResult::syntax;
            if (c == '"') st = St::word;
            else if (c == '\\') st = St::bs_quote;
            else ok = out.put(c);
            break;
        case St::bs_quote: {
            if (eof) return LexResult::syntax;
            st = St::quote;
            constexpr std::string_view controls = "abtnvfr"; // 7 to 13
            const std::size_t ctl = controls.find(static_cast<char>(c));
            unsigned v = 0;
            std::size_t next = 0;
            if (c == '\n') break; // continuation inside quotes
            if (ctl != std::string_view::npos) {
                ok = out.put(static_cast<char>(7 + ctl));
                break;
            }
            if (c >= '1' && c <= '9') next = numeric(script, i, 0, 10, 3, v);
            else if (c == '0' && i + 1 < script.size() && script[i + 1] == 'x')
                next = numeric(script, i, 2, 16, 2, v);
            else if (c == '0') next = numeric(script, i, 1, 8, 3, v);
            else {
                ok = out.put(static_cast<char>(c));
                break;
            }
            if (!next) return LexResult::syntax;
            if (!out.put(static_cast<char>(v & 0xff))) return LexResult::nomem;
            i = next;
            continue;
        }
        }
        if (!ok) return LexResult::nomem;
        if (eof) return level ? LexResult::unmatched_open : LexResult::ok;
        ++i;
    }
}

} // namespace keel
