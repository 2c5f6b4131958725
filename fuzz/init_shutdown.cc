// init-shutdown's inputs (lib hpr): /etc/shutdown.allow (allow_users(), the input as the
// file's content, up to 4095 bytes as the tool reads it) and the TIME operand
// (parse_when(), the input's first line).
#include "fuzz.h"

#include "keel/hpr.h"

#include <array>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view in = fz::bytes(data, size);
    std::array<std::string_view, 64> users;
    bool more;
    const std::string_view content = in.substr(0, 4095);
    const std::size_t n = keel::hpr::allow_users(content, users, more);
    if (n > users.size() || (more && n != users.size())) std::abort();
    for (std::size_t i = 0; i < n; ++i) {
        const std::string_view u = users[i];
        if (u.empty() || u[0] == '#' || u.find('\n') != u.npos || u.find('\0') != u.npos)
            std::abort();
        if (u.data() < content.data() || u.data() + u.size() > content.data() + content.size())
            std::abort();
    }
    keel::hpr::When w;
    std::string_view first = in;
    if (keel::hpr::parse_when(fz::take(first, '\n'), w)) {
        if (w.kind == keel::hpr::When::clock && (w.hour < 0 || w.hour > 23 || w.minute < 0 || w.minute > 59))
            std::abort();
        if (w.kind == keel::hpr::When::minutes && w.count * 60 >= (std::uint64_t{1} << 62))
            std::abort();
    }
    return 0;
}
