// svtree: the state of every service of a scan directory, and of each one's log/ subservice:
// one aligned line per service for people, or one JSON object per line with -j. Reads each
// NAME/supervise/lock (is a supervisor running?), supervise/status, supervise/death_tally and
// NAME/down; changes nothing. Exit 0 if every service wanted up is up, 1 otherwise.
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

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <string_view>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr std::string_view usage = "svtree [ -j ] scandir";

constexpr int exit_unhealthy = 1;

enum class State : unsigned char { up, paused, down, finishing, unsupervised, error };
constexpr std::array<std::string_view, 6> state_names{
    "up", "paused", "down", "finishing", "unsupervised", "error"};

// What failed for an error line; the message is built when printed.
enum class Fail : unsigned char { none, stat, lock, down, status };

// One service (or logger) of the tree, with what was read about it.
struct Entry {
    std::uint32_t name_off = 0; // the scandir entry name, in the name pool
    std::uint32_t name_len = 0;
    bool log = false;           // this is NAME/log
    State state = State::error;
    Fail fail = Fail::none;
    int err = 0;
    signed char normallyup = -1; // -1: unknown (stat failed, or the down check did)
    bool died = false;           // st.wstat tells how run last ended
    keel::sv::Status st{};
};

// The scandir entry names: their bytes one after the other in pool, and one Entry per name
// in list, which says only where its name is (entries are copied from there).
struct Names {
    char* pool = nullptr;
    std::size_t used = 0, cap = 0;
    Entry* list = nullptr; // sorted by name once read
    std::size_t n = 0, ncap = 0;
};

[[noreturn]] void die_nomem() { keel::die_sys(keel::exit_sys, "unable to allocate memory"); }

void add_name(Names& ns, std::string_view name)
{
    if (ns.used + name.size() > ns.cap) {
        std::size_t cap = ns.cap ? ns.cap * 2 : 4096;
        while (cap < ns.used + name.size()) cap *= 2;
        auto* p = static_cast<char*>(std::realloc(ns.pool, cap));
        if (!p) die_nomem();
        ns.pool = p;
        ns.cap = cap;
    }
    if (ns.n == ns.ncap) {
        const std::size_t cap = ns.ncap ? ns.ncap * 2 : 64;
        auto* p = static_cast<Entry*>(std::realloc(ns.list, cap * sizeof(Entry)));
        if (!p) die_nomem();
        ns.list = p;
        ns.ncap = cap;
    }
    std::memcpy(ns.pool + ns.used, name.data(), name.size());
    Entry e;
    e.name_off = static_cast<std::uint32_t>(ns.used);
    e.name_len = static_cast<std::uint32_t>(name.size());
    ns.list[ns.n++] = e;
    ns.used += name.size();
}

std::string_view name_of(const Names& ns, const Entry& e)
{
    return {ns.pool + e.name_off, e.name_len};
}

// Reads the names of the current directory (SCANDIR) that do not start with a dot, sorted.
void read_names(DIR* d, const char* scandir, Names& ns)
{
    for (;;) {
        errno = 0;
        const dirent* de = readdir(d);
        if (!de) {
            if (errno) keel::die_sys(keel::exit_sys, "unable to read ", scandir);
            break;
        }
        if (de->d_name[0] != '.') add_name(ns, de->d_name);
    }
    std::sort(ns.list, ns.list + ns.n, [&ns](const Entry& a, const Entry& b) {
        return name_of(ns, a) < name_of(ns, b);
    });
}

// 1: path is a directory (symlinks followed); 0: it is something else, or nothing (a dangling
// symlink, or removed meanwhile); -1: stat failed otherwise (errno).
int is_dir(const char* path)
{
    struct stat s;
    if (stat(path, &s) == 0) return S_ISDIR(s.st_mode) ? 1 : 0;
    return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
}

void failed(Entry& e, Fail f)
{
    e.fail = f;
    e.err = errno;
    e.state = State::error;
}

