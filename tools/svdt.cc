// svdt: print the death tally of a service, DIR/supervise/death_tally (written by supervise
// or s6-supervise at each death of ./run), oldest first, one line per death:
// "@TAI64N exitcode N" or "@TAI64N signal SIGNAME". The supervisor need not be running.
// s6-svdt compatible.
#include "keel/buf.h"
#include "keel/err.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/sig.h"
#include "keel/svstatus.h"
#include "keel/tai.h"

#include <cerrno>
#include <string_view>
#include <sys/stat.h>

namespace {

constexpr std::string_view usage = "svdt [ -S | -s ] [ -n maxentries ] servicedir";

struct Options {
    bool numeric = false; // -s
    unsigned int max = keel::sv::max_death_tally_limit; // -n
};

Options parse(int& argc, char**& argv)
{
    Options o;
    keel::OptParser opts(argc, argv, "Ssn:");
    while (int c = opts.next()) {
        switch (c) {
        case 'S': o.numeric = false; break;
        case 's': o.numeric = true; break;
        case 'n':
            if (!keel::scan_number(opts.arg(), o.max)) keel::die_usage(usage);
            break;
        default: keel::die_usage(usage);
        }
    }
    argv += opts.index();
    argc -= opts.index();
    if (argc < 1) keel::die_usage(usage);
    // A tally never holds more records than this.
    if (o.max > keel::sv::max_death_tally_limit) o.max = keel::sv::max_death_tally_limit;
    return o;
}

[[noreturn]] void die_read(const char* dir)
{
    if (errno == EINVAL)
        keel::die(keel::exit_sys, "unable to read death tally for service ", dir,
                  ": invalid timestamp in a record");
    keel::die_sys(keel::exit_sys, "unable to read death tally for service ", dir);
}

void put(keel::Writer& out, std::string_view s)
{
    if (!out.put(s)) keel::die_sys(keel::exit_sys, "unable to write to stdout");
}

void put_death(keel::Writer& out, const keel::sv::Death& d, bool numeric)
{
    char stamp[keel::tai64n_text_len];
    put(out, keel::tai_fmt(d.when, stamp));
    if (!d.sig) {
        put(out, " exitcode ");
        put(out, keel::fmt_number(d.exitbyte));
    } else {
        put(out, " signal ");
        if (numeric) put(out, keel::fmt_number(d.sig));
        else put(out, keel::sig_text(d.sig));
    }
    put(out, "\n");
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "svdt";
    const Options o = parse(argc, argv);
    const char* dir = argv[0];
    if (!o.max) return 0;
    // No supervise/ at all is an error (as in s6-svdt); a missing tally is an empty one.
    keel::PathBuf<> sv;
    struct stat st;
    if (!sv.set(dir, "/supervise") || stat(sv.c_str(), &st) < 0) die_read(dir);
    keel::sv::TallyReader tally;
    if (!tally.open(dir, o.max)) die_read(dir);
    keel::BufWriter<4096> out(1);
    keel::sv::Death d;
    for (;;) {
        const int r = tally.next(d);
        if (r < 0) die_read(dir);
        if (!r) break;
        put_death(out, d, o.numeric);
    }
    if (!out.flush()) keel::die_sys(keel::exit_sys, "unable to write to stdout");
    return 0;
}
