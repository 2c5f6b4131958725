// /proc/self/mountinfo lines (lib mountinfo): the input is the table; every entry reported
// must be non-empty and inside the input's size, and mounted_as() must agree with the walk.
#include "fuzz.h"

#include "keel/mountinfo.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view in = fz::bytes(data, size);
    const fz::MemFile file(in);
    struct Ctx {
        std::size_t n = 0, size;
        std::string_view last_point, last_type;
    } c;
    c.size = size;
    if (!keel::mountinfo_each(
            [](const keel::MountEntry& e, void* v) noexcept {
                auto& cx = *static_cast<Ctx*>(v);
                if (e.point.empty() || e.fstype.empty() || e.source.empty()) std::abort();
                if (e.point.size() > cx.size || e.source.size() > cx.size) std::abort();
                ++cx.n;
                return true;
            },
            &c, file.path()))
        std::abort();
    (void)keel::mounted_as("/", "tmpfs", file.path());
    (void)keel::mounted_as("/run", "proc", file.path());
    return 0;
}
