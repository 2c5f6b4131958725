// The files of an s6-rc source definition directory, as rc-compile reads them (in namespace
// keel::rc): `type`, the name lists (contents, dependencies, producer-for, consumer-for,
// pipeline-name), the timeouts. (Scripts go through keel/execlex.h.) Views only: nothing here
// allocates, prints or exits.
#pragma once

#include <cstdint>
#include <string_view>

namespace keel::rc {

/// What a `type` file says.
enum class SourceType : std::uint8_t { unknown, oneshot, longrun, bundle };

/// The content of `type`: "oneshot", "longrun" or "bundle", with at most one final newline.
[[nodiscard]] SourceType source_type(std::string_view content) noexcept;

/// The next name of a list file: one per line, leading spaces and tabs skipped, empty lines
/// and lines starting with '#' ignored. Takes it off the front of text (with its line); false
/// at the end.
[[nodiscard]] bool next_list_name(std::string_view& text, std::string_view& name) noexcept;

/// How a name found in a list or as a directory fits as a service name.
enum class NameCheck : std::uint8_t { ok, invalid, reserved };
[[nodiscard]] NameCheck check_name(std::string_view name) noexcept;

/// The content of timeout-up or timeout-down: a decimal number of milliseconds below 2^32,
/// any final newlines ignored. False if it is anything else.
[[nodiscard]] bool source_timeout(std::string_view content, std::uint32_t& ms) noexcept;

} // namespace keel::rc
