// Environment editing for chainloaders: the edits apply to this process's environment, which
// the next exec passes on. Errors return false with errno set (ENOMEM, EINVAL for a bad name).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace keel {

[[nodiscard]] bool env_set(const char* name, const char* value) noexcept;
[[nodiscard]] bool env_set_number(const char* name, std::uint64_t value) noexcept;
[[nodiscard]] bool env_unset(const char* name) noexcept;
/// The value of name, or nullptr if unset.
[[nodiscard]] const char* env_get(const char* name) noexcept;

/// How envdir turns a file's content into a variable's value (s6-envdir's rules).
struct EnvFileRules {
    bool whole_file = false; ///< -f: the whole file, less one final newline
    bool no_chomp = false;   ///< -n: keep trailing blanks (or, with -f, the final newline)
    char nul_is = '\n';      ///< -c: what a NUL byte of the value becomes
};

/// Makes the value of the content [s, s + len) in place: the first line with its trailing
/// spaces and tabs removed (or as the rules say), NULs replaced. s[len] must be writable: the
/// value is NUL-terminated. Returns its length.
std::size_t env_file_value(char* s, std::size_t len, const EnvFileRules& rules) noexcept;

} // namespace keel
