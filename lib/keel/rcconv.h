// rc-update's conversion file (in namespace keel::rc): one line per old atomic service,
// "OLD [-> NEW] [restart]...", lexed into words like an execlineb script. Only the syntax is
// checked here; the names are the caller's to look up. Nothing here prints or exits.
#pragma once

#include "keel/growbuf.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace keel::rc {

enum class ConvResult : std::uint8_t {
    empty,  ///< no word: nothing to do
    ok,     ///< ConvLine is set (see its problem)
    syntax, ///< the lexer failed (execlex.h)
    nomem,  ///< words could not grow (errno ENOMEM)
};

/// What is wrong with a line that lexed: rc-update reports it after the old name's own
/// errors (unknown, a bundle, twice).
enum class ConvProblem : std::uint8_t {
    none,
    no_new_name,     ///< "->" is the last word
    unknown_keyword, ///< ConvLine::bad is neither "restart" nor a rename
};

/// One line's words. The names are views into the words' buffer, valid until it grows: the
/// new name is also given by offset.
struct ConvLine {
    std::string_view old;
    std::string_view new_name; ///< empty if not renamed
    std::size_t new_off = 0;   ///< new_name's offset in the buffer
    bool renamed = false;
    bool restart = false;
    ConvProblem problem = ConvProblem::none;
    std::string_view bad; ///< the unknown keyword
};

/// Lexes line (without its newline) and appends its words, each followed by a NUL, to words
/// (init()ed), where they stay (a rename points there); then checks the syntax into out.
[[nodiscard]] ConvResult conv_line(std::string_view line, GrowBuf& words, ConvLine& out) noexcept;

} // namespace keel::rc
