// The passwd(5) and group(5) parser of STATIC builds (lib userdb, the *_in functions every
// build compiles): the input is one file, read both as passwd and as group (the lookups'
// name, uid and gid come from its first line, so they hit real entries).
#include "fuzz.h"

#include "keel/num.h"
#include "keel/uidgid.h"

namespace {
keel::GidList groups; // 256 KiB: static
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view in = fz::bytes(data, size);
    const fz::MemFile file(in);
    // The first line's first three fields: the name, and a number to look up by.
    std::string_view first = in.substr(0, in.find('\n'));
    const std::string_view name = fz::take(first, ':');
    (void)fz::take(first, ':');
    std::uint32_t id = 0;
    (void)keel::scan_number(fz::take(first, ':'), id);
    for (const std::string_view n : {name, std::string_view("root"), std::string_view()}) {
        keel::UserIds u;
        gid_t g;
        (void)keel::find_user_in(file.path(), n, u);
        (void)keel::find_group_in(file.path(), n, g);
        if (keel::user_groups_in(file.path(), n, id, groups) && groups.size > keel::max_groups)
            std::abort();
    }
    keel::UserIds u;
    (void)keel::find_user_by_uid_in(file.path(), id, u);
    char gname[64];
    if (keel::find_group_name_in(file.path(), id, gname) == keel::Lookup::found
        && std::memchr(gname, 0, sizeof gname) == nullptr)
        std::abort();
    char tiny[2];
    (void)keel::find_group_name_in(file.path(), id, tiny);
    return 0;
}
