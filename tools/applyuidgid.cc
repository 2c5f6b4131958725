// applyuidgid: set the supplementary groups, gid and uid given as numbers on the command line
// or, with -U, in the UID, GID and GIDLIST variables (as envuidgid sets them), then exec into
// a program. s6-applyuidgid compatible; an id of 0 is never explicitly applied.
#include "keel/env.h"
#include "keel/err.h"
#include "keel/exec.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/uidgid.h"

#include <string_view>

namespace {

constexpr std::string_view usage =
    "applyuidgid [ -z ] [ -u uid ] [ -g gid ] [ -G gidlist ] [ -U ] prog...";

constinit keel::GidList groups;

struct Request {
    uid_t uid = 0;
    gid_t gid = 0;
    bool set_groups = false; // -G or -U
    bool unexport = false;   // -z
};

// The value of variable name, which must be set: exit 100 otherwise.
std::string_view need_env(const char* name)
{
    const char* v = keel::env_get(name);
    if (!v) keel::die(keel::exit_usage, name, " not set");
    return v;
}

[[noreturn]] void die_invalid(std::string_view name)
{
    keel::die(keel::exit_usage, "invalid $", name);
}

void read_env(Request& r)
{
    if (!keel::scan_number(need_env("UID"), r.uid)) die_invalid("UID");
    if (!keel::scan_number(need_env("GID"), r.gid)) die_invalid("GID");
    if (!keel::scan_gid_list(need_env("GIDLIST"), groups)) die_invalid("GIDLIST");
    r.set_groups = true;
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "applyuidgid";
    Request r;
    keel::OptParser opts(argc, argv, "zUu:g:G:");
    while (int c = opts.next()) {
        switch (c) {
        case 'z': r.unexport = true; break;
        case 'u':
            if (!keel::scan_number(std::string_view(opts.arg()), r.uid)) keel::die_usage(usage);
            break;
        case 'g':
            if (!keel::scan_number(std::string_view(opts.arg()), r.gid)) keel::die_usage(usage);
            break;
        case 'G':
            if (!keel::scan_gid_list(opts.arg(), groups)) keel::die_usage(usage);
            r.set_groups = true;
            break;
        case 'U': read_env(r); break;
        default: keel::die_usage(usage);
        }
    }
    argv += opts.index();
    if (argc <= opts.index()) keel::die_usage(usage);

    keel::CredStep step;
    if (!keel::apply_creds(r.uid, r.gid, r.set_groups ? &groups : nullptr, step))
        keel::die_sys(keel::exit_sys, "unable to ", keel::cred_step_action(step));
    if (r.unexport &&
        (!keel::env_unset("UID") || !keel::env_unset("GID") || !keel::env_unset("GIDLIST")))
        keel::die_sys(keel::exit_sys, "unable to modify the environment");
    keel::xexec(argv);
}
