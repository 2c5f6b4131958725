// svstat: print the state of a supervised service, read from DIR/supervise/status (written by
// supervise or s6-supervise) and DIR/down: one human-readable line, or the fields chosen with
// -uwNrpgest / -o, separated by spaces. s6-svstat compatible (2.15's output).
#include "keel/buf.h"
#include "keel/err.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/sig.h"
#include "keel/str.h"
#include "keel/svcontrol.h"
#include "keel/svstatus.h"
#include "keel/tai.h"

#include <array>
#include <cerrno>
#include <cstdint>
#include <string_view>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr std::string_view usage =
    "svstat [ -uwNrpgest | -o up,wantedup,normallyup,ready,paused,pid,pgid,exitcode,signal,"
    "signum,updownsince,readysince,updownfor,readyfor ] [ -n ] servicedir";

enum class Field {
    up, wantedup, normallyup, ready, paused, pid, exitcode, signal, signum,
    updownsince, readysince, updownfor, readyfor, pgid,
};

// In s6 2.11's order, which decides what an abbreviated -o name means.
struct FieldName {
    std::string_view name;
    Field field;
};
constexpr std::array<FieldName, 14> field_names{{
    {"up", Field::up},
    {"wantedup", Field::wantedup},
    {"normallyup", Field::normallyup},
    {"ready", Field::ready},
    {"paused", Field::paused},
    {"pid", Field::pid},
    {"exitcode", Field::exitcode},
    {"signal", Field::signal},
    {"signum", Field::signum},
    {"updownsince", Field::updownsince},
    {"readysince", Field::readysince},
    {"updownfor", Field::updownfor},
    {"readyfor", Field::readyfor},
    {"pgid", Field::pgid},
}};

constexpr std::size_t max_fields = 16;

struct Options {
    std::array<Field, max_fields> fields{};
    std::size_t n = 0;
    bool numeric = false; // -n
};

void add(Options& o, Field f)
{
    if (o.n >= max_fields) keel::die(keel::exit_usage, "too many option fields");
    o.fields[o.n++] = f;
}

// An exact name, else the first name that starts with it (s6 2.11's prefix matching).
Field find_field(std::string_view name)
{
    if (name.empty()) keel::die(keel::exit_usage, "invalid null option field");
    for (const FieldName& f : field_names)
        if (f.name == name) return f.field;
    for (const FieldName& f : field_names)
        if (f.name.starts_with(name)) return f.field;
    keel::die(keel::exit_usage, "invalid option field: ", name);
}

void add_list(Options& o, std::string_view list)
{
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        const std::string_view name = keel::head(list, comma);
        add(o, find_field(name));
        list.remove_prefix(comma == list.npos ? list.size() : comma + 1);
    }
}

Options parse(int& argc, char**& argv)
{
    Options o;
    keel::OptParser opts(argc, argv, "no:uwNrpgest");
    while (int c = opts.next()) {
        switch (c) {
        case 'n': o.numeric = true; break;
        case 'o': add_list(o, opts.arg()); break;
        case 'u': add(o, Field::up); break;
        case 'w': add(o, Field::wantedup); break;
        case 'N': add(o, Field::normallyup); break;
        case 'r': add(o, Field::ready); break;
        case 'p': add(o, Field::pid); break;
        case 'g': add(o, Field::pgid); break;
        case 'e': add(o, Field::exitcode); break;
        case 's': add(o, Field::signal); break;
        case 't': add(o, Field::updownfor); break;
        default: keel::die_usage(usage);
        }
    }
    argv += opts.index();
    argc -= opts.index();
    if (argc < 1) keel::die_usage(usage);
    return o;
}

struct View {
    keel::sv::Status st;
    keel::Tai64n now;
    bool normallyup;
};

void put(keel::Writer& out, std::string_view s)
{
    if (!out.put(s)) keel::die_sys(keel::exit_sys, "unable to write to stdout");
}

template <class T>
void put_number(keel::Writer& out, T v)
{
    put(out, keel::fmt_number(v));
}

void put_signal(keel::Writer& out, int sig)
{
    put(out, keel::sig_text(sig));
}

// The death details, meaningful only when down after a death (not before the first start).
bool died(const keel::sv::Status& st) { return !st.up() && !st.not_started(); }
int exitcode(const keel::sv::Status& st)
{
    return died(st) && WIFEXITED(st.wstat) ? WEXITSTATUS(st.wstat) : -1;
}
int signum(const keel::sv::Status& st)
{
    return died(st) && WIFSIGNALED(st.wstat) ? WTERMSIG(st.wstat) : -1;
}

