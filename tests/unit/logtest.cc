// Unit tests of svlog's library pieces (keel/growbuf.h, keel/logscript.h, keel/logdir.h), one
// section per run: "logtest SECTION". A failed check prints "file:line: CHECK failed: expr";
// the exit code is 0 if every check passed, 1 otherwise, 2 for an unknown section. Each
// section works in a scratch directory of its own. Test code: std::string and std::vector are
// fine here.
#include "check.h"
#include "keel/growbuf.h"
#include "keel/logdir.h"
#include "keel/logscript.h"
#include "keel/loop.h"
#include "keel/tai.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <initializer_list>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace std::literals;

std::string slurp(const std::string& path)
{
    std::string s;
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return s;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
    close(fd);
    return s;
}

bool write_file(const std::string& path, std::string_view content, mode_t mode = 0644)
{
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    const bool ok = write(fd, content.data(), content.size())
            == static_cast<ssize_t>(content.size())
        && fchmod(fd, mode) == 0;
    return close(fd) == 0 && ok;
}

bool exists(const std::string& path)
{
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
}

mode_t mode_of(const std::string& path)
{
    struct stat st;
    return lstat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

// The names in dir matching keel::log_archive_name, sorted (oldest first).
std::vector<std::string> archives(const std::string& dir)
{
    std::vector<std::string> v;
    DIR* d = opendir(dir.c_str());
    if (!d) return v;
    while (const dirent* e = readdir(d))
        if (keel::log_archive_name(e->d_name)) v.emplace_back(e->d_name);
    closedir(d);
    std::sort(v.begin(), v.end());
    return v;
}

// The content of every archive (oldest first), then current.
std::string all_logs(const std::string& dir)
{
    std::string s;
    for (const std::string& a : archives(dir)) s += slurp(dir + "/" + a);
    return s + slurp(dir + "/current");
}

// Directives as a mutable argv.
struct Args {
    std::vector<std::string> words;
    std::vector<char*> ptrs;
    Args(std::initializer_list<const char*> a) : words(a.begin(), a.end())
    {
        for (std::string& w : words) ptrs.push_back(w.data());
    }
    std::span<char* const> span() const { return {ptrs.data(), ptrs.size()}; }
};

void queue_line(keel::Logdir& d, std::string_view line)
{
    char* p = d.queue().reserve(line.size() + 1);
    if (!p) {
        CHECK(d.queue().grow(line.size() + 1));
        p = d.queue().reserve(line.size() + 1);
    }
    std::memcpy(p, line.data(), line.size());
    p[line.size()] = '\n';
    d.queue().commit(line.size() + 1);
}

// "L0000 xxx...": n lines of len bytes each, newline included.
std::string lines(int first, int n, std::size_t len = 100)
{
    std::string s;
    for (int i = first; i < first + n; ++i) {
        char head[16];
        std::snprintf(head, sizeof head, "L%05d ", i);
        std::string l = head;
        l.resize(len - 1, 'x');
        s += l + "\n";
    }
    return s;
}

void queue_text(keel::Logdir& d, std::string_view text)
{
    while (!text.empty()) {
        const auto nl = text.find('\n');
        queue_line(d, text.substr(0, nl));
        text.remove_prefix(nl + 1);
    }
}

// Runs work() until it is done (or the deadline passes); the last result.
keel::LogWork work_until_done(keel::Logdir& d, std::int64_t ms = 5000)
{
    const std::int64_t end = keel::mono_now_ms() + ms;
    keel::LogWork r;
    while ((r = d.work(keel::mono_now_ms())) != keel::LogWork::done && keel::mono_now_ms() < end) {
        if (d.processor_pid()) {
            int ws;
            if (waitpid(d.processor_pid(), &ws, 0) == d.processor_pid())
                (void)d.processor_exited(ws);
        } else {
            usleep(1000);
        }
    }
    return r;
}

// ---------------------------------------------------------------------------------------------

void test_growbuf()
{
    keel::GrowBuf b;
    CHECK(b.init(8));
    CHECK(b.empty() && b.capacity() == 8 && b.room() == 8);
    char* p = b.reserve(5);
    CHECK(p != nullptr);
    std::memcpy(p, "hello", 5);
    b.commit(5);
    CHECK(b.data() == "hello");
    CHECK(b.reserve(4) == nullptr); // 3 free
    CHECK(b.size() == 5);
    b.consume(3);
    CHECK(b.data() == "lo" && b.room() == 6);
    p = b.reserve(6); // compacts
    CHECK(p != nullptr);
    std::memcpy(p, "abcdef", 6);
    b.commit(6);
    CHECK(b.data() == "loabcdef" && b.room() == 0);
    CHECK(b.grow(10));
    CHECK(b.capacity() >= 18 && b.data() == "loabcdef");
    b.consume(100);
    CHECK(b.empty() && b.room() == b.capacity());
    b.clear();
    CHECK(b.data().empty());
}

void test_script()
{
    using E = keel::LogScriptError;
    auto parse = [](std::initializer_list<const char*> a, E want, const char* arg = nullptr,
                    bool extraneous = false) {
        Args args(a);
        keel::LogScript s;
        const keel::LogScriptStatus st = s.parse(args.span());
        bool ok = st.error == want && st.extraneous == extraneous;
        if (arg) ok = ok && st.arg && std::strcmp(st.arg, arg) == 0;
        if (!ok)
            std::fprintf(stderr, "parse %s: error %d arg %s extraneous %d\n", *a.begin(),
                         static_cast<int>(st.error), st.arg ? st.arg : "-", st.extraneous);
        return ok;
    };
    CHECK(parse({"1"}, E::none));
    CHECK(parse({"e"}, E::unrecognized, "e"));
    CHECK(parse({""}, E::unrecognized, ""));
    CHECK(parse({"1", "t1"}, E::syntax, "t1"));
    CHECK(parse({"T1", "1"}, E::syntax, "T1"));
    CHECK(parse({"f1", "1"}, E::syntax, "f1"));
    CHECK(parse({"1x"}, E::syntax, "1x"));
    CHECK(parse({"2x"}, E::syntax, "2x"));
    CHECK(parse({"="}, E::syntax, "="));
    CHECK(parse({"n5"}, E::no_action));
    CHECK(parse({"+x"}, E::no_action));
    CHECK(parse({"1", "+x"}, E::none, nullptr, true));
    CHECK(parse({"1", "n5"}, E::none));
    CHECK(parse({"1", "+a("}, E::unrecognized, "+a(", true));
    CHECK(parse({"ns", "1"}, E::unrecognized, "ns"));
    CHECK(parse({"n", "1"}, E::unrecognized, "n"));
    CHECK(parse({"n-1", "1"}, E::unrecognized, "n-1"));
    CHECK(parse({"n+1", "1"}, E::unrecognized, "n+1"));
    CHECK(parse({"n01", "1"}, E::none));
    CHECK(parse({"s99999999999", "1"}, E::unrecognized));
    CHECK(parse({"S18446744073709551615", "1"}, E::none));
    CHECK(parse({"S18446744073709551616", "1"}, E::unrecognized));
    // Letters and syntax are checked first, whatever the order.
    CHECK(parse({"ns", "e", "1"}, E::unrecognized, "e"));
    CHECK(parse({"ns", "t1", "1"}, E::syntax, "t1"));
    // l against the s in force (clamped to 4096 at least).
    CHECK(parse({"s4096", "l2048", "1"}, E::none));
    CHECK(parse({"s4096", "l2049", "1"}, E::conflict, "l2049"));
    CHECK(parse({"s100", "l2049", "1"}, E::conflict, "l2049"));
    CHECK(parse({"l2049", "s4096", "1"}, E::none));
    CHECK(parse({"l50000", "1"}, E::conflict, "l50000"));
    CHECK(parse({"!", "?", "p", "1"}, E::none));

    // What the directives set.
    Args a({"n3", "s100", "S5000", "l7", "r50", "R9", "?gzip", "t", "pPFX", "./a", "s300000000",
            "!", "T", "p", "/b", "E7", "2", "^20", "t", "=st", "1"});
    keel::LogScript s;
    CHECK(s.parse(a.span()).error == E::none);
    CHECK(s.logdirs().size() == 2 && s.actions().size() == 5 && s.elements().size() == 1);
    CHECK(s.stamps() && !s.selects());
    const keel::LogdirConfig& d0 = s.logdirs()[0];
    CHECK(d0.keep == 3 && d0.max_size == 4096 && d0.max_total == 5000 && d0.tolerance == 7);
    CHECK(d0.retry_ms == 50 && d0.period_s == 9 && d0.dir == "./a"sv);
    CHECK(d0.processor.path == "/bin/sh"sv && d0.processor.flag == "-c"sv
          && d0.processor.cmd == "gzip"sv);
    const keel::LogdirConfig& d1 = s.logdirs()[1];
    CHECK(d1.max_size == 268435455 && d1.processor.path == nullptr && d1.dir == "/b"sv);
    const auto acts = s.actions();
    CHECK(acts[0].kind == keel::LogActKind::logdir && acts[0].tai && !acts[0].iso
          && acts[0].prefix == "PFX" && acts[0].logdir == 0);
    CHECK(acts[1].kind == keel::LogActKind::logdir && !acts[1].tai && acts[1].iso
          && acts[1].prefix.empty() && acts[1].logdir == 1);
    CHECK(acts[2].kind == keel::LogActKind::alert && acts[2].limit == 7 && !acts[2].tai);
    CHECK(acts[3].kind == keel::LogActKind::status && acts[3].limit == 20 && acts[3].tai
          && acts[3].file == "st"sv);
    CHECK(acts[4].kind == keel::LogActKind::out && !acts[4].tai);
    // Defaults.
    Args b({"./x", "2", "=f"});
    keel::LogScript s2;
    CHECK(s2.parse(b.span()).error == E::none);
    const keel::LogdirConfig& dd = s2.logdirs()[0];
    CHECK(dd.keep == 10 && dd.max_size == 99999 && dd.max_total == 0 && dd.tolerance == 2000);
    CHECK(dd.retry_ms == 2000 && dd.period_s == 0 && !dd.processor.path);
    CHECK(s2.actions()[1].limit == 200 && s2.actions()[2].limit == 1001 && !s2.stamps());

    // execlineb: found in PATH, or an error.
    const char* path = std::getenv("PATH");
    const std::string saved = path ? path : "";
    const std::string bin = tmp + "/bin";
    mkdir(bin.c_str(), 0755);
    setenv("PATH", bin.c_str(), 1);
    CHECK(parse({"!gzip", "./x"}, E::no_execline, "!gzip"));
    CHECK(parse({"!", "./x"}, E::none));
    CHECK(write_file(bin + "/execlineb", "#!/bin/sh\n", 0755));
    {
        Args c({"!gzip", "./x"});
        keel::LogScript s3;
        CHECK(s3.parse(c.span()).error == E::none);
        CHECK(s3.logdirs()[0].processor.path == bin + "/execlineb");
        CHECK(s3.logdirs()[0].processor.flag == "-Pc"sv);
    }
    setenv("PATH", saved.c_str(), 1);
}

// The actions chosen for each line of lines, as "line:indices" strings.
std::vector<std::string> chosen(std::initializer_list<const char*> script,
                                std::initializer_list<const char*> lines)
{
    Args a(script);
    keel::LogScript s;
    std::vector<std::string> out;
    if (s.parse(a.span()).error != keel::LogScriptError::none) return {"parse error"};
    std::vector<std::uint32_t> idx(s.actions().size() + 1);
    for (const char* l : lines) {
        const std::size_t n = s.select(l, idx);
        std::string r = l;
        r += ":";
        for (std::size_t i = 0; i < n; ++i) r += std::to_string(idx[i]);
        out.push_back(r);
    }
    return out;
}

void test_select()
{
    using V = std::vector<std::string>;
    // Lines start selected.
    CHECK(chosen({"1"}, {"a"}) == (V{"a:0"}));
    CHECK(chosen({"+x", "1"}, {"a", "x"}) == (V{"a:0", "x:0"}));
    CHECK(chosen({"-", "+x", "1"}, {"a", "x"}) == (V{"a:", "x:0"}));
    CHECK(chosen({"-x", "1"}, {"a", "x"}) == (V{"a:0", "x:"}));
    // f: only lines no action took; the flag carries over between elements.
    CHECK(chosen({"-", "+fatal", "2", "-", "+^STAT", "=st", "f", "./d"},
                 {"info", "fatal: x", "STAT ok", "fatal STAT"})
          == (V{"info:2", "fatal: x:0", "STAT ok:1", "fatal STAT:0"}));
    CHECK(chosen({"+x", "1", "-y", "1", "f", "1", "-", "+b", "1"}, {"a x", "b y", "c x y"})
          == (V{"a x:01", "b y:03", "c x y:0"}));
    CHECK(chosen({"-", "+x", "1", "+y", "1"}, {"x", "y", "z"}) == (V{"x:01", "y:1", "z:"}));
    CHECK(chosen({"-", "1", "+x", "1"}, {"x", "y"}) == (V{"x:1", "y:"}));
    CHECK(chosen({"f", "1", "f", "1"}, {"a"}) == (V{"a:0"}));
    // Extended REs, unanchored, on the line up to its first NUL.
    CHECK(chosen({"-", "+^a(b|c)+$", "1"}, {"abcb", "abd", "xabc"})
          == (V{"abcb:0", "abd:", "xabc:"}));
    CHECK(chosen({"-", "+b", "1"}, {"abc"}) == (V{"abc:0"}));
}

void test_compose()
{
    Args a({"t", "T", "pPFX", "1", "t", "1", "T", "1", "pQ R", "1", "p", "1"});
    keel::LogScript s;
    CHECK(s.parse(a.span()).error == keel::LogScriptError::none);
    keel::LineStamps st;
    st.take();
    const std::string tai(st.tai());
    const std::string iso(st.iso());
    // TAI64N: "@4000..." + 24 lowercase hex + space, close to tai_now().
    CHECK(tai.size() == 26 && tai[0] == '@' && tai[25] == ' ');
    keel::Tai64n t;
    CHECK(keel::tai_scan(std::string_view(tai).substr(0, 25), t));
    const keel::Tai64n now = keel::tai_now();
    CHECK(t.sec <= now.sec && now.sec - t.sec <= 2);
    CHECK(tai.find_first_of("ABCDEF") == std::string::npos);
    // The same instant in local time: YYYY-MM-DD HH:MM:SS.nnnnnnnnn + 2 spaces.
    std::array<char, keel::tai_time_text_max> buf;
    CHECK(iso == std::string(keel::tai_fmt_time(t, false, buf)) + "  ");
    CHECK(iso.size() == 31 && iso[10] == ' ' && iso[19] == '.');
    // Formatted once: the same text until the next take().
    CHECK(st.tai() == tai && st.iso() == iso);

    auto compose = [&](std::size_t i, std::string_view line) {
        const keel::LogAction& act = s.actions()[i];
        std::string out(keel::log_line_size(act, st, line.size()), '?');
        char* end = keel::log_compose(out.data(), act, st, line);
        CHECK(end == out.data() + out.size());
        return out;
    };
    CHECK(compose(0, "x") == tai + iso + "PFX x\n"); // t before T, whatever the order
    CHECK(compose(1, "x") == tai + "PFX x\n");
    CHECK(compose(2, "") == iso + "PFX \n");
    CHECK(compose(3, "line") == "Q R line\n");
    CHECK(compose(4, "a\0b\xff"sv) == "a\0b\xff\n"sv);

    // Many takes: the cached second stays right, nanoseconds always 8 hex digits.
    for (int i = 0; i < 1000; ++i) {
        st.take();
        keel::Tai64n u;
        CHECK(keel::tai_scan(st.tai().substr(0, 25), u));
        const keel::Tai64n v = keel::tai_now();
        CHECK(!keel::tai_before(v, u));
        CHECK(v.sec - u.sec <= 1);
    }

    // Status files: padded with newlines, or cut, to ^ bytes; ^0: as is.
    char sb[32] = "STAT ok\n";
    CHECK(keel::log_status_fit(sb, 8, 20) == 20);
    CHECK(std::string_view(sb, 20) == "STAT ok\n\n\n\n\n\n\n\n\n\n\n\n\n");
    CHECK(keel::log_status_fit(sb, 8, 0) == 8);
    CHECK(keel::log_status_fit(sb, 8, 8) == 8);
}

keel::LogdirConfig config(const std::string& dir, std::uint32_t size = 4096,
                          std::uint32_t keep = 10)
{
    static std::vector<std::string> names; // the config keeps a pointer
    names.reserve(64);
    names.push_back(dir);
    keel::LogdirConfig c;
    c.dir = names.back().c_str();
    c.max_size = size;
    c.keep = keep;
    c.retry_ms = 20;
    return c;
}

void test_logdir()
{
    const std::string dir = tmp + "/d";
    {
        keel::Logdir d;
        CHECK(d.open(config(dir), 0644, 4096));
        CHECK(mode_of(dir) == 0700 || mode_of(dir) == 02700);
        CHECK(exists(dir + "/lock") && exists(dir + "/state") && slurp(dir + "/state").empty());
        CHECK(mode_of(dir + "/current") == 0644 && d.current_size() == 0);
        // The lock is held: a second process cannot open it.
        const pid_t pid = fork();
        if (pid == 0) {
            keel::Logdir other;
            const bool ok = other.open(config(dir), 0644, 4096);
            const bool busy = other.failed_step() == keel::LogStep::lock && other.error() == EBUSY;
            _exit(!ok && busy ? 0 : 1);
        }
        int ws;
        CHECK(waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
        queue_line(d, "one");
        queue_line(d, "two");
        CHECK(d.work(keel::mono_now_ms()) == keel::LogWork::done);
        CHECK(slurp(dir + "/current") == "one\ntwo\n" && d.current_size() == 8);
        CHECK(d.idle() && d.finalize(keel::mono_now_ms()) == keel::LogWork::done);
        CHECK(mode_of(dir + "/current") == 0744 && d.finalized());
    }
    // A clean current (u+x) is reopened and appended to.
    {
        keel::Logdir d;
        CHECK(d.open(config(dir), 0644, 4096));
        CHECK(mode_of(dir + "/current") == 0644 && d.current_size() == 8);
        CHECK(archives(dir).empty());
        queue_line(d, "three");
        CHECK(d.work(keel::mono_now_ms()) == keel::LogWork::done);
        CHECK(slurp(dir + "/current") == "one\ntwo\nthree\n");
        // No finalize: as if killed.
    }
    // Recovery: the unfinished current becomes a .u archive; stale state files go.
    CHECK(write_file(dir + "/newstate", "junk"));
    CHECK(write_file(dir + "/state", "old"));
    CHECK(write_file(dir + "/previous", "prev\n"));
    CHECK(write_file(dir + "/processed", "proc\n", 0644)); // unfinished: dropped
    {
        keel::Logdir d;
        CHECK(d.open(config(dir), 0600, 4096));
        const auto a = archives(dir);
        CHECK(a.size() == 2 && a[0].back() == 'u' && a[1].back() == 'u');
        if (a.size() == 2) {
            CHECK(slurp(dir + "/" + a[0]) == "prev\n");
            CHECK(slurp(dir + "/" + a[1]) == "one\ntwo\nthree\n");
        }
        CHECK(!exists(dir + "/previous") && !exists(dir + "/processed"));
        CHECK(!exists(dir + "/newstate") && slurp(dir + "/state").empty());
        CHECK(slurp(dir + "/current").empty() && mode_of(dir + "/current") == 0600);
    }
    // A finished processed (u+x) is a complete .s archive; previous is then dropped.
    CHECK(write_file(dir + "/previous", "prev2\n"));
    CHECK(write_file(dir + "/processed", "proc2\n", 0744));
    {
        keel::Logdir d;
        CHECK(d.open(config(dir), 0644, 4096));
        const auto a = archives(dir);
        CHECK(a.size() == 3 && a.back().back() == 's'); // the empty current is not archived
        if (!a.empty()) CHECK(slurp(dir + "/" + a.back()) == "proc2\n");
        CHECK(!exists(dir + "/previous") && !exists(dir + "/processed"));
    }
    // Names.
    CHECK(keel::log_archive_name("@400000006b0bc7130a82d4e2.s"));
    CHECK(keel::log_archive_name("@400000006B0BC7130A82D4E2.u"));
    CHECK(!keel::log_archive_name("@400000006b0bc7130a82d4e2.x"));
    CHECK(!keel::log_archive_name("@400000006b0bc7130a82d4e2s"));
    CHECK(!keel::log_archive_name("@400000006b0bc7130a82d4g2.s"));
    CHECK(!keel::log_archive_name("current"));
    // Errors at open.
    {
        keel::Logdir d;
        CHECK(!d.open(config(tmp + "/no/such/dir"), 0644, 4096));
        CHECK(d.failed_step() == keel::LogStep::mkdir && d.error() == ENOENT);
        const keel::LogStepText t = keel::log_step_text(keel::LogStep::lock);
        CHECK(t.verb == "lock" && t.file == "lock" && t.to.empty());
        const keel::LogStepText r = keel::log_step_text(keel::LogStep::rename_current);
        CHECK(r.verb == "rename" && r.file == "current" && r.to == "previous");
        const keel::LogStepText p = keel::log_step_text(keel::LogStep::processor_failed);
        CHECK(p.verb.empty() && p.file == "processor failed in");
    }
}

void test_rotate()
{
    const std::string dir = tmp + "/r";
    keel::Logdir d;
    CHECK(d.open(config(dir, 4096, 3), 0644, 1 << 16));
    // 100-byte lines, s4096 l2000: 40 lines a file (4000 + 2000 >= 4096).
    const std::string text = lines(0, 200);
    queue_text(d, text);
    CHECK(work_until_done(d) == keel::LogWork::done);
    auto a = archives(dir);
    CHECK(a.size() == 3); // n3
    for (const std::string& n : a) {
        CHECK(n.size() == 27 && n.back() == 's');
        CHECK(slurp(dir + "/" + n).size() == 4000);
        CHECK(mode_of(dir + "/" + n) == 0744);
    }
    CHECK(slurp(dir + "/current").empty()); // the last rotation left it empty
    CHECK(all_logs(dir) == text.substr(text.size() - 3 * 4000));
    CHECK(!exists(dir + "/previous"));

    // Requested rotation: the current file as it is; never an empty one.
    queue_text(d, lines(200, 5));
    CHECK(work_until_done(d) == keel::LogWork::done);
    d.request_rotation();
    CHECK(work_until_done(d) == keel::LogWork::done);
    a = archives(dir);
    CHECK(a.size() == 3 && slurp(dir + "/" + a.back()) == lines(200, 5));
    d.request_rotation();
    CHECK(work_until_done(d) == keel::LogWork::done);
    CHECK(archives(dir) == a);

    // A line that does not fit starts the next file; one longer than s is alone.
    const std::string big(5000, 'b');
    queue_text(d, lines(300, 10));
    queue_line(d, big);
    queue_text(d, lines(310, 1));
    CHECK(work_until_done(d) == keel::LogWork::done);
    a = archives(dir);
    CHECK(a.size() == 3);
    if (a.size() == 3) {
        CHECK(slurp(dir + "/" + a[1]) == lines(300, 10));
        CHECK(slurp(dir + "/" + a[2]) == big + "\n");
    }
    CHECK(slurp(dir + "/current") == lines(310, 1));

    // Periodic rotation (R1): after a second, current is archived.
    const std::string pdir = tmp + "/p";
    keel::LogdirConfig pc = config(pdir);
    pc.period_s = 1;
    keel::Logdir p;
    CHECK(p.open(pc, 0644, 4096));
    const std::int64_t start = keel::mono_now_ms();
    CHECK(p.deadline() > start && p.deadline() <= start + 1000);
    queue_line(p, "tick");
    CHECK(p.work(start) == keel::LogWork::done && archives(pdir).empty());
    CHECK(p.work(p.deadline()) == keel::LogWork::done);
    CHECK(archives(pdir).size() == 1 && slurp(pdir + "/current").empty());
    CHECK(p.work(p.deadline()) == keel::LogWork::done); // empty: nothing archived
    CHECK(archives(pdir).size() == 1);

    // S: the oldest archives go until the total fits.
    const std::string sdir = tmp + "/S";
    keel::LogdirConfig sc = config(sdir, 4096, 100);
    sc.max_total = 10000;
    keel::Logdir s;
    CHECK(s.open(sc, 0644, 1 << 16));
    queue_text(s, lines(0, 400));
    CHECK(work_until_done(s) == keel::LogWork::done);
    CHECK(archives(sdir).size() == 2); // 2 x 4000 <= 10000 < 3 x 4000
}

void test_failures()
{
    const std::string dir = tmp + "/f";
    keel::Logdir d;
    CHECK(d.open(config(dir, 4096, 10), 0644, 1 << 16));
    // A directory in the way of current -> previous: the rename fails and is retried.
    CHECK(mkdir((dir + "/previous").c_str(), 0700) == 0);
    CHECK(write_file(dir + "/previous/x", "x"));
    const std::string text = lines(0, 45);
    queue_text(d, text);
    const std::int64_t now = keel::mono_now_ms();
    CHECK(d.work(now) == keel::LogWork::failed);
    CHECK(d.failed_step() == keel::LogStep::rename_current && d.failing());
    CHECK(d.deadline() == now + 20);
    CHECK(d.work(now + 10) == keel::LogWork::busy); // not before the deadline
    CHECK(slurp(dir + "/current") == lines(0, 40));  // the rest waits in memory
    CHECK(d.queue().size() == 500);
    CHECK(d.work(now + 20) == keel::LogWork::failed); // still in the way
    CHECK(unlink((dir + "/previous/x").c_str()) == 0 && rmdir((dir + "/previous").c_str()) == 0);
    CHECK(d.work(d.deadline()) == keel::LogWork::done);
    CHECK(!d.failing() && all_logs(dir) == text && archives(dir).size() == 1);
}

void test_processor()
{
    // fds 0 to 5 open, as svlog keeps them.
    for (int fd; (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0 && fd <= 5;) {}
    const std::string dir = tmp + "/x";
    keel::LogdirConfig c = config(dir, 4096, 10);
    // Upper-cases the file, counts its runs in state (fd 4 -> fd 5), checks cwd and fds.
    c.processor = {"/bin/sh", "-c",
                   "[ -f lock ] || exit 3; tr a-z A-Z; n=$(cat <&4); echo $((n + 1)) >&5"};
    keel::Logdir d;
    CHECK(d.open(c, 0644, 1 << 16));
    queue_text(d, lines(0, 85));
    CHECK(work_until_done(d) == keel::LogWork::done);
    auto a = archives(dir);
    CHECK(a.size() == 2);
    std::string up = lines(0, 80);
    for (char& ch : up) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (a.size() == 2) CHECK(slurp(dir + "/" + a[0]) + slurp(dir + "/" + a[1]) == up);
    CHECK(slurp(dir + "/state") == "2\n");
    CHECK(!exists(dir + "/previous") && !exists(dir + "/processed") && !exists(dir + "/newstate"));
    CHECK(slurp(dir + "/current") == lines(80, 5));

    // A failing processor: warned about, run again after r ms, state untouched meanwhile.
    const std::string fdir = tmp + "/y";
    keel::LogdirConfig fc = config(fdir);
    const std::string flag = tmp + "/ok";
    static std::string cmd;
    cmd = "[ -f " + flag + " ] || exit 1; cat";
    fc.processor = {"/bin/sh", "-c", cmd.c_str()};
    keel::Logdir f;
    CHECK(f.open(fc, 0644, 1 << 16));
    queue_text(f, lines(0, 40));
    CHECK(f.work(keel::mono_now_ms()) == keel::LogWork::busy && f.processor_pid() > 0);
    // Lines keep going to the new current while the processor runs.
    queue_text(f, lines(40, 3));
    CHECK(f.work(keel::mono_now_ms()) == keel::LogWork::busy);
    CHECK(slurp(fdir + "/current") == lines(40, 3));
    int ws;
    CHECK(waitpid(f.processor_pid(), &ws, 0) > 0);
    CHECK(!f.processor_exited(ws) && f.failed_step() == keel::LogStep::processor_failed);
    CHECK(f.failing() && f.processor_pid() == 0);
    CHECK(exists(fdir + "/previous") && archives(fdir).empty());
    CHECK(write_file(flag, ""));
    CHECK(work_until_done(f) == keel::LogWork::done);
    a = archives(fdir);
    CHECK(a.size() == 1 && !a.empty() && slurp(fdir + "/" + a[0]) == lines(0, 40));
    CHECK(!f.idle() || f.queue().empty());

    // A processor killed by a signal: processor_crashed.
    const std::string kdir = tmp + "/k";
    keel::LogdirConfig kc = config(kdir);
    kc.processor = {"/bin/sh", "-c", "kill -9 $$"};
    keel::Logdir k;
    CHECK(k.open(kc, 0644, 1 << 16));
    queue_text(k, lines(0, 40));
    CHECK(k.work(keel::mono_now_ms()) == keel::LogWork::busy && k.processor_pid() > 0);
    CHECK(waitpid(k.processor_pid(), &ws, 0) > 0);
    CHECK(!k.processor_exited(ws) && k.failed_step() == keel::LogStep::processor_crashed);

    // A processor that cannot be run: spawn_processor, with the errno.
    const std::string edir = tmp + "/e";
    keel::LogdirConfig ec = config(edir);
    ec.processor = {"/nonexistent/sh", "-c", "cat"};
    keel::Logdir e;
    CHECK(e.open(ec, 0644, 1 << 16));
    queue_text(e, lines(0, 40));
    CHECK(e.work(keel::mono_now_ms()) == keel::LogWork::failed);
    CHECK(e.failed_step() == keel::LogStep::spawn_processor && e.error() == ENOENT);
}

constexpr Section sections[] = {
    {"growbuf", test_growbuf}, {"script", test_script},     {"select", test_select},
    {"compose", test_compose}, {"logdir", test_logdir},     {"rotate", test_rotate},
    {"failures", test_failures}, {"processor", test_processor},
};

} // namespace

int main(int argc, char** argv)
{
    signal(SIGPIPE, SIG_IGN);
    return run_section("logtest", sections, argc, argv);
}
