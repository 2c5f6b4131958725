// The names in a fifodir (lib fifodir): is_listener_name() on any name, and notify/clean
// walking a real directory (getdents64) that holds an entry of that name next to a live
// listener's FIFO. Only names of listeners are acted on; the listener gets the events.
#include "fuzz.h"

#include "keel/fifodir.h"

#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static char dir[300];
    if (!dir[0]) {
        std::snprintf(dir, sizeof dir, "%s/names", fz::scratch_dir());
        if (!keel::ftrig::make_fifodir(dir, true, 0, false)) std::abort();
        std::atexit([] { rmdir(dir); });
    }
    std::string_view in = fz::bytes(data, size);
    std::string_view name = fz::take(in, '\0');
    const fz::CStr cname(name);
    const bool is = keel::ftrig::is_listener_name(cname.p);
    if (is != (name.size() == keel::ftrig::listener_name_len && name.starts_with("ftrig1:@")))
        std::abort();
    // As a directory entry: a name without '/', not "." or "..", not too long.
    if (name.empty() || name == "." || name == ".." || name.size() > 255
        || name.find('/') != name.npos)
        return 0;
    char path[600];
    std::snprintf(path, sizeof path, "%s/%s", dir, cname.p);
    fz::put_file(path, "");
    keel::ftrig::Listener l;
    if (!l.subscribe(dir)) std::abort();
    const std::string_view events = in.substr(0, 64);
    const int n = keel::ftrig::notify(dir, events);
    if (n < 1) std::abort(); // our listener at least
    if (!events.empty()) {
        char buf[128];
        const ssize_t r = l.read(buf, sizeof buf);
        if (r != static_cast<ssize_t>(events.size()) || std::memcmp(buf, events.data(), r) != 0)
            std::abort();
    }
    if (!keel::ftrig::clean(dir)) std::abort();
    l.unsubscribe();
    unlink(path);
    return 0;
}
