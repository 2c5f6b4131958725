// The files of a source definition directory (keel/rcsource.h).
#include "keel/rcsource.h"

#include "keel/num.h"
#include "keel/rcdb.h"
#include "keel/str.h"

namespace keel::rc {

SourceType source_type(std::string_view t) noexcept
{
    if (!t.empty() && t.back() == '\n') t.remove_suffix(1);
    return t == "oneshot" ? SourceType::oneshot : t == "longrun" ? SourceType::longrun
         : t == "bundle"  ? SourceType::bundle  : SourceType::unknown;
}

bool next_list_name(std::string_view& text, std::string_view& name) noexcept
{
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        std::string_view line = head(text, nl);
        text = nl == std::string_view::npos ? std::string_view{} : sub(text, nl + 1);
        while (!line.empty() && (line[0] == ' ' || line[0] == '\t')) line = sub(line, 1);
        if (line.empty() || line[0] == '#') continue;
        name = line;
        return true;
    }
    return false;
}

NameCheck check_name(std::string_view name) noexcept
{
    if (!valid_name(name)) return NameCheck::invalid;
    if (is_reserved(name)) return NameCheck::reserved;
    return NameCheck::ok;
}

bool source_timeout(std::string_view t, std::uint32_t& ms) noexcept
{
    while (!t.empty() && t.back() == '\n') t.remove_suffix(1);
    return scan_number(t, ms);
}

} // namespace keel::rc
