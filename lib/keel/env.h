// Environment editing for chainloaders: the edits apply to this process's environment, which
// the next exec passes on. Errors return false with errno set (ENOMEM, EINVAL for a bad name).
#pragma once

#include <cstdint>
#include <string_view>

namespace keel {

[[nodiscard]] bool env_set(const char* name, const char* value) noexcept;
[[nodiscard]] bool env_set_number(const char* name, std::uint64_t value) noexcept;
[[nodiscard]] bool env_unset(const char* name) noexcept;
/// The value of name, or nullptr if unset.
[[nodiscard]] const char* env_get(const char* name) noexcept;

} // namespace keel
