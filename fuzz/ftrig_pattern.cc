// Listener patterns (lib ftrigwait, as ftrig-wait, ftrig-listen1 and svwait use it): the
// input's first part is the POSIX ERE, the rest the events a notifier sends to the FIFO of a
// Matcher subscribed to a fifodir in the scratch directory.
#include "fuzz.h"

#include "keel/fifodir.h"
#include "keel/ftrigwait.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static char dir[300];
    if (!dir[0]) {
        std::snprintf(dir, sizeof dir, "%s/pattern", fz::scratch_dir());
        if (!keel::ftrig::make_fifodir(dir, true, 0, false)) std::abort();
        std::atexit([] { rmdir(dir); });
    }
    std::string_view in = fz::bytes(data, size);
    // Short patterns: glibc's matching of long ones is slow, not wrong.
    const std::string_view re = fz::take(in, '\0');
    if (re.size() > 48 || fz::costly_regex(re)) return 0;
    const fz::CStr cre(re);
    keel::ftrig::Matcher m;
    if (!m.start(dir, cre.p)) return 0;
    // The events (any bytes) in up to 4 writes: the matcher searches a growing buffer.
    const std::size_t chunk = in.size() / 4 + 1;
    for (std::size_t off = 0; off < in.size() && !m.matched(); off += chunk) {
        if (keel::ftrig::notify(dir, in.substr(off, chunk)) < 0) std::abort();
        if (m.update() < 0) std::abort();
    }
    (void)m.last();
    m.stop();
    return 0;
}
