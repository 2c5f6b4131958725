// /proc/self/mountinfo reader for keel/mountinfo.h. A line is
//   ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
// with spaces, tabs, newlines and backslashes in paths written as \ooo.
#include "keel/mountinfo.h"

#include "keel/fd.h"
#include "keel/slurp.h"

#include <cerrno>
#include <cstddef>

namespace keel {
namespace {

// Decodes the \ooo escapes of s in place; returns the decoded length.
std::size_t unescape(char* s, std::size_t len) noexcept
{
    const auto oct = [](char c) { return c >= '0' && c <= '7'; };
    std::size_t out = 0;
    for (std::size_t i = 0; i < len; ++i) {
        if (s[i] == '\\' && len - i > 3 && oct(s[i + 1]) && oct(s[i + 2]) && oct(s[i + 3])) {
            s[out++] = static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
                                         (s[i + 3] - '0'));
            i += 3;
        } else {
            s[out++] = s[i];
        }
    }
    return out;
}

// Splits the next space-separated field off line (from pos); empty view at the end.
std::string_view field(char* line, std::size_t len, std::size_t& pos, char*& start) noexcept
{
    while (pos < len && line[pos] == ' ') ++pos;
    const std::size_t b = pos;
    while (pos < len && line[pos] != ' ') ++pos;
    start = line + b;
    return {line + b, pos - b};
}

bool parse_line(char* line, std::size_t len, MountEntry& e) noexcept
{
    std::size_t pos = 0;
    char* start = nullptr;
    for (int i = 0; i < 4; ++i)
        if (field(line, len, pos, start).empty()) return false;
    const std::string_view point = field(line, len, pos, start);
    if (point.empty()) return false;
    char* point_at = start;
    std::string_view f;
    do f = field(line, len, pos, start);
    while (!f.empty() && f != "-");
    if (f.empty()) return false;
    e.fstype = field(line, len, pos, start);
    const std::string_view source = field(line, len, pos, start);
    if (e.fstype.empty() || source.empty()) return false;
    char* source_at = start;
    e.point = {point_at, unescape(point_at, point.size())};
    e.source = {source_at, unescape(source_at, source.size())};
    return true;
}

} // namespace

bool mountinfo_each(MountFn fn, void* ctx, const char* file) noexcept
{
    Fd fd = open_read(file);
    if (!fd) return false;
    Slurp buf;
    if (!buf.read(fd.get())) return false;
    char* p = buf.data();
    char* const end = p + buf.size();
    while (p < end) {
        char* nl = p;
        while (nl < end && *nl != '\n') ++nl;
        MountEntry e;
        if (parse_line(p, static_cast<std::size_t>(nl - p), e) && !fn(e, ctx)) break;
        p = nl + 1;
    }
    return true;
}

int mounted_as(std::string_view point, std::string_view fstype, const char* file) noexcept
{
    struct Ctx {
        std::string_view point, fstype;
        int found;
    } c{point, fstype, 0};
    const bool ok = mountinfo_each(
        [](const MountEntry& e, void* v) noexcept {
            auto& cx = *static_cast<Ctx*>(v);
            if (e.point == cx.point) cx.found = e.fstype == cx.fstype ? 1 : 0;
            return true;
        },
        &c, file);
    return ok ? c.found : -1;
}

} // namespace keel
