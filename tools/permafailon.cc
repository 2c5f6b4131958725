// permafailon: meant for a service's finish script (cwd = the service dir). If the death tally
// (supervise/death_tally, read through keel/svstatus.h) holds at least COUNT deaths from the last
// SECS seconds with an exit code or signal of the list, report a permanent failure (exit 125,
// so the supervisor stops restarting the service); otherwise exec into prog.
// s6-permafailon compatible: same arguments, messages and exit codes.
#include "keel/err.h"
#include "keel/deathlist.h"
#include "keel/exec.h"
#include "keel/num.h"
#include "keel/sig.h"
#include "keel/str.h"
#include "keel/svstatus.h"
#include "keel/tai.h"

#include <array>
#include <cerrno>
#include <string_view>
#include <sys/stat.h>

namespace {

constexpr std::string_view usage = "permafailon seconds deathcount statuslist prog...";

constexpr int exit_permanent_failure = 125;
constexpr char tally_name[] = "supervise/death_tally";

// Whether the tally holds count matching deaths no older than secs. A tally that cannot be
// read is no reason to stop the service: warn, and answer no.
bool failed(unsigned int secs, unsigned int count, const keel::sv::DeathList& ev)
{
    struct stat st;
    if (stat(tally_name, &st) < 0) {
        keel::warn_sys("unable to stat ", tally_name);
        return false;
    }
    constexpr auto max_size = keel::sv::tally_record_len * keel::sv::max_death_tally_limit;
    if (st.st_size % keel::sv::tally_record_len || st.st_size > static_cast<off_t>(max_size)) {
        keel::warn("invalid ", tally_name);
        return false;
    }
    keel::sv::TallyReader tally;
    if (!tally.open(".")) {
        keel::warn_sys("unable to read ", tally_name);
        return false;
    }
    keel::Tai64n since = keel::tai_now();
    since.sec -= secs;
    unsigned int matches = 0;
    keel::sv::Death d;
    for (;;) {
        const int r = tally.next(d);
        if (r < 0) {
            keel::warn_sys("unable to read ", tally_name);
            return false;
        }
        if (r == 0) return false;
        if (keel::tai_before(d.when, since)) continue;
        if (!((d.sig && d.sig <= keel::sv::deathlist_max_signal && ev.sigs[d.sig]) || ev.codes[d.exitbyte])) continue;
        if (++matches < count) continue;
        keel::info("PERMANENT FAILURE triggered after ", keel::fmt_number(count),
                   " events involving ", d.sig ? "signal " : "exit code ",
                   keel::fmt_number(d.sig ? d.sig : d.exitbyte), " in the last ",
                   keel::fmt_number(secs), " seconds");
        return true;
    }
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "permafailon";
    if (argc < 4) keel::die_usage(usage);
    unsigned int secs = 0, count = 0;
    if (!keel::scan_number(std::string_view(argv[1]), secs)) keel::die_usage(usage);
    if (!keel::scan_number(std::string_view(argv[2]), count) || count == 0)
        keel::die_usage(usage);
    if (count > keel::sv::max_death_tally_limit) count = keel::sv::max_death_tally_limit;
    keel::sv::DeathList ev;
    if (const auto e = keel::sv::parse_deathlist(argv[3], ev); e != keel::sv::DeathListError::none)
        keel::die(keel::exit_usage, keel::sv::deathlist_error(e));

    if (failed(secs, count, ev)) return exit_permanent_failure;
    // As s6: with no prog at all, not failing is success.
    if (!argv[4]) return 0;
    keel::xexec(argv + 4);
}