// Fills e from the service directory dir (relative to SCANDIR).
void inspect(const char* dir, Entry& e)
{
    keel::PathBuf<> down;
    if (down.set(dir, "/down") && access(down.c_str(), F_OK) == 0) e.normallyup = 0;
    else if (errno == ENOENT) e.normallyup = 1;
    else return failed(e, Fail::down);

    const int r = keel::sv::supervised(dir);
    if (r < 0) return failed(e, Fail::lock);
    if (!r) {
        e.state = State::unsupervised;
        return;
    }
    if (!keel::sv::status_read(dir, e.st)) return failed(e, Fail::status);
    const keel::sv::Status& st = e.st;
    if (st.up()) e.state = st.paused ? State::paused : State::up;
    else e.state = st.finishing ? State::finishing : State::down;
    if (st.not_started()) {
        e.died = false;
    } else if (st.wstat) {
        e.died = true;
    } else {
        // An empty wait status: run either never died since its supervisor started (which
        // empties the death tally; s6 2.11 marks no "not started yet") or last exited 0.
        keel::sv::TallyReader tally;
        keel::sv::Death d;
        e.died = tally.open(dir, 1) && tally.next(d) == 1;
    }
}

// A service is healthy when it runs or is not wanted up; a directory without a supervisor
// when it is normally down; an error never.
bool healthy(const Entry& e)
{
    switch (e.state) {
    case State::up:
    case State::paused: return true;
    case State::down:
    case State::finishing: return !e.st.wantup;
    case State::unsupervised: return e.normallyup == 0;
    case State::error: return false;
    }
    return false;
}

// --- time ---------------------------------------------------------------------------------

// --- output -------------------------------------------------------------------------------

void put(keel::Writer& out, std::string_view s)
{
    if (!out.put(s)) keel::die_sys(keel::exit_sys, "unable to write to stdout");
}

// A short piece of text built in place (a table cell, a duration).
struct Text {
    char buf[48];
    std::size_t len = 0;
    void add(std::string_view s)
    {
        const std::size_t n = std::min(s.size(), sizeof buf - len);
        std::memcpy(buf + len, s.data(), n);
        len += n;
    }
    void add2(std::uint64_t v) // two digits at least
    {
        if (v < 10) add("0");
        add(keel::fmt_number(v));
    }
    [[nodiscard]] std::string_view view() const { return {buf, len}; }
};

// 5s, 3m07s, 2h05m, 4d03h.
Text duration(std::uint64_t s)
{
    Text t;
    if (s < 60) {
        t.add(keel::fmt_number(s));
        t.add("s");
    } else if (s < 3600) {
        t.add(keel::fmt_number(s / 60));
        t.add("m");
        t.add2(s % 60);
        t.add("s");
    } else if (s < 86400) {
        t.add(keel::fmt_number(s / 3600));
        t.add("h");
        t.add2(s / 60 % 60);
        t.add("m");
    } else {
        t.add(keel::fmt_number(s / 86400));
        t.add("d");
        t.add2(s / 3600 % 24);
        t.add("h");
    }
    return t;
}

unsigned char ubyte(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }

// The length of the valid UTF-8 sequence at the start of s (2 to 4), or 0 if there is none
// (overlong forms, surrogates and code points beyond U+10FFFF are invalid).
std::size_t utf8_seq(std::string_view s)
{
    const auto cont = [&](std::size_t i, unsigned lo = 0x80, unsigned hi = 0xbf) {
        return i < s.size() && ubyte(s, i) >= lo && ubyte(s, i) <= hi;
    };
    const unsigned c = ubyte(s, 0);
    if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        const unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        return cont(1, lo, hi) && cont(2) ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        const unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
}

constexpr char hexdigits[] = "0123456789abcdef";

