// Writing sh(1) source: one word, quoted so that sh reads it back as exactly those bytes.
#pragma once

#include <string_view>

#include "keel/buf.h"

namespace keel {

/// True if s can appear unquoted as one sh word: not empty, and only letters, digits and
/// _ - . / , : = + @ % (no blank, glob, quote, $, ~, # or other special character).
[[nodiscard]] bool sh_word_is_plain(std::string_view s) noexcept;

/// Puts s as one sh word: as is when sh_word_is_plain(s), otherwise in single quotes with each
/// ' written as '\''. False on a write error (errno set).
[[nodiscard]] bool put_sh_word(Writer& w, std::string_view s) noexcept;

} // namespace keel
