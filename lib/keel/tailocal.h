// tai64nlocal's filter: a stream of lines whose leading TAI64N label ("@" + 24 hex digits) is
// replaced by the time it stands for, "YYYY-MM-DD HH:MM:SS.nnnnnnnnn" (local or UTC), as
// s6-tai64nlocal does. A line is converted only if it is longer than its label (its newline
// counts). Streams: any line length, only the first bytes of a line are held back. Nothing
// here allocates, prints or exits.
#pragma once

#include <cstddef>
#include <string_view>

namespace keel {

class TaiLocal {
public:
    /// Output goes through put(ctx, bytes), which returns false to stop (a write error).
    using PutFn = bool (*)(void* ctx, std::string_view bytes) noexcept;

    explicit TaiLocal(bool utc) noexcept : utc_(utc) {}

    /// Converts what it can of d (eof: no more input will come): returns how many bytes of d
    /// were used up; the rest (part of a label, less than a line's start) must be given
    /// again with what follows. Returns with errno unchanged as soon as put() fails: *failed
    /// is then set.
    std::size_t convert(std::string_view d, bool eof, PutFn put, void* ctx, bool& failed) noexcept;

private:
    bool utc_;
    bool at_line_start_ = true;
};

} // namespace keel
