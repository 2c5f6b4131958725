// svlog's logging script, in s6-log's language: the directives parsed into elements (zero or
// more selections, then actions), the selection of one line, and the text an action writes
// for it (stamps, prefix, line, newline). Selections: +RE -RE f. Control: n s S l r R (logdirs),
// E (alerts), ^ (status files), p (prefix), !CMD ?CMD (processors), t T (the next action).
// Actions: 1 (stdout), 2 (stderr alert), =FILE (status file), /DIR or ./DIR (logdir).
// Parsing allocates once; nothing here allocates per line, prints or exits.
#pragma once

#include "keel/logdir.h"
#include "keel/path.h"

#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <regex.h>
#include <span>
#include <string_view>

namespace keel {

enum class LogSelKind : std::uint8_t {
    plus,    ///< +RE: selects the line if RE matches
    minus,   ///< -RE: deselects the line if RE matches
    unacted, ///< f: selected iff no action has been applied to the line yet
};

struct LogSelection {
    LogSelKind kind;
    bool all;   ///< the empty RE ("+" or "-" alone): matches every line
    regex_t re; ///< compiled (REG_EXTENDED | REG_NOSUB | REG_NEWLINE) unless all or f
};

enum class LogActKind : std::uint8_t {
    out,    ///< 1
    alert,  ///< 2
    status, ///< =FILE
    logdir, ///< /DIR, ./DIR
};

struct LogAction {
    LogActKind kind;
    bool tai;                ///< t: "@" + TAI64N + " " first
    bool iso;                ///< T: local "YYYY-MM-DD HH:MM:SS.nnnnnnnnn" + 2 spaces next
    std::string_view prefix; ///< p: prefix + " " before the line; empty: none
    std::uint32_t limit;     ///< alert: E (line bytes shown, 0: all); status: ^ (file size)
    const char* file;        ///< status: FILE
    std::uint32_t logdir;    ///< logdir: index in LogScript::logdirs()
};

/// One element: selections [sel_begin, sel_end), then actions [act_begin, act_end).
struct LogElement {
    std::uint32_t sel_begin, sel_end, act_begin, act_end;
};

enum class LogScriptError : std::uint8_t {
    none,
    unrecognized, ///< "unrecognized directive: ARG" (also a bad number or RE)
    syntax,       ///< "syntax error at directive: ARG" (f t T 1 2 with more, = alone)
    no_action,    ///< "no action directive specified"
    conflict,     ///< "directive ARG conflicts with previous s directive" (l > s/2)
    no_execline,  ///< !CMD while execlineb is not in PATH
    nomem,        ///< out of memory (errno ENOMEM)
};

struct LogScriptStatus {
    LogScriptError error = LogScriptError::none;
    const char* arg = nullptr; ///< the directive at fault
    bool extraneous = false;   ///< selections after the last action (ignored, warn about it)
};

/// Length of the TAI64N stamp an action with t writes: "@" + 24 hex digits + " ".
inline constexpr std::size_t log_tai_len = 26;

class LogScript {
public:
    LogScript() noexcept = default;
    LogScript(const LogScript&) = delete;
    LogScript& operator=(const LogScript&) = delete;
    ~LogScript();

    /// Parses the directives (each NUL-terminated; they must outlive the script), checking
    /// all of them before reporting the first error in s6-log's order: first the directive
    /// letters and syntax, then numbers, REs and the l/s conflict. !CMD looks up execlineb in
    /// PATH. Call once.
    [[nodiscard]] LogScriptStatus parse(std::span<char* const> args) noexcept;

    [[nodiscard]] std::span<const LogElement> elements() const noexcept
    {
        return {elems_, nelems_};
    }
    [[nodiscard]] std::span<const LogSelection> selections() const noexcept
    {
        return {sels_, nsels_};
    }
    [[nodiscard]] std::span<const LogAction> actions() const noexcept { return {acts_, nacts_}; }
    [[nodiscard]] std::span<const LogdirConfig> logdirs() const noexcept { return {dirs_, ndirs_}; }
    /// Some element has selections; otherwise every line gets every action, in order.
    [[nodiscard]] bool selects() const noexcept { return selects_; }
    /// Some action has t or T: the clock is read for each line.
    [[nodiscard]] bool stamps() const noexcept { return stamps_; }

