// Diagnostics, in the one format every keel program uses:
//   prog: fatal: unable to open foo/supervise/control: No such file or directory
//   prog: warning: ...
//   prog: usage: USAGE
// Each message is assembled from string_view pieces and sent to stderr with a single writev(2),
// so lines from concurrent processes never interleave. errno is preserved by every function.
#pragma once

#include <cerrno>
#include <cstddef>
#include <span>
#include <string_view>

namespace keel {

/// The program name that prefixes every message; main() sets it first thing.
extern constinit std::string_view prog;

/// Exit codes shared by all tools.
inline constexpr int exit_usage = 100;
inline constexpr int exit_sys = 111;
inline constexpr int exit_exec_failed = 126;
inline constexpr int exit_not_found = 127;

/// The most pieces one die()/warn()/info() call may pass (checked at compile time), so that
/// every message goes out in a single writev.
inline constexpr std::size_t max_pieces = 24;

/// Writes "prog: LEVEL: pieces...[: strerror(err)]\n" to fd 2: in one writev when there are
/// at most max_pieces pieces, whole but in several writes beyond that. err == 0 means no
/// strerror suffix. Never fails visibly; errno is left unchanged.
void report(std::string_view level, std::span<const std::string_view> pieces, int err) noexcept;

/// Exits at once with code, without running atexit handlers or flushing stdio (keel uses none).
[[noreturn]] void exit_now(int code) noexcept;

/// The out-of-line part of the templates below (one call per message, not one function per
/// argument list): report() at level "fatal", with strerror(errno) if sys, then exit_now(code).
[[noreturn]] void die_pieces(int code, bool sys, std::span<const std::string_view> pieces) noexcept;
/// report() at level "warning", with strerror(errno) if sys.
void warn_pieces(bool sys, std::span<const std::string_view> pieces) noexcept;
/// report() at level "info".
void info_pieces(std::span<const std::string_view> pieces) noexcept;

template <class... A>
[[noreturn]] void die(int code, const A&... a) noexcept
{
    static_assert(sizeof...(A) <= max_pieces);
    const std::string_view v[] = {std::string_view(a)...};
    die_pieces(code, false, v);
}

/// Like die(), with ": strerror(errno)" appended (errno as it is when die_sys() is called:
/// making the pieces never changes it).
template <class... A>
[[noreturn]] void die_sys(int code, const A&... a) noexcept
{
    static_assert(sizeof...(A) <= max_pieces);
    const std::string_view v[] = {std::string_view(a)...};
    die_pieces(code, true, v);
}

template <class... A>
void warn(const A&... a) noexcept
{
    static_assert(sizeof...(A) <= max_pieces);
    const std::string_view v[] = {std::string_view(a)...};
    warn_pieces(false, v);
}

template <class... A>
void warn_sys(const A&... a) noexcept
{
    static_assert(sizeof...(A) <= max_pieces);
    const std::string_view v[] = {std::string_view(a)...};
    warn_pieces(true, v);
}

template <class... A>
void info(const A&... a) noexcept
{
    static_assert(sizeof...(A) <= max_pieces);
    const std::string_view v[] = {std::string_view(a)...};
    info_pieces(v);
}

/// "prog: usage: USAGE", exit 100.
[[noreturn]] void die_usage(std::string_view usage) noexcept;

/// After a failed exec of name: "unable to exec NAME: strerror", exit 127 if the program was
/// not found (ENOENT), 126 otherwise.
[[noreturn]] void die_exec(std::string_view name) noexcept;

/// The exit code die_exec() uses for an exec failure with errno e.
[[nodiscard]] constexpr int exec_failure_code(int e) noexcept
{
    return e == ENOENT ? exit_not_found : exit_exec_failed;
}

} // namespace keel
