// envuidgid: look an account up in the user and group databases, put its ids into the UID,
// GID and GIDLIST environment variables, then exec into a program (s6-envuidgid compatible,
// options and quirks included: -n without -u or -g means -B). applyuidgid -U applies them.
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
    "envuidgid [ -u | -g | -B ] [ -n ] [ -i | -D uid:gid:gidlist ] account prog...";

// Which variables to set, as in s6: the default account mode sets all three.
constexpr unsigned set_uid = 1, set_gid = 2, set_gidlist = 4;
constexpr unsigned mode_account = set_uid | set_gid | set_gidlist;
constexpr unsigned mode_both = set_uid | set_gid;

struct Ids {
    uid_t uid = 0;
    gid_t gid = 0;
};

// A gid list rendered as "1,2,3": at most 10 digits and a comma per gid.
constinit char gidlist_text[keel::max_groups * 11 + 1];
constinit keel::GidList groups;

// Parses the -D argument, uid[:gid[:gidlist]], where an empty uid or gid means 0.
bool scan_defaults(std::string_view s, Ids& ids)
{
    if (s.empty()) return false;
    std::string_view u = s, g, list;
    if (const auto c1 = s.find(':'); c1 != std::string_view::npos) {
        u = keel::head(s, c1);
        g = keel::sub(s, c1 + 1);
        if (const auto c2 = g.find(':'); c2 != std::string_view::npos) {
            list = keel::sub(g, c2 + 1);
            g = keel::head(g, c2);
        }
    }
    ids = {};
    if (!u.empty() && !keel::scan_number(u, ids.uid)) return false;
    if (!g.empty() && !keel::scan_number(g, ids.gid)) return false;
    return keel::scan_gid_list(list, groups);
}

void format_gidlist()
{
    std::size_t len = 0;
    for (const gid_t g : groups.view()) {
        if (len) gidlist_text[len++] = ',';
        const keel::NumText t = keel::fmt_number(g);
        std::memcpy(gidlist_text + len, t.buf, t.len);
        len += t.len;
    }
    gidlist_text[len] = 0;
}

[[noreturn]] void die_lookup(std::string_view what, const char* name)
{
    keel::die_sys(keel::exit_sys, "unable to look up ", what, " ", name);
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "envuidgid";
    unsigned mode = mode_account;
    bool numeric = false, insist = true;
    Ids ids;
    keel::OptParser opts(argc, argv, "ugBniD:");
    while (int c = opts.next()) {
        switch (c) {
        case 'u': mode = set_uid; break;
        case 'g': mode = set_gid; break;
        case 'B': mode = mode_both; break;
        case 'n': mode &= mode_both, numeric = true; break;
        case 'i': insist = true; break;
        case 'D':
            if (!scan_defaults(opts.arg(), ids)) keel::die_usage(usage);
            insist = false;
            break;
        default: keel::die_usage(usage);
        }
    }
    argv += opts.index();
    argc -= opts.index();
    if (argc < 2) keel::die_usage(usage);

    char* user = nullptr;
    char* group = nullptr;
    if (mode == set_gid) {
        group = argv[0];
    } else {
        user = argv[0];
        if (mode == mode_both) {
            if (char* colon = std::strchr(argv[0], ':')) {
                *colon = 0;
                if (colon[1]) group = colon + 1;
                if (!*user) user = nullptr;
            }
        }
    }

    if (group) {
        switch (keel::find_group(group, ids.gid)) {
        case keel::Lookup::found: break;
        case keel::Lookup::error: die_lookup("group", group);
        case keel::Lookup::unknown:
            if (numeric && keel::scan_number(std::string_view(group), ids.gid)) break;
            if (insist) keel::die(1, "unknown group: ", group);
            break;
        }
    }
    if (user) {
        keel::UserIds u;
        switch (keel::find_user(user, u)) {
        case keel::Lookup::found:
            ids.uid = u.uid;
            if (mode == mode_account) {
                ids.gid = u.gid;
                if (!keel::user_groups(user, u.gid, groups))
                    keel::die_sys(keel::exit_sys, "unable to get supplementary groups for ", user);
            }
            break;
        case keel::Lookup::error: die_lookup("user", user);
        case keel::Lookup::unknown:
            if (numeric && keel::scan_number(std::string_view(user), ids.uid)) break;
            if (insist) keel::die(1, "unknown user: ", user);
            break;
        }
    }

    if (mode & set_uid && !keel::env_set_number("UID", ids.uid))
        keel::die_sys(keel::exit_sys, "unable to set UID");
    if (mode & set_gid && !keel::env_set_number("GID", ids.gid))
        keel::die_sys(keel::exit_sys, "unable to set GID");
    if (mode & set_gidlist) {
        format_gidlist();
        if (!keel::env_set("GIDLIST", gidlist_text))
            keel::die_sys(keel::exit_sys, "unable to set GIDLIST");
    }
    keel::xexec(argv + 1);
}
