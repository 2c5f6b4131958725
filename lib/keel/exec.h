// Exec helpers for chainloaders: search PATH like execvp (no /bin/sh fallback for scripts
// without a #! line, as in s6), and on failure exit 127 (not found) or 126 (other errors).
#pragma once

namespace keel {

/// execve(2) of argv[0] with envp, searching PATH when argv[0] has no '/'. Returns only on
/// failure, with errno from the most telling attempt (EACCES etc. beats ENOENT).
int exec_search(char* const* argv, char* const* envp) noexcept;

/// Execs argv with the current environment, or dies: "unable to exec ARGV0: ...", 127/126.
[[noreturn]] void xexec(char* const* argv) noexcept;
/// Same, with an explicit environment.
[[noreturn]] void xexec_env(char* const* argv, char* const* envp) noexcept;

} // namespace keel
