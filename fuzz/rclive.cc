// The rc live state (lib rclive, Live::open as rc and rc-update run it): a live directory in
// the scratch directory (LIVE -> REAL, REAL/compiled -> COMPILED, REAL/scandir, REAL/lock)
// whose COMPILED/db, REAL/prefix and REAL/state come from the input: a byte for the prefix's
// length, a byte for the state's, the prefix, the state, then the db.
#include "fuzz.h"

#include "keel/rclive.h"

namespace {

char live[300], real[300], compiled[300];

void setup()
{
    const char* s = fz::scratch_dir();
    std::snprintf(live, sizeof live, "%s/live", s);
    std::snprintf(real, sizeof real, "%s/live:initial:x", s);
    std::snprintf(compiled, sizeof compiled, "%s/compiled", s);
    char p[400];
    if (mkdir(real, 0755) < 0 || mkdir(compiled, 0755) < 0 || symlink(real, live) < 0)
        std::abort();
    std::snprintf(p, sizeof p, "%s/compiled", real);
    if (symlink(compiled, p) < 0) std::abort();
    std::snprintf(p, sizeof p, "%s/scandir", real);
    if (symlink(s, p) < 0) std::abort();
    std::atexit([] {
        char q[400];
        for (const char* e : {"compiled", "scandir", "prefix", "state", "state.new", "lock"}) {
            std::snprintf(q, sizeof q, "%s/%s", real, e);
            unlink(q);
        }
        std::snprintf(q, sizeof q, "%s/db", compiled);
        unlink(q);
        rmdir(compiled);
        unlink(live);
        rmdir(real);
    });
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (!live[0]) setup();
    std::string_view in = fz::bytes(data, size);
    const std::size_t plen = fz::pick(in) % 16;
    const std::size_t slen = fz::pick(in);
    const std::string_view prefix = in.substr(0, plen);
    in.remove_prefix(prefix.size());
    const std::string_view state = in.substr(0, slen);
    in.remove_prefix(state.size());
    char p[400];
    std::snprintf(p, sizeof p, "%s/prefix", real);
    fz::put_file(p, prefix);
    std::snprintf(p, sizeof p, "%s/state", real);
    fz::put_file(p, state);
    std::snprintf(p, sizeof p, "%s/db", compiled);
    fz::put_file(p, in);

    keel::rc::Live l;
    if (!l.open(live, keel::LockKind::Exclusive, keel::lock_no_wait)) {
        (void)l.failed();
        return 0;
    }
    if (l.state().size() != l.size()) std::abort();
    keel::PathBuf<> out;
    for (std::uint32_t i = 0; i < l.size(); ++i) {
        (void)l.is_up(i);
        l.set_up(i, !l.is_up(i));
        (void)l.service_dir(i, out);
        (void)l.scan_link(i, out);
    }
    (void)l.runner_socket(out);
    if (!l.save_state()) std::abort();
    l.close();
    return 0;
}