// Writes name as people read it (to out, if not null); returns its width in columns.
// Backslash, tab and newline become \\, \t and \n; other control bytes, C1 controls and bytes
// of invalid UTF-8 become \xHH; a valid UTF-8 character counts as one column.
std::size_t put_human_name(keel::Writer* out, std::string_view name)
{
    std::size_t width = 0;
    const auto emit = [&](std::string_view s, std::size_t w) {
        if (out) put(*out, s);
        width += w;
    };
    const auto hex = [&](unsigned char c) {
        const char e[4] = {'\\', 'x', hexdigits[c >> 4], hexdigits[c & 15]};
        emit({e, 4}, 4);
    };
    for (std::size_t i = 0; i < name.size();) {
        const auto c = static_cast<unsigned char>(name[i]);
        std::size_t n = 1;
        if (c == '\\') emit("\\\\", 2);
        else if (c == '\n') emit("\\n", 2);
        else if (c == '\t') emit("\\t", 2);
        else if (c < 0x20 || c == 0x7f) hex(c);
        else if (c < 0x80) emit(keel::sub(name, i, 1), 1);
        else if ((n = utf8_seq(keel::sub(name, i))) && !(c == 0xc2 && ubyte(name, i + 1) < 0xa0))
            emit(keel::sub(name, i, n), 1);
        else // invalid, or a C1 control (U+0080..U+009F): its bytes
            for (std::size_t k = 0; k < (n ? n : 1); ++k) hex(ubyte(name, i + k));
        i += n ? n : 1;
    }
    return width;
}

// The JSON string of name and suffix, quotes included: valid UTF-8 as is, '"' and '\'
// escaped, control bytes and each byte of invalid UTF-8 as \u00XX.
void put_json_string(keel::Writer& out, std::string_view name, std::string_view suffix = {})
{
    put(out, "\"");
    for (std::size_t i = 0; i < name.size();) {
        const auto c = static_cast<unsigned char>(name[i]);
        std::size_t n = 1;
        if (c == '"' || c == '\\') {
            const char e[2] = {'\\', static_cast<char>(c)};
            put(out, {e, 2});
        } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !(n = utf8_seq(keel::sub(name, i))))) {
            const char e[6] = {'\\', 'u', '0', '0', hexdigits[c >> 4], hexdigits[c & 15]};
            put(out, {e, 6});
            n = 1;
        } else {
            put(out, keel::sub(name, i, n));
        }
        i += n;
    }
    put(out, suffix);
    put(out, "\"");
}

// The message of an error line.
struct Message {
    std::string_view what, why;
};
Message message(const Entry& e)
{
    switch (e.fail) {
    case Fail::none: break;
    case Fail::stat: return {"unable to stat: ", strerror(e.err)};
    case Fail::lock: return {"unable to check supervise/lock: ", strerror(e.err)};
    case Fail::down: return {"unable to check down: ", strerror(e.err)};
    case Fail::status: return {"unable to read status: ", keel::sv::status_error(e.err)};
    }
    return {"", ""};
}

// How run last ended: "exit N" or the signal's name; empty if unknown.
Text last_exit(const Entry& e)
{
    Text t;
    if (!e.died) return t;
    if (WIFSIGNALED(e.st.wstat)) {
        t.add(keel::sig_text(WTERMSIG(e.st.wstat)));
    } else {
        t.add("exit ");
        t.add(keel::fmt_number(WEXITSTATUS(e.st.wstat)));
    }
    return t;
}

bool has_status(const Entry& e)
{
    return e.state != State::unsupervised && e.state != State::error;
}

// The columns after NAME, as text.
constexpr std::size_t ncols = 7;
constexpr std::array<std::string_view, ncols + 1> header{
    "NAME", "STATE", "PID", "TIME", "READY", "WANT", "NORMALLY", "LASTEXIT"};

struct Row {
    std::array<Text, ncols> cell;
    Message msg{};
};