void put_field(keel::Writer& out, Field f, const View& v)
{
    const keel::sv::Status& st = v.st;
    const auto flag = [&](bool b) { put(out, b ? "true" : "false"); };
    char stamp[keel::tai64n_text_len];
    switch (f) {
    case Field::up: flag(st.up()); break;
    case Field::wantedup: flag(st.wantup); break;
    case Field::normallyup: flag(v.normallyup); break;
    case Field::ready: flag(st.ready_now()); break;
    case Field::paused: flag(st.paused && st.pid); break;
    case Field::pid:
        if (st.up()) put_number(out, st.pid);
        else put(out, "-1");
        break;
    case Field::pgid:
        if (st.up()) put_number(out, st.pgid ? st.pgid : st.pid);
        else put(out, "-1");
        break;
    case Field::exitcode: put_number(out, exitcode(st)); break;
    case Field::signal:
        if (signum(st) < 0) put(out, "NA");
        else put_signal(out, signum(st));
        break;
    case Field::signum: put_number(out, signum(st)); break;
    case Field::updownsince: put(out, keel::tai_fmt(st.stamp, stamp)); break;
    case Field::readysince: put(out, keel::tai_fmt(st.readystamp, stamp)); break;
    case Field::updownfor: put_number(out, keel::tai_seconds_since(st.stamp, v.now)); break;
    case Field::readyfor: put_number(out, keel::tai_seconds_since(st.readystamp, v.now)); break;
    }
}

void put_human(keel::Writer& out, const View& v, bool numeric)
{
    const keel::sv::Status& st = v.st;
    const bool up = st.up();
    if (up) {
        put(out, "up (pid ");
        put_number(out, st.pid);
        put(out, " pgid ");
        put_number(out, st.pgid ? st.pgid : st.pid);
        put(out, ")");
    } else if (st.not_started()) {
        put(out, "down (not started yet)");
    } else {
        put(out, "down (");
        if (WIFSIGNALED(st.wstat)) {
            put(out, "signal ");
            if (numeric) put_number(out, WTERMSIG(st.wstat));
            else put_signal(out, WTERMSIG(st.wstat));
        } else {
            put(out, "exitcode ");
            put_number(out, WEXITSTATUS(st.wstat));
        }
        put(out, ")");
    }
    if (!st.not_started()) {
        put(out, " ");
        put_number(out, keel::tai_seconds_since(st.stamp, v.now));
        put(out, " seconds");
    }
    if (up && !v.normallyup) put(out, ", normally down");
    if (!up && v.normallyup) put(out, ", normally up");
    if (up && st.paused) put(out, ", paused");
    if (!up && st.wantup) put(out, ", want up");
    if (up && !st.wantup) put(out, ", want down");
    if (st.ready && !st.not_started()) {
        put(out, ", ready ");
        put_number(out, keel::tai_seconds_since(st.readystamp, v.now));
        put(out, " seconds");
    }
}

[[noreturn]] void die_status(const char* dir)
{
    keel::die(keel::exit_sys, "unable to read status for ", dir, ": ",
              keel::sv::status_error(errno));
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "svstat";
    const Options o = parse(argc, argv);
    const char* dir = argv[0];

    const int r = keel::sv::supervised(dir);
    if (r < 0) keel::die_sys(keel::exit_sys, "unable to check ", dir);
    if (!r) keel::die(1, "unable to read status for ", dir, ": supervise not running");
    View v;
    if (!keel::sv::status_read(dir, v.st)) die_status(dir);
    v.now = keel::tai_now();
    v.st.stamp = keel::tai_sane(v.st.stamp, v.now);
    v.st.readystamp = keel::tai_sane(v.st.readystamp, v.now);

    keel::PathBuf<> down;
    if (!down.set(dir, "/down")) keel::die_sys(keel::exit_sys, "unable to access ", dir, "/down");
    if (access(down.c_str(), F_OK) == 0) v.normallyup = false;
    else if (errno == ENOENT) v.normallyup = true;
    else keel::die_sys(keel::exit_sys, "unable to access ", down.view());

    keel::BufWriter<512> out(1);
    if (!o.n) put_human(out, v, o.numeric);
    for (std::size_t i = 0; i < o.n; ++i) {
        if (i) put(out, " ");
        put_field(out, o.fields[i], v);
    }
    put(out, "\n");
    if (!out.flush()) keel::die_sys(keel::exit_sys, "unable to write to stdout");
    return 0;
}
