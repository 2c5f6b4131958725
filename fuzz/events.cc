// Small decoders of names and event bytes: the supervision events svlisten, svlisten1 and
// svwait apply to a service's state (lib svlisten apply_event(), every byte of the input
// under each goal) and svlog's archive names (lib logdir log_archive_name(), the input as a
// file name).
#include "fuzz.h"

#include "keel/logdir.h"
#include "keel/svlisten.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view in = fz::bytes(data, size);
    for (int g = 0; g < 8; ++g) {
        keel::sv::Goal goal;
        goal.up = g & 1;
        goal.ready = g & 2;
        goal.any = g & 4;
        bool up = false, ready = false;
        for (const char ev : in) {
            (void)keel::sv::apply_event(up, ready, ev, goal);
            (void)keel::sv::goal_holds(up, ready, goal);
        }
    }
    const bool archive = keel::log_archive_name(in);
    if (archive && (in.size() != 27 || in[0] != '@')) std::abort();
    return 0;
}