Row row_of(const Entry& e, const keel::Tai64n& now)
{
    Row r;
    for (Text& t : r.cell) t.add("-");
    const auto set = [&](std::size_t i, std::string_view s) {
        r.cell[i].len = 0;
        r.cell[i].add(s);
    };
    set(0, state_names[static_cast<std::size_t>(e.state)]);
    if (e.normallyup >= 0) set(5, e.normallyup ? "up" : "down");
    if (e.state == State::error) {
        r.msg = message(e);
        return r;
    }
    if (!has_status(e)) return r;
    const keel::sv::Status& st = e.st;
    if (st.up()) {
        set(1, keel::fmt_number(st.pid));
        set(3, st.ready ? "yes" : "no");
    }
    r.cell[2] = duration(keel::tai_seconds_since(keel::tai_sane(st.stamp, now), now));
    set(4, st.wantup ? "up" : "down");
    if (e.died) r.cell[6] = last_exit(e);
    return r;
}

void print_human(keel::Writer& out, const Names& ns, const Entry* es, std::size_t n,
                 const keel::Tai64n& now)
{
    std::array<std::size_t, ncols + 1> width{};
    for (std::size_t c = 0; c <= ncols; ++c) width[c] = header[c].size();
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t w = put_human_name(nullptr, name_of(ns, es[i])) + (es[i].log ? 4 : 0);
        width[0] = std::max(width[0], w);
        const Row r = row_of(es[i], now);
        for (std::size_t c = 0; c < ncols; ++c)
            width[c + 1] = std::max(width[c + 1], r.cell[c].len);
    }
    const auto pad = [&](std::size_t used, std::size_t w) {
        for (; used < w + 2; ++used) put(out, " ");
    };
    for (std::size_t c = 0; c <= ncols; ++c) {
        put(out, header[c]);
        if (c < ncols) pad(header[c].size(), width[c]);
    }
    put(out, "\n");
    for (std::size_t i = 0; i < n; ++i) {
        const Entry& e = es[i];
        std::size_t w = put_human_name(&out, name_of(ns, e));
        if (e.log) {
            put(out, "/log");
            w += 4;
        }
        pad(w, width[0]);
        const Row r = row_of(e, now);
        for (std::size_t c = 0; c < ncols - 1; ++c) {
            put(out, r.cell[c].view());
            pad(r.cell[c].len, width[c + 1]);
        }
        if (e.state == State::error) {
            put(out, r.msg.what);
            put(out, r.msg.why);
        } else {
            put(out, r.cell[ncols - 1].view());
        }
        put(out, "\n");
    }
}

void put_key(keel::Writer& out, std::string_view key)
{
    put(out, ",\"");
    put(out, key);
    put(out, "\":");
}

template <class T>
void put_num(keel::Writer& out, std::string_view key, bool known, T v)
{
    put_key(out, key);
    put(out, known ? keel::fmt_number(v).view() : "null");
}

void put_bool(keel::Writer& out, std::string_view key, bool known, bool v)
{
    put_key(out, key);
    put(out, !known ? "null" : v ? "true" : "false");
}

// The Unix time of a (sane) stamp, in seconds.
bool unix_time(const keel::Tai64n& t, std::int64_t& out)
{
    timespec ts;
    if (!keel::tai_to_unix(t, ts)) return false;
    out = ts.tv_sec;
    return true;
}

