// The execline lexer: turns the text of a script into argv words the way `execlineb -P` reads
// it, so a command line can be stored compiled (rc-compile stores oneshot scripts this way).
// Rules: words are separated by whitespace (bytes 1-32); `#` at the start of a word comments
// out the rest of the line; `"..."` quotes (also in the middle of a word) with C-like escapes
// (\a \b \t \n \v \f \r, \ddd decimal, \0ooo octal, \0xHH hex, backslash-newline removed);
// a backslash outside quotes takes the next byte literally (backslash-newline between words
// is a line continuation); a NUL byte ends the script. `{` and `}` standing alone are block
// delimiters, encoded the execline way: each word inside a block is prefixed by one space per
// nesting level, and the block is closed by a word of (level - 1) spaces (an empty word at
// level 1). Nothing here prints or exits.
#pragma once

#include <cstddef>
#include <string_view>

#include "keel/growbuf.h"

namespace keel {

enum class LexResult {
    ok,
    syntax,          ///< unterminated quote or escape, bad numeric escape, `{` at end of input
    unmatched_open,  ///< a `{` block is not closed at the end of the input
    unmatched_close, ///< a `}` without its `{`
    nomem,           ///< out grew past memory (errno ENOMEM)
};

/// Lexes script and appends every word followed by one NUL byte to out (which must have been
/// init()ed); words is set to the number of words. On failure, out holds garbage after what
/// it held before: the caller discards it.
[[nodiscard]] LexResult exec_lex(std::string_view script, GrowBuf& out,
                                 std::size_t& words) noexcept;

} // namespace keel
