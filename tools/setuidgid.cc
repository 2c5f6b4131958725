// setuidgid: run a program as another user: with a user name, its uid, primary gid and
// supplementary groups from the account databases; with uid:gid, those ids and no other
// group. s6-setuidgid compatible, but done in-process: UID, GID and GIDLIST are never set.
#include "keel/env.h"
#include "keel/err.h"
#include "keel/exec.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/str.h"
#include "keel/uidgid.h"

#include <cstring>
#include <string_view>

namespace {

constexpr std::string_view usage =
    "setuidgid account prog...";

constinit keel::GidList groups;

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "setuidgid";
    keel::OptParser opts(argc, argv, "");
    if (opts.next()) keel::die_usage(usage);
    argv += opts.index();
    argc -= opts.index();
    if (argc < 2) keel::die_usage(usage);
    const std::string_view account = argv[0];
    if (account.empty()) keel::xexec(argv + 1);

    keel::UserIds ids;
    if (const auto colon = account.find(':'); colon != std::string_view::npos) {
        if (!keel::scan_number(keel::head(account, colon), ids.uid) ||
            !keel::scan_number(keel::sub(account, colon + 1), ids.gid))
            keel::die_usage(usage);
    } else {
        switch (keel::find_user(argv[0], ids)) {
        case keel::Lookup::found: break;
        case keel::Lookup::unknown: keel::die(1, "unknown user: ", account);
        case keel::Lookup::error:
            keel::die_sys(keel::exit_sys, "unable to look up user ", account);
        }
        if (!keel::user_groups(argv[0], ids.gid, groups))
            keel::die_sys(keel::exit_sys, "unable to get supplementary groups for ", account);
        // s6-setuidgid passes the ids through these variables and then removes them.
        if (!keel::env_unset("UID") || !keel::env_unset("GID") || !keel::env_unset("GIDLIST"))
            keel::die_sys(keel::exit_sys, "unable to modify the environment");
    }
    keel::CredStep step;
    if (!keel::apply_creds(ids.uid, ids.gid, &groups, step))
        keel::die_sys(keel::exit_sys, "unable to ", keel::cred_step_action(step));
    keel::xexec(argv + 1);
}