void print_json(keel::Writer& out, const Names& ns, const Entry& e, const keel::Tai64n& now)
{
    const keel::sv::Status& st = e.st;
    const bool s = has_status(e);
    const bool up = s && st.up(), ready = up && st.ready;
    put(out, "{\"name\":");
    put_json_string(out, name_of(ns, e), e.log ? "/log" : "");
    put(out, ",\"state\":\"");
    put(out, state_names[static_cast<std::size_t>(e.state)]);
    put(out, "\"");
    put_bool(out, "healthy", true, healthy(e));
    put_bool(out, "supervised", e.state != State::error || e.fail == Fail::status,
             e.state != State::unsupervised);
    put_bool(out, "up", s, up);
    put_num(out, "pid", up, st.pid);
    const keel::Tai64n stamp = keel::tai_sane(st.stamp, now);
    const keel::Tai64n readystamp = keel::tai_sane(st.readystamp, now);
    std::int64_t since = 0, readysince = 0;
    const bool since_ok = s && unix_time(stamp, since);
    const bool readysince_ok = ready && unix_time(readystamp, readysince);
    put_num(out, "seconds", s, keel::tai_seconds_since(stamp, now));
    put_num(out, "since", since_ok, since);
    put_bool(out, "ready", s, ready);
    put_num(out, "readyseconds", ready, keel::tai_seconds_since(readystamp, now));
    put_num(out, "readysince", readysince_ok, readysince);
    put_bool(out, "wantup", s, st.wantup);
    put_bool(out, "normallyup", e.normallyup >= 0, e.normallyup == 1);
    put_bool(out, "paused", s, up && st.paused);
    const bool died = s && e.died;
    const bool sig = died && WIFSIGNALED(st.wstat);
    put_num(out, "exitcode", died && !sig, WEXITSTATUS(st.wstat));
    put_key(out, "signal");
    if (sig) put_json_string(out, last_exit(e).view());
    else put(out, "null");
    put_num(out, "signum", sig, WTERMSIG(st.wstat));
    put_key(out, "error");
    if (e.state == State::error) {
        const Message m = message(e);
        put_json_string(out, m.what, m.why);
    } else {
        put(out, "null");
    }
    put(out, "}\n");
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "svtree";
    bool json = false;
    keel::OptParser opts(argc, argv, "j");
    while (int c = opts.next()) {
        switch (c) {
        case 'j': json = true; break;
        default: keel::die_usage(usage);
        }
    }
    if (argc - opts.index() != 1) keel::die_usage(usage);
    const char* scandir = argv[opts.index()];

    DIR* d = opendir(scandir);
    if (!d) keel::die_sys(keel::exit_sys, "unable to open ", scandir);
    // Service dirs are then named relative to SCANDIR: no path to build, no length limit.
    if (fchdir(dirfd(d)) < 0) keel::die_sys(keel::exit_sys, "unable to chdir to ", scandir);
    Names ns;
    read_names(d, scandir, ns);
    closedir(d);

    // At most two entries (NAME, NAME/log) per name.
    auto* es = static_cast<Entry*>(std::malloc((2 * ns.n + 1) * sizeof(Entry)));
    if (!es) die_nomem();
    std::size_t n = 0;
    keel::PathBuf<> path;
    for (std::size_t i = 0; i < ns.n; ++i) {
        Entry e = ns.list[i];
        const std::string_view name = name_of(ns, e);
        if (!path.set(name)) keel::die_sys(keel::exit_sys, "unable to stat ", name);
        const int r = is_dir(path.c_str());
        if (r == 0) continue;
        if (r < 0) failed(e, Fail::stat);
        else inspect(path.c_str(), e);
        es[n++] = e;
        if (r < 0 || !path.append("/log")) continue;
        Entry l = ns.list[i];
        l.log = true;
        const int lr = is_dir(path.c_str());
        if (lr == 0) continue;
        if (lr < 0) failed(l, Fail::stat);
        else inspect(path.c_str(), l);
        es[n++] = l;
    }
    const keel::Tai64n now = keel::tai_now();

    keel::BufWriter<8192> out(1);
    if (json) {
        for (std::size_t i = 0; i < n; ++i) print_json(out, ns, es[i], now);
    } else {
        print_human(out, ns, es, n, now);
    }
    if (!out.flush()) keel::die_sys(keel::exit_sys, "unable to write to stdout");
    int code = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (!healthy(es[i])) code = exit_unhealthy;
    std::free(es);
    std::free(ns.list);
    std::free(ns.pool);
    return code;
}
