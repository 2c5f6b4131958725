// svscanctl: send command letters to a running scanner (svscan or s6-svscan) by writing them,
// in order and in one write, to SCANDIR/.s6-svscan/control. s6-svscanctl compatible: the
// legacy letters p, r, s, 0, 6, 7 and 8 of older s6 are usage errors, as in s6.
#include "keel/svcontrol.h"
#include "keel/err.h"
#include "keel/opt.h"

#include <array>
#include <cstddef>
#include <string_view>

namespace {

constexpr std::string_view usage = "svscanctl [ -zabhitqnN ] scandir";

constexpr std::string_view letters = "zabhitqnN";

// s6-svscanctl's buffer: at most 64 letters.
constexpr std::size_t max_commands = 64;

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "svscanctl";
    std::array<char, max_commands> cmds{};
    std::size_t len = 0;
    keel::OptParser opts(argc, argv, letters);
    while (int c = opts.next()) {
        if (c == '?' || c == ':') keel::die_usage(usage);
        if (len >= cmds.size()) keel::die(keel::exit_usage, "too many commands");
        cmds[len++] = static_cast<char>(c);
    }
    if (opts.index() >= argc) keel::die_usage(usage);
    const char* dir = argv[opts.index()];

    switch (keel::sv::write_control_at(dir, keel::sv::scanner_ctl_dir, {cmds.data(), len})) {
    case keel::sv::CtlResult::ok: return 0;
    case keel::sv::CtlResult::not_supervised:
        keel::die(keel::exit_usage, "unable to control ", dir, ": supervisor not listening");
    case keel::sv::CtlResult::bad_dir:
        keel::die_sys(keel::exit_usage, "something is wrong with the ", dir, "/",
                      keel::sv::scanner_ctl_dir, " directory");
    case keel::sv::CtlResult::error: break;
    }
    keel::die_sys(keel::exit_sys, "unable to control ", dir);
}