    /// The actions to run for one line, in script order, as indices into actions(); returns
    /// how many were stored in out (which must hold actions().size()). line must be followed
    /// by a NUL (the REs see the line up to its first NUL, as in s6-log).
    [[nodiscard]] std::size_t select(const char* line, std::span<std::uint32_t> out) const noexcept;

private:
    LogElement* elems_ = nullptr;
    LogSelection* sels_ = nullptr;
    LogAction* acts_ = nullptr;
    LogdirConfig* dirs_ = nullptr;
    std::uint32_t nelems_ = 0, nsels_ = 0, nacts_ = 0, ndirs_ = 0;
    std::uint32_t ncompiled_ = 0; // sels_[0 .. ncompiled_) were handed to regcomp
    bool selects_ = false, stamps_ = false;
    PathBuf<PATH_MAX> execlineb_;
};

namespace detail {
/// "00" to "ff": the two hex digits of each byte value.
inline constexpr std::array<char, 512> hex_pairs = [] {
    std::array<char, 512> t{};
    constexpr char d[] = "0123456789abcdef";
    for (std::size_t i = 0; i < 256; ++i) {
        t[2 * i] = d[i >> 4];
        t[2 * i + 1] = d[i & 15];
    }
    return t;
}();
} // namespace detail

/// The stamps of one line, read once from the clock and formatted on demand, the parts that
/// only change every second being cached. Inline: this runs for every line.
class LineStamps {
public:
    /// Reads CLOCK_REALTIME for a new line.
    void take() noexcept
    {
        clock_gettime(CLOCK_REALTIME, &now_);
        tai_done_ = iso_done_ = false;
    }
    /// "@" + 24 hex digits + " " (log_tai_len bytes) for the time of take().
    [[nodiscard]] std::string_view tai() noexcept
    {
        if (!tai_done_) {
            if (now_.tv_sec != tai_sec_) new_tai_second();
            auto ns = static_cast<std::uint32_t>(now_.tv_nsec);
            for (int i = 23; i >= 17; i -= 2, ns >>= 8)
                std::memcpy(tai_ + i, detail::hex_pairs.data() + 2 * (ns & 255), 2);
            tai_done_ = true;
        }
        return {tai_, log_tai_len};
    }
    /// "YYYY-MM-DD HH:MM:SS.nnnnnnnnn" + 2 spaces, in local time (call tzset() once first);
    /// empty if the time cannot be shown.
    [[nodiscard]] std::string_view iso() noexcept
    {
        if (!iso_done_) format_iso();
        return {iso_, iso_len_};
    }

private:
    void new_tai_second() noexcept;
    void format_iso() noexcept;

    timespec now_{};
    time_t tai_sec_ = -1, iso_sec_ = -1;
    bool tai_done_ = false, iso_done_ = false;
    std::size_t iso_len_ = 0;
    char tai_[log_tai_len];
    char iso_[48];
};

/// Bytes of the line composed for action a: [tai][iso][prefix + " "] line "\n".
[[nodiscard]] inline std::size_t log_line_size(const LogAction& a, LineStamps& st,
                                               std::size_t len) noexcept
{
    return (a.tai ? log_tai_len : 0) + (a.iso ? st.iso().size() : 0)
        + (a.prefix.empty() ? 0 : a.prefix.size() + 1) + len + 1;
}

/// Writes the line composed for action a at out, which must have room for
/// log_line_size(a, st, line.size()) bytes; returns the end of what was written.
inline char* log_compose(char* out, const LogAction& a, LineStamps& st,
                         std::string_view line) noexcept
{
    if (a.tai) {
        std::memcpy(out, st.tai().data(), log_tai_len);
        out += log_tai_len;
    }
    if (a.iso) {
        const std::string_view s = st.iso();
        if (!s.empty()) std::memcpy(out, s.data(), s.size());
        out += s.size();
    }
    if (!a.prefix.empty()) {
        std::memcpy(out, a.prefix.data(), a.prefix.size());
        out += a.prefix.size();
        *out++ = ' ';
    }
    // memmove: a call to the C library's vectorized copy, where -Os would inline memcpy as a
    // slow `rep movsb` (lines are short).
    if (!line.empty()) std::memmove(out, line.data(), line.size());
    out += line.size();
    *out++ = '\n';
    return out;
}

/// One line of svlog's input: its length without the newline, and the bytes it uses up.
struct LogLineCut {
    std::size_t len, used;
};

/// Finds the next line in the input not run yet, [s, s + avail): up to its newline, or its
/// first lim bytes if it is longer than lim (lim 0: no limit; the cut part is a line and the
/// rest starts the next one). The first clean bytes are known to hold no newline (searched
/// already). True with cut set; false if the line is not complete yet: clean is then set to
/// avail, so that a long line coming in parts is searched only once.
[[nodiscard]] inline bool log_next_line(const char* s, std::size_t avail, std::size_t lim,
                                        std::size_t& clean, LogLineCut& cut) noexcept
{
    const bool longer = lim && avail > lim;
    const std::size_t window = longer ? lim + 1 : avail;
    const std::size_t from = clean < window ? clean : window;
    const auto* nl = static_cast<const char*>(std::memchr(s + from, '\n', window - from));
    if (nl) {
        cut.len = static_cast<std::size_t>(nl - s);
        cut.used = cut.len + 1;
    } else if (longer) {
        cut.len = cut.used = lim;
    } else {
        clean = avail;
        return false;
    }
    return true;
}

/// The content of a status file (=FILE) with size limit `size` (^): the composed line of n
/// bytes at buf (ending in "\n") cut to `size` bytes if longer, padded with newlines to
/// exactly `size` bytes if shorter (buf must have room for them); size 0: unchanged.
/// Returns the new length.
[[nodiscard]] std::size_t log_status_fit(char* buf, std::size_t n, std::size_t size) noexcept;

} // namespace keel
