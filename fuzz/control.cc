// The bytes written to the control FIFOs: supervise/control (lib svcontrol
// control_decode(), supervise's decoder) and .s6-svscan/control (scan_control_decode(),
// svscan's). Every byte is decoded; a kill command carries a signal, nothing else does, and
// only s6's command letters mean anything.
#include "fuzz.h"

#include "keel/svcontrol.h"

#include <csignal>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using keel::sv::Cmd;
    using keel::sv::ScanCmd;
    constexpr std::string_view sv_letters = "abqhkti12ypcPCKrloduDUxOQ";
    constexpr std::string_view scan_letters = "zabhtiqnN";
    for (const char c : fz::bytes(data, size)) {
        const keel::sv::Control k = keel::sv::control_decode(c);
        if ((k.cmd == Cmd::kill) != (k.sig != 0)) std::abort();
        if (k.sig < 0 || k.sig >= NSIG) std::abort();
        if ((k.cmd != Cmd::none) != (c && sv_letters.find(c) != sv_letters.npos))
            std::abort();
        const ScanCmd s = keel::sv::scan_control_decode(c);
        if ((s != ScanCmd::unknown) != (c && scan_letters.find(c) != scan_letters.npos))
            std::abort();
    }
    return 0;
}
