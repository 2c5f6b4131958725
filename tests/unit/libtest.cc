// Unit tests of the shared library (lib/keel/*.h), one section per run: "libtest SECTION".
// Each section checks what the header's doc comments promise, edge cases included. A failed
// check prints "file:line: CHECK failed: expr"; the exit code is 0 if every check passed, 1
// otherwise, 2 for an unknown section. Forked children play the other side of pipes, locks and
// stderr. Test code, so std::string and std::vector are fine here. Run by tests/lib.bats.
#include "check.h"
#include "keel/buf.h"
#include "keel/env.h"
#include "keel/err.h"
#include "keel/exec.h"
#include "keel/fd.h"
#include "keel/init.h"
#include "keel/lock.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/progpath.h"
#include "keel/config.h"
#include "keel/proc.h"
#include "keel/rlimit.h"
#include "keel/sig.h"
#include "keel/str.h"
#include "keel/tai.h"
#include "keel/uidgid.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <ftw.h>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using keel::Fd;
using namespace std::literals;

// ---------------------------------------------------------------------------------------------
// Helpers

// errno right after a failed call: fails(f(...), E) reads errno before anything else runs.
bool fails(bool ok, int e)
{
    return !ok && errno == e;
}
bool fails_neg(long r, int e)
{
    return r == -1 && errno == e;
}

bool is(const char* got, const char* want)
{
    return got && std::strcmp(got, want) == 0;
}

void pause_ms(long ms)
{
    timespec ts{ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

std::string slurp(const char* path)
{
    std::string s;
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return s;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
    close(fd);
    return s;
}

bool write_file(const std::string& path, std::string_view content, mode_t mode = 0644)
{
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    const bool ok = keel::write_all(fd, content) && fchmod(fd, mode) == 0;
    return close(fd) == 0 && ok;
}

// Everything readable now from a non-blocking fd.
std::string drain(int fd)
{
    std::string s;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
    return s;
}

std::string pattern(std::size_t n)
{
    std::string s(n, 0);
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
    return s;
}

bool cloexec(int fd)
{
    const int f = fcntl(fd, F_GETFD);
    return f >= 0 && (f & FD_CLOEXEC);
}

bool nonblock(int fd)
{
    const int f = fcntl(fd, F_GETFL);
    return f >= 0 && (f & O_NONBLOCK);
}

bool is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

bool same_file(int a, int b)
{
    struct stat x, y;
    return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

// A descriptor number that is free now (for fd_copy/fd_move targets).
int free_fd()
{
    const int n = open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int fd = fcntl(n, F_DUPFD_CLOEXEC, 100);
    close(n);
    close(fd);
    return fd;
}

// argv for OptParser / exec: owned strings and a NULL-terminated pointer array.
struct Args {
    std::vector<std::string> words;
    std::vector<char*> ptrs;
    Args(std::initializer_list<const char*> a) : words(a.begin(), a.end())
    {
        for (std::string& w : words) ptrs.push_back(w.data());
        ptrs.push_back(nullptr);
    }
    int argc() const { return static_cast<int>(words.size()); }
    char* const* argv() const { return ptrs.data(); }
};

int reap(pid_t pid)
{
    int ws;
    if (keel::wait_pid(pid, ws) != pid) return -1;
    return keel::wait_estatus(ws);
}

// Runs fn() in a forked child and returns its exit code (128 + signal if killed). The child
// exits with fn()'s result, or 99 if one of its CHECKs failed (reported on the shared stderr).
template <class F>
int in_child(F fn)
{
    const pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        failures = 0;
        const int code = fn();
        _exit(failures ? 99 : code);
    }
    return reap(pid);
}

struct Captured {
    int status = -1;
    std::vector<std::string> msgs; // one per write(2) to stderr
};

// Runs fn() in a child whose stderr is a datagram socket, so each write arrives as one
// message; keel::prog is "libtest" there. The child exits with fn()'s result.
template <class F>
Captured capture(F fn)
{
    Captured c;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0) return c;
    const pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        dup2(sv[1], 2);
        close(sv[1]);
        keel::prog = "libtest";
        _exit(fn());
    }
    close(sv[1]);
    if (pid > 0) c.status = reap(pid);
    std::vector<char> buf(1 << 20);
    ssize_t n;
    while ((n = recv(sv[0], buf.data(), buf.size(), MSG_DONTWAIT)) > 0)
        c.msgs.emplace_back(buf.data(), static_cast<std::size_t>(n));
    close(sv[0]);
    return c;
}

bool one_msg(const Captured& c, int status, const std::string& msg)
{
    return c.status == status && c.msgs.size() == 1 && c.msgs[0] == msg;
}

// Polls (1 ms steps, at most 10 s) until process pid sleeps (state S): blocked in a read,
// write, wait or lock.
bool wait_sleeping(pid_t pid)
{
    const std::string path = "/proc/" + std::to_string(pid) + "/stat";
    for (int i = 0; i < 10000; ++i) {
        const std::string s = slurp(path.c_str());
        const auto rp = s.rfind(')');
        if (rp != std::string::npos && rp + 2 < s.size() && s[rp + 2] == 'S') return true;
        pause_ms(1);
    }
    return false;
}

// Polls until /proc/locks shows pid waiting for a POSIX lock ("1: -> POSIX ADVISORY WRITE pid").
bool wait_lock_waiter(pid_t pid)
{
    const std::string want = " " + std::to_string(pid) + " ";
    for (int i = 0; i < 10000; ++i) {
        const std::string locks = slurp("/proc/locks");
        std::size_t at = 0;
        while (at < locks.size()) {
            std::size_t nl = locks.find('\n', at);
            if (nl == std::string::npos) nl = locks.size();
            const std::string line = locks.substr(at, nl - at);
            if (line.find("->") != std::string::npos && line.find(want) != std::string::npos)
                return true;
            at = nl + 1;
        }
        pause_ms(1);
    }
    return false;
}

// For the EINTR tests: SIGUSR1 gets a handler without SA_RESTART, so it makes a blocked call
// fail with EINTR unless the library retries. The handler writes a byte to note_fd, so the
// child that sent the signal knows it has been handled.
int note_fd = -1;

extern "C" void note_signal(int)
{
    const int e = errno;
    (void)!write(note_fd, "s", 1);
    errno = e;
}

class Interrupter {
public:
    Interrupter()
    {
        (void)keel::make_pipe(rd_, wr_);
        note_fd = wr_.get();
        struct sigaction sa {};
        sa.sa_handler = note_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        sigaction(SIGUSR1, &sa, &old_);
    }
    ~Interrupter()
    {
        sigaction(SIGUSR1, &old_, nullptr);
        note_fd = -1;
    }
    Interrupter(const Interrupter&) = delete;
    Interrupter& operator=(const Interrupter&) = delete;

    // In a child: waits until the parent is blocked, interrupts it once, and waits until it
    // is blocked again (retrying, or blocked elsewhere after a wrong return).
    bool interrupt_parent(bool (*blocked)(pid_t) = wait_sleeping)
    {
        const pid_t pp = getppid();
        if (!blocked(pp) || kill(pp, SIGUSR1) < 0) return false;
        char c;
        return read(rd_.get(), &c, 1) == 1 && blocked(pp);
    }

private:
    Fd rd_, wr_;
    struct sigaction old_ {};
};

// ---------------------------------------------------------------------------------------------
// opt: keel/opt.h

void test_opt()
{
    {   // a cluster of flags, then the first operand ends the options
        Args a{"p", "-nf", "x", "-c"};
        keel::OptParser p(a.argc(), a.argv(), "nfc:");
        CHECK(p.next() == 'n');
        CHECK(p.arg() == nullptr);
        CHECK(p.next() == 'f');
        CHECK(p.arg() == nullptr);
        CHECK(p.next() == 0);
        CHECK(p.index() == 2);
        CHECK(p.next() == 0); // and stay over
        CHECK(p.index() == 2);
    }
    {   // no arguments at all
        Args a{"p"};
        keel::OptParser p(a.argc(), a.argv(), "n");
        CHECK(p.next() == 0);
        CHECK(p.index() == 1);
    }
    {   // an operand first: nothing is an option after it
        Args a{"p", "x", "-n"};
        keel::OptParser p(a.argc(), a.argv(), "n");
        CHECK(p.next() == 0);
        CHECK(p.index() == 1);
    }
    {   // attached argument: the rest of the word, inside argv
        Args a{"p", "-cX", "y"};
        keel::OptParser p(a.argc(), a.argv(), "nc:");
        CHECK(p.next() == 'c');
        CHECK(is(p.arg(), "X"));
        CHECK(p.arg() == a.argv()[1] + 2);
        CHECK(p.next() == 0);
        CHECK(p.arg() == nullptr);
        CHECK(p.index() == 2);
    }
    {   // separate argument: the next word
        Args a{"p", "-c", "X", "y"};
        keel::OptParser p(a.argc(), a.argv(), "nc:");
        CHECK(p.next() == 'c');
        CHECK(p.arg() == a.argv()[2]);
        CHECK(p.next() == 0);
        CHECK(p.index() == 3);
    }
    {   // flags then an argument-taking option in one cluster, attached or not
        Args a{"p", "-ncX", "-nc", "Y", "-cn", "z"};
        keel::OptParser p(a.argc(), a.argv(), "nc:");
        CHECK(p.next() == 'n');
        CHECK(p.next() == 'c');
        CHECK(is(p.arg(), "X"));
        CHECK(p.next() == 'n');
        CHECK(p.next() == 'c');
        CHECK(is(p.arg(), "Y"));
        CHECK(p.next() == 'c'); // "-cn": n is c's argument, not an option
        CHECK(is(p.arg(), "n"));
        CHECK(p.next() == 0);
        CHECK(p.index() == 5);
    }
    {   // a separate argument may look like an option, or be "--" or "-" or empty
        Args a{"p", "-c", "-n", "-c", "--", "-c", "-", "-c", "", "op"};
        keel::OptParser p(a.argc(), a.argv(), "nc:");
        CHECK(p.next() == 'c');
        CHECK(is(p.arg(), "-n"));
        CHECK(p.next() == 'c');
        CHECK(is(p.arg(), "--"));
        CHECK(p.next() == 'c');
        CHECK(is(p.arg(), "-"));
        CHECK(p.next() == 'c');
        CHECK(is(p.arg(), ""));
        CHECK(p.next() == 0);
        CHECK(p.index() == 9);
    }
    {   // "--" ends the options and is consumed; what follows is an operand
        Args a{"p", "-n", "--", "-f"};
        keel::OptParser p(a.argc(), a.argv(), "nf");
        CHECK(p.next() == 'n');
        CHECK(p.next() == 0);
        CHECK(p.index() == 3);
        // The end is sticky: "-f" after "--" stays an operand.
        CHECK(p.next() == 0);
        CHECK(p.index() == 3);
    }
    {   // "--" as the last word
        Args a{"p", "--"};
        keel::OptParser p(a.argc(), a.argv(), "n");
        CHECK(p.next() == 0);
        CHECK(p.index() == 2);
    }
    {   // "-" alone is an operand, not consumed
        Args a{"p", "-n", "-", "-f"};
        keel::OptParser p(a.argc(), a.argv(), "nf");
        CHECK(p.next() == 'n');
        CHECK(p.next() == 0);
        CHECK(p.index() == 2);
    }
    {   // unknown options: '?', bad() is the letter, and parsing goes on
        Args a{"p", "-x", "-nyf", "op"};
        keel::OptParser p(a.argc(), a.argv(), "nf");
        CHECK(p.next() == '?');
        CHECK(p.bad() == 'x');
        CHECK(p.next() == 'n');
        CHECK(p.next() == '?');
        CHECK(p.bad() == 'y');
        CHECK(p.next() == 'f');
        CHECK(p.next() == 0);
        CHECK(p.index() == 3);
    }
    {   // ':' is never an option letter, even though the spec contains it
        Args a{"p", "-:"};
        keel::OptParser p(a.argc(), a.argv(), "c:");
        CHECK(p.next() == '?');
        CHECK(p.bad() == ':');
    }
    {   // a letter with the high bit set comes back as an unsigned char value
        Args a{"p", "-\xe9"};
        keel::OptParser p(a.argc(), a.argv(), "n");
        CHECK(p.next() == '?');
        CHECK(p.bad() == 0xe9);
    }
    {   // missing argument at the end of argv: ':', bad() is the letter
        Args a{"p", "-n", "-c"};
        keel::OptParser p(a.argc(), a.argv(), "nc:");
        CHECK(p.next() == 'n');
        CHECK(p.next() == ':');
        CHECK(p.bad() == 'c');
        CHECK(p.arg() == nullptr);
        CHECK(p.next() == 0);
        CHECK(p.index() == 3);
    }
    {   // the same inside a cluster
        Args a{"p", "-nc"};
        keel::OptParser p(a.argc(), a.argv(), "nc:");
        CHECK(p.next() == 'n');
        CHECK(p.next() == ':');
        CHECK(p.bad() == 'c');
        CHECK(p.next() == 0);
        CHECK(p.index() == 2);
    }
    {   // an empty spec: every option is unknown
        Args a{"p", "-a", "b"};
        keel::OptParser p(a.argc(), a.argv(), "");
        CHECK(p.next() == '?');
        CHECK(p.bad() == 'a');
        CHECK(p.next() == 0);
        CHECK(p.index() == 2);
    }

    // Long options.
    constexpr keel::LongOpt longs[] = {
        {"ctty", 'c', true},
        {"verbose", 'v', false},
        {"name", 1000, true},
    };
    {   // "--name", "--name=v", "--name v"
        Args a{"p", "--verbose", "--ctty=3", "--ctty", "4", "--name=a=b", "--ctty=", "op"};
        keel::OptParser p(a.argc(), a.argv(), "vc:", longs);
        CHECK(p.next() == 'v');
        CHECK(p.arg() == nullptr);
        CHECK(p.next() == 'c');
        CHECK(is(p.arg(), "3"));
        CHECK(p.arg() == a.argv()[2] + 7);
        CHECK(p.next() == 'c');
        CHECK(p.arg() == a.argv()[4]);
        CHECK(p.next() == 1000); // the key need not be a letter
        CHECK(is(p.arg(), "a=b")); // split at the first '='
        CHECK(p.next() == 'c');
        CHECK(is(p.arg(), "")); // "--ctty=": an empty argument
        CHECK(p.next() == 0);
        CHECK(p.index() == 7);
    }
    {   // short and long options mixed, "--" still ends them
        Args a{"p", "-v", "--ctty", "5", "-n", "--", "--verbose"};
        keel::OptParser p(a.argc(), a.argv(), "vn", longs);
        CHECK(p.next() == 'v');
        CHECK(p.next() == 'c');
        CHECK(is(p.arg(), "5"));
        CHECK(p.next() == 'n');
        CHECK(p.next() == 0);
        CHECK(p.index() == 6);
    }
    {   // "--ctty --": the separate argument is taken whatever it is
        Args a{"p", "--ctty", "--", "x"};
        keel::OptParser p(a.argc(), a.argv(), "", longs);
        CHECK(p.next() == 'c');
        CHECK(is(p.arg(), "--"));
        CHECK(p.next() == 0);
        CHECK(p.index() == 3);
    }
    {   // unknown long options, no abbreviations: '?' with bad() == 0, parsing goes on
        Args a{"p", "-x", "--nope", "--verb", "--=x", "--verbose", "op"};
        keel::OptParser p(a.argc(), a.argv(), "v", longs);
        CHECK(p.next() == '?');
        CHECK(p.bad() == 'x');
        CHECK(p.next() == '?');
        CHECK(p.bad() == 0);
        CHECK(p.next() == '?');
        CHECK(p.bad() == 0);
        CHECK(p.next() == '?');
        CHECK(p.bad() == 0);
        CHECK(p.next() == 'v');
        CHECK(p.next() == 0);
        CHECK(p.index() == 6);
    }
    {   // an argument given to a no-argument long option
        Args a{"p", "--verbose=1", "x"};
        keel::OptParser p(a.argc(), a.argv(), "v", longs);
        CHECK(p.next() == '?');
        CHECK(p.bad() == 0);
        CHECK(p.next() == 0);
        CHECK(p.index() == 2);
    }
    {   // a missing long argument
        Args a{"p", "-x", "--ctty"};
        keel::OptParser p(a.argc(), a.argv(), "", longs);
        CHECK(p.next() == '?');
        CHECK(p.bad() == 'x');
        CHECK(p.next() == ':');
        CHECK(p.bad() == 0);
        CHECK(p.arg() == nullptr);
        CHECK(p.next() == 0);
        CHECK(p.index() == 3);
    }
    {   // without a table, every long option is unknown
        Args a{"p", "--ctty=3"};
        keel::OptParser p(a.argc(), a.argv(), "c:");
        CHECK(p.next() == '?');
        CHECK(p.bad() == 0);
        CHECK(p.next() == 0);
    }
}

// ---------------------------------------------------------------------------------------------
// path: keel/path.h

void test_path()
{
    keel::PathBuf<8> p;
    CHECK(p.size() == 0);
    CHECK(p.view().empty());
    CHECK(p.c_str()[0] == 0);

    CHECK(p.set("ab", "/"sv, std::string("cd").c_str()));
    CHECK(p.view() == "ab/cd");
    CHECK(p.size() == 5);
    CHECK(std::strlen(p.c_str()) == 5);
    CHECK(p.append("xy")); // 7 = N-1 bytes: an exact fit
    CHECK(p.view() == "ab/cdxy");
    CHECK(p.c_str()[7] == 0);
    CHECK(p.append("")); // nothing more still fits
    CHECK(p.size() == 7);

    errno = 0;
    CHECK(fails(p.append("z"), ENAMETOOLONG));
    CHECK(p.size() == 0); // emptied, not truncated
    CHECK(p.view().empty());
    CHECK(p.c_str()[0] == 0);
    CHECK(p.append("ok")); // usable again
    CHECK(p.view() == "ok");

    CHECK(p.set("1234567"));
    CHECK(p.view() == "1234567");
    CHECK(p.set("x")); // set replaces
    CHECK(p.view() == "x");
    CHECK(p.set()); // no parts: empty
    CHECK(p.size() == 0);

    errno = 0;
    CHECK(fails(p.set("12345678"), ENAMETOOLONG));
    CHECK(p.size() == 0);
    CHECK(p.c_str()[0] == 0);
    CHECK(p.set("abc"));
    errno = 0;
    CHECK(fails(p.set("1234", "5678"), ENAMETOOLONG)); // the last part overflows
    CHECK(p.size() == 0);
    CHECK(p.c_str()[0] == 0);
    errno = 0;
    CHECK(fails(p.set("12345678", ""), ENAMETOOLONG)); // the first one does
    CHECK(p.size() == 0);
    CHECK(p.set("1234", "567")); // split exact fit
    CHECK(p.view() == "1234567");

    keel::PathBuf<1> one; // room for the NUL only
    CHECK(one.set(""));
    CHECK(one.append(""));
    errno = 0;
    CHECK(fails(one.append("a"), ENAMETOOLONG));
    CHECK(one.c_str()[0] == 0);

    keel::PathBuf<> def; // PATH_MAX: PATH_MAX-1 bytes fit, PATH_MAX do not
    const std::string longest(PATH_MAX - 1, 'a');
    CHECK(def.set(longest));
    CHECK(def.size() == PATH_MAX - 1);
    CHECK(def.view() == longest);
    errno = 0;
    CHECK(fails(def.append("/"), ENAMETOOLONG));
    CHECK(def.size() == 0);
    errno = 0;
    CHECK(fails(def.set(longest + "a"), ENAMETOOLONG));
    CHECK(def.view().empty());
}

// ---------------------------------------------------------------------------------------------
// num: keel/num.h

// scan_number(s) succeeds with want (out starts elsewhere, so a no-op cannot pass).
template <class T>
bool scans(std::string_view s, T want, int base = 10)
{
    T out = want == 0 ? 1 : 0;
    return keel::scan_number(s, out, base) && out == want;
}

// scan_number(s) fails and leaves out untouched.
template <class T>
bool rejects(std::string_view s, int base = 10)
{
    T out = 42;
    return !keel::scan_number(s, out, base) && out == 42;
}

template <class T>
bool round_trips(T v, int base)
{
    const keel::NumText t = keel::fmt_number(v, base);
    T back = v == 0 ? 1 : 0;
    return t.len > 0 && keel::scan_number(t.view(), back, base) && back == v;
}

template <class T>
bool round_trips_all()
{
    using L = std::numeric_limits<T>;
    bool ok = true;
    const T vals[] = {L::min(), static_cast<T>(L::min() + 1), 0, 1, 9, 10, 15, 16,
                      static_cast<T>(L::max() - 1), L::max()};
    for (const T v : vals)
        for (const int base : {10, 16, 8, 36}) ok = ok && round_trips(v, base);
    if constexpr (L::is_signed) {
        for (const int base : {10, 16, 8}) {
            ok = ok && round_trips(static_cast<T>(-1), base);
            ok = ok && round_trips(static_cast<T>(-10), base);
        }
    }
    return ok;
}

void test_num()
{
    // Whole-string rules.
    CHECK(rejects<int>(""));
    CHECK(rejects<unsigned>(""));
    CHECK(rejects<int>("+1"));
    CHECK(rejects<unsigned>("+1"));
    CHECK(rejects<unsigned>("-1"));
    CHECK(rejects<unsigned>("-0"));
    CHECK(rejects<std::uint64_t>("-1"));
    CHECK(rejects<std::uint8_t>("-1"));
    CHECK(scans<int>("-1", -1));
    CHECK(scans<int>("-0", 0));
    CHECK(scans<int>("0", 0));
    CHECK(scans<unsigned>("007", 7u));
    CHECK(scans<std::uint64_t>("000000000000000000000000000000000001", 1));
    for (const char* bad : {" 1", "1 ", "\t1", "1\n", "1x", "x1", "0x10", "1.0", "1e3", "-",
                            "--1", "+-1", "-+1", "1-", "1,000"})
        CHECK(rejects<int>(bad));
    CHECK(rejects<int>(std::string_view("1\0", 2)));
    CHECK(rejects<int>(std::string_view("\0001", 2)));
    CHECK(rejects<int>("99999999999999999999999999"));

    // Each width: min and max fit, one beyond does not.
    CHECK(scans<std::int8_t>("127", 127));
    CHECK(scans<std::int8_t>("-128", -128));
    CHECK(rejects<std::int8_t>("128"));
    CHECK(rejects<std::int8_t>("-129"));
    CHECK(scans<std::uint8_t>("255", 255));
    CHECK(rejects<std::uint8_t>("256"));
    CHECK(scans<std::int16_t>("32767", 32767));
    CHECK(scans<std::int16_t>("-32768", -32768));
    CHECK(rejects<std::int16_t>("32768"));
    CHECK(rejects<std::int16_t>("-32769"));
    CHECK(scans<std::uint16_t>("65535", 65535));
    CHECK(rejects<std::uint16_t>("65536"));
    CHECK(scans<std::int32_t>("2147483647", INT32_MAX));
    CHECK(scans<std::int32_t>("-2147483648", INT32_MIN));
    CHECK(rejects<std::int32_t>("2147483648"));
    CHECK(rejects<std::int32_t>("-2147483649"));
    CHECK(scans<std::uint32_t>("4294967295", UINT32_MAX));
    CHECK(rejects<std::uint32_t>("4294967296"));
    CHECK(scans<std::int64_t>("9223372036854775807", INT64_MAX));
    CHECK(scans<std::int64_t>("-9223372036854775808", INT64_MIN));
    CHECK(rejects<std::int64_t>("9223372036854775808"));
    CHECK(rejects<std::int64_t>("-9223372036854775809"));
    CHECK(scans<std::uint64_t>("18446744073709551615", UINT64_MAX));
    CHECK(rejects<std::uint64_t>("18446744073709551616"));
    CHECK(rejects<std::uint64_t>("99999999999999999999"));

    // Other bases: digits of either case, no "0x" prefix.
    CHECK(scans<unsigned>("ff", 255u, 16));
    CHECK(scans<unsigned>("FF", 255u, 16));
    CHECK(scans<unsigned>("fF", 255u, 16));
    CHECK(scans<unsigned>("0", 0u, 16));
    CHECK(rejects<unsigned>("0xff", 16));
    CHECK(rejects<unsigned>("g", 16));
    CHECK(rejects<unsigned>("ff ", 16));
    CHECK(rejects<unsigned>("", 16));
    CHECK(rejects<unsigned>("-1", 16));
    CHECK(scans<std::int8_t>("-80", -128, 16));
    CHECK(scans<std::int8_t>("7f", 127, 16));
    CHECK(rejects<std::int8_t>("80", 16));
    CHECK(scans<std::uint64_t>("ffffffffffffffff", UINT64_MAX, 16));
    CHECK(rejects<std::uint64_t>("10000000000000000", 16));
    CHECK(scans<int>("777", 511, 8));
    CHECK(rejects<int>("8", 8));
    CHECK(scans<int>("101", 5, 2));
    CHECK(rejects<int>("2", 2));
    CHECK(scans<int>("z", 35, 36));
    CHECK(scans<int>("Z", 35, 36));

    // fmt_number: exact text of the limits, and round trips.
    CHECK(keel::fmt_number(0).view() == "0");
    CHECK(keel::fmt_number(-1).view() == "-1");
    CHECK(keel::fmt_number(std::int8_t{-128}).view() == "-128");
    CHECK(keel::fmt_number(std::int8_t{127}).view() == "127");
    CHECK(keel::fmt_number(std::uint8_t{255}).view() == "255");
    CHECK(keel::fmt_number(std::int16_t{-32768}).view() == "-32768");
    CHECK(keel::fmt_number(std::uint16_t{65535}).view() == "65535");
    CHECK(keel::fmt_number(INT32_MIN).view() == "-2147483648");
    CHECK(keel::fmt_number(UINT32_MAX).view() == "4294967295");
    CHECK(keel::fmt_number(INT64_MIN).view() == "-9223372036854775808");
    CHECK(keel::fmt_number(INT64_MAX).view() == "9223372036854775807");
    CHECK(keel::fmt_number(UINT64_MAX).view() == "18446744073709551615");
    CHECK(keel::fmt_number(255u, 16).view() == "ff"); // lower case
    CHECK(keel::fmt_number(-255, 16).view() == "-ff");
    CHECK(keel::fmt_number(UINT64_MAX, 16).view() == "ffffffffffffffff");
    CHECK(keel::fmt_number(INT64_MIN, 16).view() == "-8000000000000000");
    CHECK(keel::fmt_number(UINT64_MAX, 8).view() == "1777777777777777777777");
    CHECK(keel::fmt_number(5u, 2).view() == "101");
    CHECK(keel::fmt_number(UINT64_MAX, 2).view() == std::string(64, '1'));
    CHECK(keel::fmt_number(INT64_MIN, 2).view() == "-1" + std::string(63, '0'));
    {   // usable as a string_view piece
        const keel::NumText t = keel::fmt_number(std::uint64_t{1234567});
        const std::string_view v = t;
        CHECK(v == "1234567");
        CHECK(v.data() == t.buf);
    }
    CHECK(round_trips_all<std::int8_t>());
    CHECK(round_trips_all<std::uint8_t>());
    CHECK(round_trips_all<std::int16_t>());
    CHECK(round_trips_all<std::uint16_t>());
    CHECK(round_trips_all<std::int32_t>());
    CHECK(round_trips_all<std::uint32_t>());
    CHECK(round_trips_all<std::int64_t>());
    CHECK(round_trips_all<std::uint64_t>());
    CHECK(round_trips_all<long long>());
    CHECK(round_trips_all<unsigned long>());
    {   // every power of ten and its neighbours, in uint64
        bool ok = true;
        for (std::uint64_t p = 1; p <= UINT64_MAX / 10; p *= 10)
            ok = ok && round_trips(p - 1, 10) && round_trips(p, 10) && round_trips(p + 1, 10);
        CHECK(ok);
    }
}

// ---------------------------------------------------------------------------------------------
// str: keel/str.h

static_assert(keel::sub("abc", 1) == "bc");
static_assert(keel::sub("abc", 9).empty());
static_assert(keel::head("abc", 9) == "abc");

void test_str()
{
    const std::string_view s = "hello";
    CHECK(keel::sub(s, 0) == "hello");
    CHECK(keel::sub(s, 1, 3) == "ell");
    CHECK(keel::sub(s, 1, 3).data() == s.data() + 1);
    CHECK(keel::sub(s, 3, 100) == "lo");
    CHECK(keel::sub(s, 3, std::string_view::npos) == "lo");
    CHECK(keel::sub(s, 2, std::string_view::npos - 1) == "llo"); // pos + n would overflow
    CHECK(keel::sub(s, 2, 0).empty());
    CHECK(keel::sub(s, 4, 1) == "o");
    CHECK(keel::sub(s, 5).empty());
    CHECK(keel::sub(s, 5).data() == s.data() + 5);
    CHECK(keel::sub(s, 6).empty()); // pos clamped to the end, where substr() would throw
    CHECK(keel::sub(s, 6).data() == s.data() + 5);
    CHECK(keel::sub(s, 6, 3).empty());
    CHECK(keel::sub(s, std::string_view::npos).empty());
    CHECK(keel::sub(s, std::string_view::npos).data() == s.data() + 5);
    CHECK(keel::sub("", 0).empty());
    CHECK(keel::sub("", 3, 3).empty());
    CHECK(keel::sub(std::string_view(), 1).empty());

    CHECK(keel::head(s, 0).empty());
    CHECK(keel::head(s, 0).data() == s.data());
    CHECK(keel::head(s, 3) == "hel");
    CHECK(keel::head(s, 5) == "hello");
    CHECK(keel::head(s, 99) == "hello");
    CHECK(keel::head(s, std::string_view::npos) == "hello");
    CHECK(keel::head("", 1).empty());
}

// ---------------------------------------------------------------------------------------------
// sig: keel/sig.h

std::string lower(std::string s)
{
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return s;
}

std::string alternate_case(std::string s)
{
    for (std::size_t i = 0; i < s.size(); i += 2)
        if (s[i] >= 'A' && s[i] <= 'Z') s[i] = static_cast<char>(s[i] + 32);
    return s;
}

void test_sig()
{
    // sig_text: the name, or SIG and the number when there is none.
    CHECK(keel::sig_text(SIGTERM).view() == "SIGTERM");
    CHECK(keel::sig_text(SIGKILL).view() == "SIGKILL");
    CHECK(keel::sig_text(40).view() == "SIG40");
    CHECK(keel::sig_text(SIGRTMAX).view() == "SIG" + std::to_string(SIGRTMAX));
    CHECK(keel::sig_text(-2147483647 - 1).view() == "SIG-2147483648");
    struct Known {
        int num;
        const char* name;
    };
    constexpr Known table[] = {
        {SIGHUP, "SIGHUP"},       {SIGINT, "SIGINT"},       {SIGQUIT, "SIGQUIT"},
        {SIGILL, "SIGILL"},       {SIGTRAP, "SIGTRAP"},     {SIGABRT, "SIGABRT"},
        {SIGBUS, "SIGBUS"},       {SIGFPE, "SIGFPE"},       {SIGKILL, "SIGKILL"},
        {SIGUSR1, "SIGUSR1"},     {SIGSEGV, "SIGSEGV"},     {SIGUSR2, "SIGUSR2"},
        {SIGPIPE, "SIGPIPE"},     {SIGALRM, "SIGALRM"},     {SIGTERM, "SIGTERM"},
        {SIGSTKFLT, "SIGSTKFLT"}, {SIGCHLD, "SIGCHLD"},     {SIGCONT, "SIGCONT"},
        {SIGSTOP, "SIGSTOP"},     {SIGTSTP, "SIGTSTP"},     {SIGTTIN, "SIGTTIN"},
        {SIGTTOU, "SIGTTOU"},     {SIGURG, "SIGURG"},       {SIGXCPU, "SIGXCPU"},
        {SIGXFSZ, "SIGXFSZ"},     {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"},
        {SIGWINCH, "SIGWINCH"},   {SIGIO, "SIGIO"},         {SIGPWR, "SIGPWR"},
        {SIGSYS, "SIGSYS"},
    };
    for (const Known& k : table) {
        const std::string full = k.name, bare = full.substr(3);
        CHECK(keel::sig_name(k.num) == full);
        CHECK(keel::sig_number(full) == k.num);
        CHECK(keel::sig_number(bare) == k.num);
        CHECK(keel::sig_number(lower(full)) == k.num);
        CHECK(keel::sig_number(lower(bare)) == k.num);
        CHECK(keel::sig_number(alternate_case(full)) == k.num);
        CHECK(keel::sig_number("Sig" + bare) == k.num);
        CHECK(keel::sig_number(std::to_string(k.num)) == k.num);
    }
    // The same names as the C library's (sigabbrev_np: "TERM" for 15), except for 29, which
    // glibc calls POLL and keel, like kill -l, IO.
    for (int n = 1; n < 32; ++n) {
        const char* abbrev = sigabbrev_np(n);
        if (abbrev && n != SIGIO) CHECK(keel::sig_name(n) == "SIG"s + abbrev);
    }
    CHECK(keel::sig_number("TERM") == 15);
    CHECK(keel::sig_number("sigterm") == 15);
    CHECK(keel::sig_number("sIgTeRm") == 15);
    CHECK(keel::sig_number("kill") == 9);
    CHECK(keel::sig_name(15) == "SIGTERM");
    CHECK(keel::sig_name(9) == "SIGKILL");

    // Numbers 1..64, nothing else.
    for (int n = 1; n <= 64; ++n) CHECK(keel::sig_number(std::to_string(n)) == n);
    for (const char* bad : {"0", "65", "-1", "-15", "+15", "100", "99999999999999999999", "15x",
                            "x15", " 15", "15 ", "0x0f", "1e1", "1.0"})
        CHECK(keel::sig_number(bad) == 0);
    // Garbage names.
    for (const char* bad : {"", "SIG", "sig", "S", "SIGSIGTERM", "TERM ", " TERM", "SIGTERM\n",
                            "TER", "TERMX", "SIG_TERM", "SIG15", "SIGTERM=1", "-TERM"})
        CHECK(keel::sig_number(bad) == 0);
    CHECK(keel::sig_number(std::string_view("TERM\0", 5)) == 0);

    for (const int n : {0, -1, -15, 65, 100, 1000, INT_MAX, INT_MIN})
        CHECK(keel::sig_name(n).empty());
}

// ---------------------------------------------------------------------------------------------
// fd: keel/fd.h

void test_fd()
{
    const std::string file = tmp + "/fd-file";
    CHECK(write_file(file, "0123456789"));

    // open_std: closed standard descriptors come back on /dev/null, open ones stay as they are.
    CHECK(in_child([] {
        close(0);
        close(2);
        if (!keel::open_std()) return 1;
        char a[64] = {}, b[64] = {};
        if (readlink("/proc/self/fd/0", a, sizeof a - 1) < 0) return 2;
        if (readlink("/proc/self/fd/2", b, sizeof b - 1) < 0) return 3;
        if (std::string_view(a) != "/dev/null" || std::string_view(b) != "/dev/null") return 4;
        if (fcntl(0, F_GETFD) != 0 || fcntl(2, F_GETFD) != 0) return 5; // not close-on-exec
        return keel::fd_is_open(1) ? 0 : 6;
    }) == 0);

    {   // Fd: ownership
        Fd none;
        CHECK(!none.valid());
        CHECK(!none);
        CHECK(none.get() == -1);
        CHECK(none.release() == -1);
        Fd minus(-1);
        CHECK(!minus.valid());

        int n;
        {
            Fd a(open("/dev/null", O_RDONLY));
            n = a.get();
            CHECK(a.valid());
            CHECK(static_cast<bool>(a));
            CHECK(is_open(n));
        }
        CHECK(!is_open(n)); // closed by the destructor

        const int raw = open("/dev/null", O_RDONLY);
        Fd b(raw);
        Fd c(std::move(b)); // move construction: b gives it up
        CHECK(b.get() == -1);
        CHECK(!b.valid());
        CHECK(c.get() == raw);
        CHECK(is_open(raw));

        Fd d(open("/dev/null", O_RDONLY));
        const int d_old = d.get();
        d = std::move(c); // move assignment closes what d had
        CHECK(!is_open(d_old));
        CHECK(d.get() == raw);
        CHECK(c.get() == -1);
        CHECK(is_open(raw));

        Fd& alias = d;
        d = std::move(alias); // self-move: nothing closes
        CHECK(d.get() == raw);
        CHECK(is_open(raw));

        const int e_fd = open("/dev/null", O_RDONLY);
        errno = EXDEV;
        d.reset(e_fd); // closes the old one, takes the new one, keeps errno
        CHECK(errno == EXDEV);
        CHECK(!is_open(raw));
        CHECK(d.get() == e_fd);
        d.reset();
        CHECK(!is_open(e_fd));
        CHECK(d.get() == -1);

        Fd f(open("/dev/null", O_RDONLY));
        const int f_fd = f.get();
        const int r = f.release(); // no close
        CHECK(r == f_fd);
        CHECK(f.get() == -1);
        CHECK(is_open(r));
        close(r);

        Fd g(open("/dev/null", O_RDONLY));
        close(g.get()); // closed behind its back: reset's close fails, errno still kept
        errno = EPERM;
        g.reset();
        CHECK(errno == EPERM);
    }

    {   // open_*: O_CLOEXEC always, errors as an invalid Fd with errno
        Fd a = keel::open_read(file.c_str());
        CHECK(a.valid());
        CHECK(cloexec(a.get()));
        char buf[16];
        CHECK(keel::read_full(a.get(), buf, sizeof buf) == 10);
        CHECK(std::memcmp(buf, "0123456789", 10) == 0);
        CHECK(keel::read_some(a.get(), buf, sizeof buf) == 0); // EOF

        const mode_t old_mask = umask(022);
        const std::string made = tmp + "/fd-made";
        Fd b = keel::open_file(made.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        CHECK(b.valid());
        CHECK(cloexec(b.get()));
        struct stat st;
        CHECK(fstat(b.get(), &st) == 0 && (st.st_mode & 07777) == 0600);
        errno = 0;
        Fd again = keel::open_file(made.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        CHECK(!again.valid() && errno == EEXIST);
        const std::string made2 = tmp + "/fd-made2";
        Fd c = keel::open_file(made2.c_str(), O_WRONLY | O_CREAT); // default mode 0666 & ~umask
        CHECK(c.valid());
        CHECK(fstat(c.get(), &st) == 0 && (st.st_mode & 07777) == 0644);
        umask(old_mask);

        Fd dir = keel::open_file(tmp.c_str(), O_RDONLY | O_DIRECTORY);
        CHECK(dir.valid());
        CHECK(cloexec(dir.get()));
        Fd at = keel::open_at(dir.get(), "fd-file", O_RDONLY);
        CHECK(at.valid());
        CHECK(cloexec(at.get()));
        CHECK(same_file(at.get(), a.get()));
        Fd at2 = keel::open_at(dir.get(), "fd-file", O_RDONLY | O_CLOEXEC);
        CHECK(at2.valid() && cloexec(at2.get()));

        errno = 0;
        Fd missing = keel::open_read((tmp + "/nope").c_str());
        CHECK(!missing.valid() && errno == ENOENT);
        errno = 0;
        Fd bad_dir = keel::open_at(9999, "fd-file", O_RDONLY);
        CHECK(!bad_dir.valid() && errno == EBADF);
    }

    {   // close_fd keeps errno, even when close fails
        errno = ENOSPC;
        keel::close_fd(-1);
        CHECK(errno == ENOSPC);
        const int n = open("/dev/null", O_RDONLY);
        errno = ENOSPC;
        keel::close_fd(n);
        CHECK(errno == ENOSPC);
        CHECK(!is_open(n));
    }

    {   // read/write errors
        char c;
        errno = 0;
        CHECK(fails_neg(keel::read_some(9999, &c, 1), EBADF));
        errno = 0;
        CHECK(fails_neg(keel::read_full(9999, &c, 1), EBADF));
        errno = 0;
        CHECK(fails(keel::write_all(9999, "x"sv), EBADF));
        Fd a = keel::open_read(file.c_str());
        CHECK(keel::read_full(a.get(), &c, 0) == 0);
    }

    {   // make_pipe: both ends close-on-exec, blocking unless asked
        Fd rd, wr;
        CHECK(keel::make_pipe(rd, wr));
        CHECK(rd.valid() && wr.valid());
        CHECK(cloexec(rd.get()) && cloexec(wr.get()));
        CHECK(!nonblock(rd.get()) && !nonblock(wr.get()));
        CHECK(keel::write_all(wr.get(), "abc"sv));
        char buf[4];
        CHECK(keel::read_some(rd.get(), buf, sizeof buf) == 3);
        const int old_rd = rd.get(), old_wr = wr.get();
        CHECK(keel::make_pipe(rd, wr, O_NONBLOCK)); // the old pipe is closed
        CHECK(!is_open(old_rd) && !is_open(old_wr));
        CHECK(cloexec(rd.get()) && cloexec(wr.get()));
        CHECK(nonblock(rd.get()) && nonblock(wr.get()));
        errno = 0;
        CHECK(fails_neg(keel::read_some(rd.get(), buf, 1), EAGAIN));

        // set_nonblock, both ways
        CHECK(keel::set_nonblock(rd.get(), false));
        CHECK(!nonblock(rd.get()));
        CHECK(keel::set_nonblock(rd.get(), false)); // already off
        CHECK(keel::set_nonblock(rd.get(), true));
        CHECK(nonblock(rd.get()));
        CHECK(keel::set_nonblock(rd.get(), true));
        CHECK(nonblock(rd.get()));
        CHECK(cloexec(rd.get())); // a different flag word
        errno = 0;
        CHECK(fails(keel::set_nonblock(9999, true), EBADF));

        // set_cloexec, both ways
        CHECK(keel::set_cloexec(rd.get(), false));
        CHECK(!cloexec(rd.get()));
        CHECK(nonblock(rd.get()));
        CHECK(keel::set_cloexec(rd.get(), true));
        CHECK(cloexec(rd.get()));
        errno = 0;
        CHECK(fails(keel::set_cloexec(9999, true), EBADF));

        CHECK(keel::fd_is_open(rd.get()));
        CHECK(!keel::fd_is_open(9999));
        CHECK(!keel::fd_is_open(-1));
    }

    {   // fd_copy / fd_move: the target is never close-on-exec
        Fd a = keel::open_read(file.c_str());
        const int to = free_fd();
        CHECK(keel::fd_copy(to, a.get()));
        CHECK(is_open(to) && is_open(a.get()));
        CHECK(!cloexec(to));
        CHECK(same_file(to, a.get()));

        Fd other = keel::open_read("/dev/null");
        CHECK(keel::fd_copy(to, other.get())); // replaces what `to` was
        CHECK(same_file(to, other.get()));
        CHECK(!cloexec(to));

        CHECK(cloexec(a.get()));
        CHECK(keel::fd_copy(a.get(), a.get())); // same fd: just made inheritable
        CHECK(is_open(a.get()));
        CHECK(!cloexec(a.get()));

        errno = 0;
        CHECK(fails(keel::fd_copy(to, 9999), EBADF));
        CHECK(is_open(to) && same_file(to, other.get())); // untouched
        close(to);

        Fd b = keel::open_read(file.c_str());
        const int b_fd = b.release();
        const int to2 = free_fd();
        CHECK(keel::fd_move(to2, b_fd));
        CHECK(!is_open(b_fd)); // moved away
        CHECK(is_open(to2));
        CHECK(!cloexec(to2));
        CHECK(same_file(to2, a.get()));

        CHECK(keel::set_cloexec(to2, true));
        CHECK(keel::fd_move(to2, to2)); // same fd: stays open, made inheritable
        CHECK(is_open(to2));
        CHECK(!cloexec(to2));

        errno = 0;
        CHECK(fails(keel::fd_move(to2, 9999), EBADF));
        CHECK(is_open(to2));
        close(to2);
    }

    const std::size_t big = 1 << 20; // much more than a pipe holds
    const std::string data = pattern(big);

    {   // write_all through a pipe to a forked reader
        Fd rd, wr;
        CHECK(keel::make_pipe(rd, wr));
        const pid_t pid = fork();
        if (pid == 0) {
            wr.reset();
            std::string got(big + 1, 0);
            const ssize_t n = keel::read_full(rd.get(), got.data(), got.size());
            _exit(n == static_cast<ssize_t>(big) && got.compare(0, big, data) == 0 ? 0 : 1);
        }
        rd.reset();
        CHECK(keel::write_all(wr.get(), data.data(), data.size()));
        wr.reset();
        CHECK(reap(pid) == 0);
    }

    {   // read_full from a forked writer: many reads, then EOF
        Fd rd, wr;
        CHECK(keel::make_pipe(rd, wr));
        const pid_t pid = fork();
        if (pid == 0) {
            rd.reset();
            _exit(keel::write_all(wr.get(), data) ? 0 : 1);
        }
        wr.reset();
        std::string got(big, 0);
        CHECK(keel::read_full(rd.get(), got.data(), got.size()) == static_cast<ssize_t>(big));
        CHECK(got == data);
        char c;
        CHECK(keel::read_full(rd.get(), &c, 1) == 0);
        CHECK(reap(pid) == 0);
    }

    {   // a short read_full at EOF
        Fd rd, wr;
        CHECK(keel::make_pipe(rd, wr));
        CHECK(keel::write_all(wr.get(), "abc"sv));
        wr.reset();
        char buf[8];
        CHECK(keel::read_full(rd.get(), buf, sizeof buf) == 3);
        CHECK(std::memcmp(buf, "abc", 3) == 0);
    }

    {   // read_full retries on EINTR
        Interrupter intr;
        Fd rd, wr;
        CHECK(keel::make_pipe(rd, wr));
        const pid_t pid = fork();
        if (pid == 0) {
            const bool ok = intr.interrupt_parent();
            _exit(ok && keel::write_all(wr.get(), "abcd"sv) ? 0 : 1);
        }
        wr.reset();
        char buf[8];
        CHECK(keel::read_full(rd.get(), buf, sizeof buf) == 4);
        CHECK(std::memcmp(buf, "abcd", 4) == 0);
        CHECK(reap(pid) == 0);
    }

    {   // read_some retries on EINTR
        Interrupter intr;
        Fd rd, wr;
        CHECK(keel::make_pipe(rd, wr));
        const pid_t pid = fork();
        if (pid == 0) {
            const bool ok = intr.interrupt_parent();
            _exit(ok && keel::write_all(wr.get(), "z"sv) ? 0 : 1);
        }
        char c = 0;
        CHECK(keel::read_some(rd.get(), &c, 1) == 1);
        CHECK(c == 'z');
        CHECK(reap(pid) == 0);
    }

    {   // write_all retries on EINTR while the pipe is full. A blocked write that has written
        // part of its data returns short when interrupted; the next one, blocked before
        // writing anything, fails with EINTR: so interrupt twice.
        Interrupter intr;
        Fd rd, wr;
        CHECK(keel::make_pipe(rd, wr));
        const pid_t pid = fork();
        if (pid == 0) {
            wr.reset();
            const bool ok = intr.interrupt_parent() && intr.interrupt_parent();
            std::string got(big + 1, 0);
            const ssize_t n = keel::read_full(rd.get(), got.data(), got.size());
            _exit(ok && n == static_cast<ssize_t>(big) && got.compare(0, big, data) == 0 ? 0 : 1);
        }
        rd.reset();
        CHECK(keel::write_all(wr.get(), data));
        wr.reset();
        CHECK(reap(pid) == 0);
    }
}

// ---------------------------------------------------------------------------------------------
// buf: keel/buf.h

void test_buf()
{
    struct sigaction ign {}, old_pipe;
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old_pipe);

    {   // Writer: small data is buffered, large data goes straight through, order is kept
        Fd rd, wr;
        CHECK(keel::make_pipe(rd, wr));
        CHECK(keel::set_nonblock(rd.get(), true));
        keel::BufWriter<8> w(wr.get());
        CHECK(w.fd() == wr.get());
        CHECK(w.pending() == 0);
        CHECK(w.room() == 8);
        CHECK(w.flush()); // nothing to write
        CHECK(w.put(""sv));
        CHECK(w.pending() == 0);
        CHECK(w.put("abc"sv));
        CHECK(w.pending() == 3);
        CHECK(w.room() == 5);
        CHECK(drain(rd.get()).empty()); // nothing written yet
        CHECK(w.put('d'));
        CHECK(w.pending() == 4);
        CHECK(w.put("efgh"sv)); // exactly fills the buffer
        CHECK(w.pending() == 8);
        CHECK(w.room() == 0);
        CHECK(drain(rd.get()).empty());
        CHECK(w.put('i')); // full: the buffer goes out first
        CHECK(w.pending() == 1);
        CHECK(drain(rd.get()) == "abcdefgh");
        CHECK(w.put("0123456789"sv)); // larger than the buffer: pending data, then s, direct
        CHECK(w.pending() == 0);
        CHECK(drain(rd.get()) == "i0123456789");
        CHECK(w.put("12345678"sv)); // as large as the buffer, with the buffer empty
        CHECK(w.put('9'));
        CHECK(w.flush());
        CHECK(w.pending() == 0);
        CHECK(w.room() == 8);
        CHECK(drain(rd.get()) == "123456789");
        CHECK(w.put("abc"sv));
        CHECK(w.put("defghi"sv)); // does not fit beside "abc": "abc" goes out, s is kept
        CHECK(drain(rd.get()) == "abc");
        CHECK(w.pending() == 6);
        CHECK(w.flush());
        CHECK(drain(rd.get()) == "defghi");
        const std::string big = pattern(1000); // more than the buffer, less than the pipe
        CHECK(w.put('<'));
        CHECK(w.put(big));
        CHECK(w.put('>'));
        CHECK(w.flush());
        CHECK(drain(rd.get()) == "<" + big + ">");
    }

    {   // Writer over caller storage; a partial flush keeps what was not written, in order
        std::vector<char> store(200000);
        Fd rd, wr;
        CHECK(keel::make_pipe(rd, wr, O_NONBLOCK));
        keel::Writer w(wr.get(), store);
        CHECK(w.room() == store.size());
        const std::string data = pattern(150000); // more than the pipe holds
        CHECK(w.put(data));
        CHECK(w.pending() == data.size());
        errno = 0;
        CHECK(fails(w.flush(), EAGAIN));
        CHECK(w.pending() > 0 && w.pending() < data.size());
        std::string got = drain(rd.get());
        CHECK(got.size() + w.pending() == data.size());
        int rounds = 0;
        while (!w.flush() && errno == EAGAIN && ++rounds < 1000) got += drain(rd.get());
        got += drain(rd.get());
        CHECK(w.pending() == 0);
        CHECK(got == data);
    }

    {   // write errors: EPIPE (SIGPIPE ignored); what was not written stays pending
        Fd rd, wr;
        CHECK(keel::make_pipe(rd, wr));
        rd.reset();
        keel::BufWriter<8> w(wr.get());
        CHECK(w.put("abc"sv)); // buffered, nothing written yet
        errno = 0;
        CHECK(fails(w.flush(), EPIPE));
        CHECK(w.pending() == 3);
        CHECK(w.put("defgh"sv)); // still fits
        CHECK(w.pending() == 8);
        errno = 0;
        CHECK(fails(w.put('i'), EPIPE)); // full: the flush fails
        CHECK(w.pending() == 8);
        errno = 0;
        CHECK(fails(w.put("x"sv), EPIPE));
        CHECK(w.pending() == 8);

        keel::BufWriter<8> w2(wr.get());
        errno = 0;
        CHECK(fails(w2.put("0123456789abcdef"sv), EPIPE)); // direct write
        CHECK(w2.pending() == 0);
        CHECK(w2.put("ab"sv));
        errno = 0;
        CHECK(fails(w2.put("0123456789"sv), EPIPE)); // the flush before it fails
        CHECK(w2.pending() == 2);
    }

    {   // Reader: fill, data, consume, full, EOF
        Fd rd, wr;
        CHECK(keel::make_pipe(rd, wr));
        keel::BufReader<8> r(rd.get());
        CHECK(r.fd() == rd.get());
        CHECK(r.data().empty());
        CHECK(!r.full());
        CHECK(keel::write_all(wr.get(), "hello"sv));
        CHECK(r.fill() == 5);
        CHECK(r.data() == "hello");
        CHECK(!r.full());
        r.consume(0);
        CHECK(r.data() == "hello");
        r.consume(2);
        CHECK(r.data() == "llo");

        // The free space is split: 2 bytes consumed in front, 3 free at the end.
        CHECK(keel::write_all(wr.get(), "123456"sv));
        const ssize_t n = r.fill();
        CHECK(n >= 3 && n <= 5);
        CHECK(r.data() == std::string("llo123456").substr(0, 3 + static_cast<std::size_t>(n)));
        // fill() compacts first, so all 5 free bytes are read at once.
        CHECK(n == 5 && r.full());
        while (!r.full() && r.fill() > 0) {}
        CHECK(r.full());
        CHECK(r.data() == "llo12345");
        CHECK(r.fill() == 0); // full: 0, nothing read, not EOF
        CHECK(r.data() == "llo12345");
        r.consume(100); // clamped
        CHECK(r.data().empty());
        CHECK(!r.full());
        CHECK(r.fill() == 1);
        CHECK(r.data() == "6");

        // Compaction when the end is reached: 8 bytes, 3 consumed, 3 more fit after moving.
        r.consume(1);
        CHECK(keel::write_all(wr.get(), "abcdefgh"sv));
        CHECK(r.fill() == 8);
        CHECK(r.full());
        r.consume(3);
        CHECK(r.data() == "defgh");
        CHECK(!r.full());
        CHECK(keel::write_all(wr.get(), "XYZ"sv));
        CHECK(r.fill() == 3);
        CHECK(r.data() == "defghXYZ");
        CHECK(r.full());

        r.consume(8);
        wr.reset();
        CHECK(r.fill() == 0); // EOF
        CHECK(r.data().empty());
        CHECK(r.fill() == 0);
    }

    {   // Reader over caller storage; a read error
        std::array<char, 4> store;
        keel::Reader r(9999, store);
        errno = 0;
        CHECK(fails_neg(r.fill(), EBADF));
        CHECK(r.data().empty());
    }

    {   // Reader::fill retries on EINTR
        Interrupter intr;
        Fd rd, wr;
        CHECK(keel::make_pipe(rd, wr));
        const pid_t pid = fork();
        if (pid == 0) {
            const bool ok = intr.interrupt_parent();
            _exit(ok && keel::write_all(wr.get(), "q"sv) ? 0 : 1);
        }
        keel::BufReader<8> r(rd.get());
        CHECK(r.fill() == 1);
        CHECK(r.data() == "q");
        CHECK(reap(pid) == 0);
    }

    sigaction(SIGPIPE, &old_pipe, nullptr);
}

// ---------------------------------------------------------------------------------------------
// err: keel/err.h

extern "C" void exit_marker()
{
    (void)!write(2, "atexit ran\n", 11);
}

void test_err()
{
    static_assert(keel::exit_usage == 100);
    static_assert(keel::exit_sys == 111);
    static_assert(keel::exit_exec_failed == 126);
    static_assert(keel::exit_not_found == 127);
    static_assert(keel::exec_failure_code(ENOENT) == 127);
    CHECK(keel::exec_failure_code(ENOENT) == 127);
    CHECK(keel::exec_failure_code(EACCES) == 126);
    CHECK(keel::exec_failure_code(ENOEXEC) == 126);
    CHECK(keel::exec_failure_code(ENOTDIR) == 126);
    CHECK(keel::exec_failure_code(0) == 126);

    const std::string enoent = std::strerror(ENOENT);
    const std::string eacces = std::strerror(EACCES);

    Captured c = capture([]() -> int { keel::die(111, "unable to ", "frob ", "x"); });
    CHECK(one_msg(c, 111, "libtest: fatal: unable to frob x\n"));

    c = capture([]() -> int { keel::die(3, "no pieces but this"); });
    CHECK(one_msg(c, 3, "libtest: fatal: no pieces but this\n"));

    c = capture([]() -> int {
        errno = ENOENT;
        keel::die_sys(111, "unable to open ", "foo/bar");
    });
    CHECK(one_msg(c, 111, "libtest: fatal: unable to open foo/bar: " + enoent + "\n"));

    c = capture([]() -> int {
        errno = EACCES;
        keel::die_sys(1, "unable to read ", std::string_view("a b"), " ", keel::fmt_number(42));
    });
    CHECK(one_msg(c, 1, "libtest: fatal: unable to read a b 42: " + eacces + "\n"));

    // warn, warn_sys, info: one message each, in order, and the program goes on.
    c = capture([]() -> int {
        keel::warn("a", "b");
        errno = EPERM;
        keel::warn_sys("unable to ", "c");
        keel::info("i ", keel::fmt_number(-7));
        return 5;
    });
    CHECK(c.status == 5);
    CHECK(c.msgs.size() == 3);
    if (c.msgs.size() == 3) {
        CHECK(c.msgs[0] == "libtest: warning: ab\n");
        CHECK(c.msgs[1] == "libtest: warning: unable to c: "s + std::strerror(EPERM) + "\n");
        CHECK(c.msgs[2] == "libtest: info: i -7\n");
    }

    // Empty pieces add nothing; the program name is whatever prog says.
    c = capture([]() -> int {
        keel::prog = "other";
        keel::warn("x", "", "y");
        return 0;
    });
    CHECK(one_msg(c, 0, "other: warning: xy\n"));

    // errno is preserved by every reporting function.
    c = capture([]() -> int {
        int bad = 0;
        errno = EXDEV;
        keel::warn_sys("one");
        bad += errno != EXDEV;
        keel::warn("two");
        bad += errno != EXDEV;
        keel::info("three");
        bad += errno != EXDEV;
        const std::string_view v[] = {"four"};
        keel::report("warning", v, EIO);
        bad += errno != EXDEV;
        return bad;
    });
    CHECK(c.status == 0);
    CHECK(c.msgs.size() == 4);
    if (c.msgs.size() == 4) {
        CHECK(c.msgs[0] == "libtest: warning: one: "s + std::strerror(EXDEV) + "\n");
        CHECK(c.msgs[3] == "libtest: warning: four: "s + std::strerror(EIO) + "\n");
    }

    // report(): err == 0 means no suffix, whatever errno says.
    c = capture([]() -> int {
        errno = EIO;
        const std::string_view v[] = {"p", "q"};
        keel::report("custom", v, 0);
        return 0;
    });
    CHECK(one_msg(c, 0, "libtest: custom: pq\n"));

    // Nowhere to write (stderr closed): nothing visible, errno unchanged.
    c = capture([]() -> int {
        close(2);
        errno = ERANGE;
        keel::warn("lost");
        keel::warn_sys("lost");
        return errno == ERANGE ? 0 : 1;
    });
    CHECK(c.status == 0);
    CHECK(c.msgs.empty());

    // max_pieces pieces make one write; more than that still come out whole, in several.
    for (const std::size_t count : {keel::max_pieces, std::size_t{40}}) {
        c = capture([count]() -> int {
            static std::string names[40];
            std::string_view v[40];
            for (std::size_t i = 0; i < 40; ++i) {
                names[i] = (i < 10 ? "p0" : "p") + std::to_string(i);
                v[i] = names[i];
            }
            keel::report("warning", std::span<const std::string_view>(v, count), EIO);
            return 0;
        });
        CHECK(c.status == 0);
        std::string all = "libtest: warning: ", got;
        for (std::size_t i = 0; i < count; ++i) all += (i < 10 ? "p0" : "p") + std::to_string(i);
        all += ": "s + std::strerror(EIO) + "\n";
        for (const std::string& m : c.msgs) got += m;
        CHECK(got == all);
        if (count <= keel::max_pieces) CHECK(c.msgs.size() == 1);
    }

    c = capture([]() -> int { keel::die_usage("libtest [ -v ] [ -t timeout ] prog..."); });
    CHECK(one_msg(c, 100, "libtest: usage: libtest [ -v ] [ -t timeout ] prog...\n"));

    c = capture([]() -> int {
        errno = ENOENT;
        keel::die_exec("prog");
    });
    CHECK(one_msg(c, 127, "libtest: fatal: unable to exec prog: " + enoent + "\n"));
    c = capture([]() -> int {
        errno = EACCES;
        keel::die_exec("./x y");
    });
    CHECK(one_msg(c, 126, "libtest: fatal: unable to exec ./x y: " + eacces + "\n"));
    c = capture([]() -> int {
        errno = ENOEXEC;
        keel::die_exec("script");
    });
    CHECK(one_msg(c, 126, "libtest: fatal: unable to exec script: "s + std::strerror(ENOEXEC)
                              + "\n"));

    // exit_now: the code, and no atexit handler runs.
    c = capture([]() -> int {
        std::atexit(exit_marker);
        keel::exit_now(42);
    });
    CHECK(c.status == 42);
    CHECK(c.msgs.empty());
    c = capture([]() -> int {
        std::atexit(exit_marker);
        keel::die(7, "bye");
    });
    CHECK(one_msg(c, 7, "libtest: fatal: bye\n"));
}

// ---------------------------------------------------------------------------------------------
// exec: keel/exec.h

// exec_search(argv) in a child, in directory dir, with PATH set to path (unset if nullptr).
// The result is the program's exit code, or exec_errno(errno) if exec_search failed (99 if
// it returned anything but -1).
constexpr int exec_errno(int e)
{
    return 100 + e;
}

int exec_code(const char* path, const std::string& dir, std::initializer_list<const char*> args,
              char* const* envp = nullptr)
{
    const Args a(args);
    return in_child([&] {
        if (!dir.empty() && chdir(dir.c_str()) < 0) return 98;
        if (path) setenv("PATH", path, 1);
        else unsetenv("PATH");
        const int r = keel::exec_search(a.argv(), envp ? envp : environ);
        return r == -1 ? exec_errno(errno) : 99;
    });
}

void test_exec()
{
    const std::string A = tmp + "/A", B = tmp + "/B", C = tmp + "/C", D = tmp + "/D",
                      E = tmp + "/E", notdir = tmp + "/notdir";
    for (const std::string& d : {A, B, C, D, D + "/sub", E}) CHECK(mkdir(d.c_str(), 0755) == 0);
    CHECK(write_file(A + "/prog", "#!/bin/sh\nexit 41\n", 0644)); // not executable
    CHECK(write_file(B + "/prog", "#!/bin/sh\nexit 42\n", 0755));
    CHECK(write_file(C + "/prog", "exit 43\n", 0755)); // no #! line
    CHECK(write_file(D + "/sub/prog", "#!/bin/sh\nexit 44\n", 0755));
    CHECK(write_file(E + "/envprog",
                     "#!/bin/sh\n[ \"$KEEL_X\" = yes ] && exit 45\n"
                     "[ \"$1\" = arg1 ] && [ \"$2\" = 'a b' ] && exit 47\nexit 46\n",
                     0755));
    CHECK(write_file(notdir, "plain file\n"));
    const std::string none = tmp + "/none", none2 = tmp + "/none2";

    // PATH search: first executable match wins; a non-executable earlier one is skipped.
    CHECK(exec_code(B.c_str(), "", {"prog"}) == 42);
    CHECK(exec_code((A + ":" + B).c_str(), "", {"prog"}) == 42);
    CHECK(exec_code((B + ":" + A).c_str(), "", {"prog"}) == 42);
    CHECK(exec_code((none + ":" + B).c_str(), "", {"prog"}) == 42);
    CHECK(exec_code((notdir + ":" + B).c_str(), "", {"prog"}) == 42);

    // All fail: EACCES beats ENOENT, wherever it comes.
    CHECK(exec_code(A.c_str(), "", {"prog"}) == exec_errno(EACCES));
    CHECK(exec_code((A + ":" + none).c_str(), "", {"prog"}) == exec_errno(EACCES));
    CHECK(exec_code((none + ":" + A).c_str(), "", {"prog"}) == exec_errno(EACCES));
    CHECK(exec_code((none + ":" + A + ":" + none2).c_str(), "", {"prog"})
          == exec_errno(EACCES));
    CHECK(exec_code(none.c_str(), "", {"prog"}) == exec_errno(ENOENT));
    CHECK(exec_code((none + ":" + none2).c_str(), "", {"prog"}) == exec_errno(ENOENT));
    // A file in PATH where a directory should be counts as "not there", like execvp.
    CHECK(exec_code((notdir + ":" + none).c_str(), "", {"prog"}) == exec_errno(ENOENT));
    // No /bin/sh fallback for a script without #!: ENOEXEC, which also beats ENOENT.
    CHECK(exec_code(C.c_str(), "", {"prog"}) == exec_errno(ENOEXEC));
    CHECK(exec_code((none + ":" + C + ":" + none2).c_str(), "", {"prog"})
          == exec_errno(ENOEXEC));
    // A PATH entry too long to join with the name: ENAMETOOLONG, not a silent truncation.
    const std::string huge(PATH_MAX, 'd');
    CHECK(exec_code(("/" + huge).c_str(), "", {"prog"}) == exec_errno(ENAMETOOLONG));
    CHECK(exec_code(("/" + huge + ":" + B).c_str(), "", {"prog"}) == 42);

    // Empty PATH entries mean the current directory.
    CHECK(exec_code("", B, {"prog"}) == 42);
    CHECK(exec_code((":" + none).c_str(), B, {"prog"}) == 42);
    CHECK(exec_code((none + ":").c_str(), B, {"prog"}) == 42);
    CHECK(exec_code((none + "::" + none2).c_str(), B, {"prog"}) == 42);
    CHECK(exec_code(":", tmp, {"prog"}) == exec_errno(ENOENT));
    CHECK(exec_code("", A, {"prog"}) == exec_errno(EACCES));

    // Names with a '/' are not searched: relative to the current directory, or absolute.
    CHECK(exec_code(B.c_str(), tmp, {"sub/prog"}) == exec_errno(ENOENT));
    CHECK(exec_code(D.c_str(), tmp, {"sub/prog"}) == exec_errno(ENOENT));
    CHECK(exec_code(none.c_str(), D, {"sub/prog"}) == 44);
    CHECK(exec_code(none.c_str(), B, {"./prog"}) == 42);
    CHECK(exec_code(nullptr, "", {(B + "/prog").c_str()}) == 42);
    CHECK(exec_code(B.c_str(), "", {(A + "/prog").c_str()}) == exec_errno(EACCES));
    CHECK(exec_code(B.c_str(), "", {(none + "/prog").c_str()}) == exec_errno(ENOENT));
    CHECK(exec_code(B.c_str(), "", {(C + "/prog").c_str()}) == exec_errno(ENOEXEC));
    // An empty name is not found (not "./" or a directory).
    CHECK(exec_code(B.c_str(), B, {""}) == exec_errno(ENOENT));

    // argv and envp reach the program.
    CHECK(exec_code(E.c_str(), "", {"envprog", "arg1", "a b"}) == 47);
    {
        std::string var = "KEEL_X=yes";
        char* envp[] = {var.data(), nullptr};
        CHECK(exec_code(E.c_str(), "", {"envprog"}, envp) == 45);
        unsetenv("KEEL_X");
        CHECK(exec_code(E.c_str(), "", {"envprog"}) == 46);
    }

    // xexec / xexec_env: exec or die with 127 / 126.
    Captured c = capture([&]() -> int {
        const Args a{"/nonexistent/keel-x"};
        keel::xexec(a.argv());
    });
    CHECK(one_msg(c, 127, "libtest: fatal: unable to exec /nonexistent/keel-x: "s
                              + std::strerror(ENOENT) + "\n"));
    c = capture([&]() -> int {
        setenv("PATH", (none + ":" + A).c_str(), 1);
        const Args a{"prog"};
        keel::xexec(a.argv());
    });
    CHECK(one_msg(c, 126, "libtest: fatal: unable to exec prog: "s + std::strerror(EACCES)
                              + "\n"));
    c = capture([&]() -> int {
        setenv("PATH", C.c_str(), 1);
        const Args a{"prog"};
        keel::xexec(a.argv());
    });
    CHECK(one_msg(c, 126, "libtest: fatal: unable to exec prog: "s + std::strerror(ENOEXEC)
                              + "\n"));
    c = capture([&]() -> int {
        setenv("PATH", E.c_str(), 1);
        std::string var = "KEEL_X=yes";
        char* envp[] = {var.data(), nullptr};
        const Args a{"envprog"};
        keel::xexec_env(a.argv(), envp);
    });
    CHECK(c.status == 45);
    CHECK(c.msgs.empty());
    c = capture([&]() -> int {
        setenv("PATH", B.c_str(), 1);
        const Args a{"prog"};
        keel::xexec(a.argv());
    });
    CHECK(c.status == 42);
}

// ---------------------------------------------------------------------------------------------
// env: keel/env.h

bool in_environ(const char* entry)
{
    for (char** e = environ; *e; ++e)
        if (std::strcmp(*e, entry) == 0) return true;
    return false;
}

void test_env()
{
    constexpr const char* name = "KEEL_LIBTEST_VAR";
    unsetenv(name);
    CHECK(keel::env_get(name) == nullptr);
    CHECK(keel::env_set(name, "one"));
    CHECK(is(keel::env_get(name), "one"));
    CHECK(keel::env_set(name, "two")); // overwrites
    CHECK(is(keel::env_get(name), "two"));
    CHECK(in_environ("KEEL_LIBTEST_VAR=two"));
    CHECK(keel::env_set(name, "")); // set, but empty: not the same as unset
    CHECK(is(keel::env_get(name), ""));
    CHECK(keel::env_set(name, "a=b c\nd"));
    CHECK(is(keel::env_get(name), "a=b c\nd"));
    CHECK(keel::env_unset(name));
    CHECK(keel::env_get(name) == nullptr);
    CHECK(!in_environ("KEEL_LIBTEST_VAR=a=b c\nd"));
    CHECK(keel::env_unset(name)); // unsetting an unset variable is fine
    CHECK(keel::env_get(name) == nullptr);

    // Bad names: EINVAL.
    errno = 0;
    CHECK(fails(keel::env_set("", "x"), EINVAL));
    errno = 0;
    CHECK(fails(keel::env_set("A=B", "x"), EINVAL));
    CHECK(keel::env_get("A") == nullptr || !is(keel::env_get("A"), "B=x"));
    errno = 0;
    CHECK(fails(keel::env_unset(""), EINVAL));
    errno = 0;
    CHECK(fails(keel::env_unset("A=B"), EINVAL));

    // Numbers.
    CHECK(keel::env_set_number(name, 0));
    CHECK(is(keel::env_get(name), "0"));
    CHECK(keel::env_set_number(name, 42));
    CHECK(is(keel::env_get(name), "42"));
    CHECK(keel::env_set_number(name, UINT64_MAX));
    CHECK(is(keel::env_get(name), "18446744073709551615"));
    errno = 0;
    CHECK(fails(keel::env_set_number("A=B", 1), EINVAL));

    // The next exec passes the edits on.
    CHECK(keel::env_set(name, "passed on"));
    CHECK(keel::env_set("KEEL_LIBTEST_GONE", "x"));
    CHECK(keel::env_unset("KEEL_LIBTEST_GONE"));
    CHECK(in_child([] {
        execl("/bin/sh", "sh", "-c",
              "[ \"$KEEL_LIBTEST_VAR\" = 'passed on' ] && [ -z \"${KEEL_LIBTEST_GONE+set}\" ]",
              static_cast<char*>(nullptr));
        return 98;
    }) == 0);
    CHECK(keel::env_unset(name));

    // program_path: the build-time BINDIR and prefix, unless KEEL_BINDIR names a build's bin/.
    const char* saved = keel::env_get("KEEL_BINDIR");
    std::string keep = saved ? saved : "";
    keel::PathBuf<PATH_MAX> path;
    CHECK(keel::env_unset("KEEL_BINDIR"));
    CHECK(keel::program_path(path, "supervise"));
    CHECK(path.view() == std::string(keel::config::bindir) + "/" + keel::config::program_prefix +
                             "supervise");
    CHECK(keel::env_set("KEEL_BINDIR", "")); // empty: as if unset
    CHECK(keel::program_path(path, "svscan"));
    CHECK(path.view() == std::string(keel::config::bindir) + "/" + keel::config::program_prefix +
                             "svscan");
    CHECK(keel::env_set("KEEL_BINDIR", "/build/bin"));
    CHECK(keel::program_path(path, "supervise"));
    CHECK(path.view() == "/build/bin/supervise"); // a build's bin/ is never prefixed
    CHECK(keel::env_set("KEEL_BINDIR", std::string(PATH_MAX, 'd').c_str()));
    errno = 0;
    CHECK(fails(keel::program_path(path, "supervise"), ENAMETOOLONG));
    CHECK(saved ? keel::env_set("KEEL_BINDIR", keep.c_str()) : keel::env_unset("KEEL_BINDIR"));
}

// ---------------------------------------------------------------------------------------------
// tai: keel/tai.h

bool same(const keel::Tai64n& a, const keel::Tai64n& b)
{
    return a.sec == b.sec && a.nano == b.nano;
}

keel::Tai64n tai_of(std::int64_t unix_sec, long nano = 0)
{
    return keel::tai_from_unix(timespec{static_cast<time_t>(unix_sec), nano});
}

// tai_fmt_time of t as a std::string ("" on failure).
std::string fmt_time(const keel::Tai64n& t, bool utc)
{
    std::array<char, keel::tai_time_text_max> out;
    return std::string(keel::tai_fmt_time(t, utc, out));
}

void test_tai()
{
    using keel::Tai64n;
    constexpr std::uint64_t E = keel::tai64_epoch;

    {   // tai_before, tai_sane, tai_seconds_since
        const Tai64n now{E + 1000, 500};
        CHECK(keel::tai_before(Tai64n{E + 999, 999999999}, now));
        CHECK(keel::tai_before(Tai64n{E + 1000, 499}, now));
        CHECK(!keel::tai_before(now, now));
        CHECK(!keel::tai_before(Tai64n{E + 1000, 501}, now));
        CHECK(same(keel::tai_sane(Tai64n{E + 2000, 0}, now), now)); // future: now
        CHECK(same(keel::tai_sane(Tai64n{E - 1, 0}, now), now));    // before 1970: now
        CHECK(same(keel::tai_sane(Tai64n{E, 0}, now), Tai64n{E, 0}));
        CHECK(keel::tai_seconds_since(Tai64n{E + 990, 500}, now) == 10);
        CHECK(keel::tai_seconds_since(Tai64n{E + 990, 501}, now) == 9);
        CHECK(keel::tai_seconds_since(now, now) == 0);
    }

    // Under a "right/" zone the C library places leap seconds itself; it is detected once
    // per process, so this runs in a child before anything else formats a time here.
    if (access("/usr/share/zoneinfo/right/UTC", R_OK) == 0) {
        CHECK(in_child([] {
            setenv("TZ", "right/UTC", 1);
            tzset();
            const Tai64n leap{E + 78796799 + 10 + 1, 0};
            CHECK(fmt_time(leap, false) == "1972-06-30 23:59:60.000000000");
            CHECK(fmt_time(tai_of(1483228800), false) == "2017-01-01 00:00:00.000000000");
            CHECK(fmt_time(tai_of(1483228799, 5), false) == "2016-12-31 23:59:59.000000005");
            CHECK(fmt_time(Tai64n{E + 1483228799 + 37, 0}, false)
                  == "2016-12-31 23:59:60.000000000");
            return 0;
        }) == 0);
    }
    setenv("TZ", "UTC", 1);
    tzset();

    // pack / unpack
    {
        std::array<char, keel::tai64n_packed_len> b;
        keel::tai_pack(Tai64n{0x0102030405060708ULL, 0x090a0b0c}, b);
        const unsigned char want[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        CHECK(std::memcmp(b.data(), want, sizeof want) == 0); // big-endian, label first
        Tai64n out{};
        CHECK(keel::tai_unpack(b, out));
        CHECK(same(out, Tai64n{0x0102030405060708ULL, 0x090a0b0c}));
        for (const Tai64n t : {Tai64n{0, 0}, Tai64n{UINT64_MAX, 999999999}, Tai64n{E, 1},
                               Tai64n{0x8000000000000000ULL, 500000000}}) {
            keel::tai_pack(t, b);
            Tai64n back{1, 1};
            CHECK(keel::tai_unpack(b, back) && same(back, t));
        }
        // Nanoseconds of 10^9 or more: EINVAL, out untouched.
        for (const std::uint32_t nano : {1000000000u, 1000000001u, 0xffffffffu}) {
            keel::tai_pack(Tai64n{E, 0}, b);
            b[8] = static_cast<char>(nano >> 24);
            b[9] = static_cast<char>(nano >> 16);
            b[10] = static_cast<char>(nano >> 8);
            b[11] = static_cast<char>(nano);
            Tai64n keep{7, 7};
            errno = 0;
            CHECK(fails(keel::tai_unpack(b, keep), EINVAL));
            CHECK(same(keep, Tai64n{7, 7}));
        }
    }

    // tai_fmt / tai_scan
    {
        std::array<char, keel::tai64n_text_len> out;
        const std::string_view s = keel::tai_fmt(Tai64n{0x0102030405060708ULL, 0x090a0b0c}, out);
        CHECK(s == "@0102030405060708090a0b0c");
        CHECK(s.data() == out.data());
        CHECK(keel::tai_fmt(Tai64n{0x400000005a4b6c7dULL, 0x1234abcd}, out)
              == "@400000005a4b6c7d1234abcd"); // lower case
        CHECK(keel::tai_fmt(Tai64n{0, 0}, out) == "@000000000000000000000000");
        CHECK(keel::tai_fmt(Tai64n{UINT64_MAX, 999999999}, out) == "@ffffffffffffffff3b9ac9ff");

        Tai64n t{};
        CHECK(keel::tai_scan("@0102030405060708090a0b0c", t));
        CHECK(same(t, Tai64n{0x0102030405060708ULL, 0x090a0b0c}));
        CHECK(keel::tai_scan("@400000005A4B6C7D1234ABCD", t)); // either case
        CHECK(same(t, Tai64n{0x400000005a4b6c7dULL, 0x1234abcd}));
        CHECK(keel::tai_scan("@ffffffffffffffff3b9ac9ff", t));
        CHECK(same(t, Tai64n{UINT64_MAX, 999999999}));
        for (const Tai64n v : {Tai64n{0, 0}, Tai64n{E + 10, 5}, Tai64n{UINT64_MAX, 0},
                               Tai64n{0x40000000586846a5ULL, 123456789}}) {
            Tai64n back{1, 1};
            CHECK(keel::tai_scan(keel::tai_fmt(v, out), back) && same(back, v));
        }
        for (const std::string_view bad :
             {""sv, "@"sv, "@0102030405060708090a0b0"sv, "@0102030405060708090a0b0c0"sv,
              "00102030405060708090a0b0c"sv, "#0102030405060708090a0b0c"sv,
              "@0102030405060708090a0b0g"sv, "@01020304050607 8090a0b0c"sv,
              "@0102030405060708090a0b0\n"sv, "@-102030405060708090a0b0c"sv,
              "@0x02030405060708090a0b0c"sv, " @0102030405060708090a0b0"sv,
              "@400000005a4b6c7d3b9aca00"sv, "@400000005a4b6c7dffffffff"sv,
              "@0102030405060708090a0b0c\0"sv, "@0102030405060708\0\0\0\0\0\0\0\0"sv}) {
            Tai64n keep{7, 7};
            errno = 0;
            CHECK(fails(keel::tai_scan(bad, keep), EINVAL));
            CHECK(same(keep, Tai64n{7, 7}));
        }
    }

    // Unix <-> TAI across leap seconds.
    CHECK(keel::leap_seconds_at(INT64_MIN) == 0);
    CHECK(keel::leap_seconds_at(-1) == 0);
    CHECK(keel::leap_seconds_at(0) == 0);
    CHECK(keel::leap_seconds_at(INT64_MAX) == 27);
    CHECK(keel::leap_seconds_at(2000000000) == 27);
    CHECK(same(tai_of(0), Tai64n{E + 10, 0}));
    CHECK(same(tai_of(0, 999999999), Tai64n{E + 10, 999999999}));
    // A value from outside: 2017-01-01 00:00:00 UTC is @40000000586846a5 (TAI - UTC = 37).
    CHECK(tai_of(1483228800).sec == 0x40000000586846a5ULL);
    struct Leap {
        std::int64_t midnight; // Unix time of the midnight after the inserted second
        int before;            // leap seconds inserted before it
    };
    for (const Leap l : {Leap{78796800, 0}, Leap{915148800, 21}, Leap{1483228800, 26}}) {
        const std::int64_t m = l.midnight;
        CHECK(keel::leap_seconds_at(m - 1) == l.before);
        CHECK(keel::leap_seconds_at(m) == l.before + 1);
        const Tai64n last = tai_of(m - 1, 250000000); // 23:59:59.25
        const Tai64n next = tai_of(m);                // 00:00:00
        CHECK(last.sec == E + static_cast<std::uint64_t>(m - 1 + 10 + l.before));
        CHECK(last.nano == 250000000);
        CHECK(next.sec == E + static_cast<std::uint64_t>(m + 10 + l.before + 1));
        CHECK(next.sec - last.sec == 2); // the inserted second lies between them

        timespec ts{};
        bool leap = true;
        CHECK(keel::tai_to_unix(last, ts, leap));
        CHECK(ts.tv_sec == m - 1 && ts.tv_nsec == 250000000 && !leap);
        leap = true;
        CHECK(keel::tai_to_unix(next, ts, leap));
        CHECK(ts.tv_sec == m && ts.tv_nsec == 0 && !leap);
        // The inserted second itself: 23:59:59 again, flagged.
        leap = false;
        CHECK(keel::tai_to_unix(Tai64n{last.sec + 1, 750000000}, ts, leap));
        CHECK(ts.tv_sec == m - 1 && ts.tv_nsec == 750000000 && leap);
        CHECK(keel::tai_to_unix(Tai64n{last.sec + 1, 0}, ts)); // the two-argument form
        CHECK(ts.tv_sec == m - 1);
        // Round trips a day either side.
        for (std::int64_t u = m - 86400; u <= m + 86400; u += 3607) {
            timespec back{};
            bool lp = true;
            CHECK(keel::tai_to_unix(tai_of(u, 42), back, lp) && back.tv_sec == u
                  && back.tv_nsec == 42 && !lp);
        }
    }
    {   // every leap second of the table: one TAI second with no Unix second of its own
        int leaps = 0;
        bool ok = true;
        for (std::uint64_t s = E + 10; s < E + 1500000000; s += 1) {
            // Only look around midnights, where leap seconds happen.
            const std::uint64_t u = s - E;
            if (u % 86400 > 40 && u % 86400 < 86360) {
                s += 86400 - 40 - u % 86400 - 1;
                continue;
            }
            timespec ts{};
            bool lp = false;
            if (!keel::tai_to_unix(Tai64n{s, 0}, ts, lp)) ok = false;
            if (lp) {
                ++leaps;
                ok = ok && ts.tv_sec % 86400 == 86399; // 23:59:59 of that day
                ok = ok && keel::tai_from_unix(ts).sec == s - 1;
                ts.tv_sec += 1;
                ok = ok && keel::tai_from_unix(ts).sec == s + 1;
            }
        }
        CHECK(ok);
        CHECK(leaps == 27);
    }
    {   // tai_to_unix rejections: EINVAL / EOVERFLOW, ts and leap untouched
        timespec ts{123, 456};
        bool leap = true;
        errno = 0;
        CHECK(fails(keel::tai_to_unix(Tai64n{E + 100, 1000000000}, ts, leap), EINVAL));
        CHECK(ts.tv_sec == 123 && ts.tv_nsec == 456 && leap);
        errno = 0;
        CHECK(fails(keel::tai_to_unix(Tai64n{E + 9, 0}, ts, leap), EOVERFLOW)); // before 1970
        errno = 0;
        CHECK(fails(keel::tai_to_unix(Tai64n{E, 0}, ts, leap), EOVERFLOW));
        errno = 0;
        CHECK(fails(keel::tai_to_unix(Tai64n{0, 0}, ts, leap), EOVERFLOW));
        errno = 0;
        CHECK(fails(keel::tai_to_unix(Tai64n{E - 1, 0}, ts, leap), EOVERFLOW));
        errno = 0;
        CHECK(fails(keel::tai_to_unix(Tai64n{UINT64_MAX, 0}, ts, leap), EOVERFLOW));
        errno = 0;
        CHECK(fails(keel::tai_to_unix(Tai64n{E + (1ULL << 63), 0}, ts, leap), EOVERFLOW));
        CHECK(ts.tv_sec == 123 && ts.tv_nsec == 456 && leap);
        leap = true;
        CHECK(keel::tai_to_unix(Tai64n{E + 10, 0}, ts, leap)); // exactly 1970
        CHECK(ts.tv_sec == 0 && ts.tv_nsec == 0 && !leap);
        CHECK(keel::tai_to_unix(Tai64n{E + INT64_MAX, 0}, ts)); // the last time_t
        CHECK(ts.tv_sec == INT64_MAX - 10 - 27);
    }

    // tai_fmt_time (TZ=UTC here).
    CHECK(fmt_time(Tai64n{E + 10, 0}, true) == "1970-01-01 00:00:00.000000000");
    CHECK(fmt_time(Tai64n{E + 10, 5}, true) == "1970-01-01 00:00:00.000000005");
    CHECK(fmt_time(tai_of(1483228800), true) == "2017-01-01 00:00:00.000000000");
    CHECK(fmt_time(tai_of(1483228799, 999999999), true) == "2016-12-31 23:59:59.999999999");
    CHECK(fmt_time(Tai64n{E + 78796799 + 11, 0}, true) == "1972-06-30 23:59:60.000000000");
    CHECK(fmt_time(Tai64n{E + 1483228799 + 37, 500000000}, true)
          == "2016-12-31 23:59:60.500000000");
    CHECK(fmt_time(Tai64n{E + 1483228799 + 37, 500000000}, false)
          == "2016-12-31 23:59:60.500000000");
    CHECK(fmt_time(tai_of(915148800), false) == "1999-01-01 00:00:00.000000000");
    CHECK(fmt_time(tai_of(253402300800), true) == "10000-01-01 00:00:00.000000000");
    {
        std::array<char, keel::tai_time_text_max> out;
        errno = 0;
        CHECK(keel::tai_fmt_time(Tai64n{E + 100, 1000000000}, true, out).empty());
        CHECK(errno == EINVAL);
        errno = 0;
        CHECK(keel::tai_fmt_time(Tai64n{E + 9, 0}, true, out).empty());
        CHECK(errno == EOVERFLOW);
        errno = 0;
        CHECK(keel::tai_fmt_time(Tai64n{E + (1ULL << 62), 0}, true, out).empty()); // no year
        CHECK(errno == EOVERFLOW);
    }

    {   // tai_now agrees with the real-time clock
        timespec before, after, got;
        clock_gettime(CLOCK_REALTIME, &before);
        const Tai64n now = keel::tai_now();
        clock_gettime(CLOCK_REALTIME, &after);
        CHECK(now.nano <= 999999999);
        CHECK(keel::tai_to_unix(now, got));
        CHECK(got.tv_sec >= before.tv_sec && got.tv_sec <= after.tv_sec);
        CHECK(now.sec == E + static_cast<std::uint64_t>(got.tv_sec) + 37);
    }

    {   // mono_now_ms never goes back, and follows CLOCK_MONOTONIC
        std::int64_t last = keel::mono_now_ms();
        CHECK(last >= 0);
        bool ok = true;
        for (int i = 0; i < 100000; ++i) {
            const std::int64_t t = keel::mono_now_ms();
            ok = ok && t >= last;
            last = t;
        }
        CHECK(ok);
        timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        const std::int64_t ms = static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
        const std::int64_t m = keel::mono_now_ms();
        CHECK(m >= ms && m - ms < 1000);
        const std::int64_t t0 = keel::mono_now_ms();
        pause_ms(20);
        CHECK(keel::mono_now_ms() - t0 >= 20);
    }
}

// ---------------------------------------------------------------------------------------------
// lock: keel/lock.h

using keel::LockKind;

enum class Then { hold, release_on_wait, exit_on_wait, interrupt_then_release };

struct Holder {
    pid_t pid = -1;
    Fd hold; // the child keeps its lock (in `hold` mode) until this is closed
};

// Forks a child that locks path exclusively and reports ready, then holds the lock until the
// parent closes Holder::hold, or waits for the parent to block on the lock and then releases
// it (unlock_fd), exits, or interrupts the parent once (SIGUSR1) before releasing it.
Holder start_holder(const std::string& path, Then then, Interrupter* intr = nullptr)
{
    Holder h;
    Fd ready_rd, ready_wr, hold_rd;
    if (!keel::make_pipe(ready_rd, ready_wr) || !keel::make_pipe(hold_rd, h.hold)) return h;
    h.pid = fork();
    if (h.pid == 0) {
        ready_rd.reset();
        h.hold.reset();
        Fd f = keel::open_file(path.c_str(), O_RDWR);
        if (!f || !keel::lock_fd(f.get(), LockKind::Exclusive, keel::lock_no_wait)) _exit(1);
        if (!keel::write_all(ready_wr.get(), "r"sv)) _exit(2);
        const pid_t pp = getppid();
        char c;
        switch (then) {
        case Then::hold:
            break;
        case Then::release_on_wait:
            if (!wait_lock_waiter(pp) || !keel::unlock_fd(f.get())) _exit(3);
            break;
        case Then::exit_on_wait:
            _exit(wait_lock_waiter(pp) ? 0 : 3);
        case Then::interrupt_then_release:
            if (!intr || !intr->interrupt_parent(wait_lock_waiter)) _exit(4);
            if (!keel::unlock_fd(f.get())) _exit(5);
            break;
        }
        (void)!read(hold_rd.get(), &c, 1); // until the parent closes its end
        _exit(0);
    }
    ready_wr.reset(); // so that a child failing before it is ready means EOF, not a hang
    hold_rd.reset();
    char c = 0;
    if (keel::read_full(ready_rd.get(), &c, 1) != 1 || c != 'r') {
        h.hold.reset();
        if (h.pid > 0) (void)reap(h.pid);
        h.pid = -1;
    }
    return h;
}

bool same_sigaction(const struct sigaction& a, const struct sigaction& b)
{
    return a.sa_handler == b.sa_handler && a.sa_flags == b.sa_flags;
}

extern "C" void alarm_handler(int) {}

void test_lock()
{
    const std::string path = tmp + "/lockfile";
    CHECK(write_file(path, ""));
    const pid_t me = getpid();
    Fd fd = keel::open_file(path.c_str(), O_RDWR);
    CHECK(fd.valid());

    // An exclusive lock: the child can take neither kind, and sees who holds it.
    CHECK(keel::lock_fd(fd.get(), LockKind::Exclusive, keel::lock_no_wait));
    CHECK(keel::lock_fd(fd.get(), LockKind::Exclusive, keel::lock_no_wait)); // again: mine
    CHECK(keel::lock_holder(fd.get(), LockKind::Exclusive) == 0); // my own never conflict
    CHECK(keel::lock_holder(fd.get(), LockKind::Shared) == 0);
    CHECK(in_child([&] {
        Fd c = keel::open_file(path.c_str(), O_RDWR);
        errno = 0;
        CHECK(fails(keel::lock_fd(c.get(), LockKind::Exclusive, keel::lock_no_wait), EBUSY));
        errno = 0;
        CHECK(fails(keel::lock_fd(c.get(), LockKind::Shared, keel::lock_no_wait), EBUSY));
        CHECK(keel::lock_holder(c.get(), LockKind::Exclusive) == me);
        CHECK(keel::lock_holder(c.get(), LockKind::Shared) == me);
        // The parent's lock is not inherited through fork, even on the same descriptor.
        errno = 0;
        CHECK(fails(keel::lock_fd(fd.get(), LockKind::Exclusive, keel::lock_no_wait), EBUSY));
        CHECK(keel::lock_holder(fd.get(), LockKind::Exclusive) == me);
        // A timed wait gives up after the time asked, with ETIMEDOUT.
        const std::int64_t t0 = keel::mono_now_ms();
        errno = 0;
        CHECK(fails(keel::lock_fd(c.get(), LockKind::Exclusive, 150), ETIMEDOUT));
        CHECK(keel::mono_now_ms() - t0 >= 150);
        return 0;
    }) == 0);

    // unlock_fd releases it.
    CHECK(keel::unlock_fd(fd.get()));
    CHECK(keel::unlock_fd(fd.get())); // nothing held: fine too
    CHECK(in_child([&] {
        Fd c = keel::open_file(path.c_str(), O_RDWR);
        CHECK(keel::lock_holder(c.get(), LockKind::Exclusive) == 0);
        CHECK(keel::lock_fd(c.get(), LockKind::Exclusive, keel::lock_no_wait));
        return 0;
    }) == 0);

    // Shared locks: other readers get in, a writer does not.
    {
        Fd r = keel::open_file(path.c_str(), O_RDONLY);
        CHECK(keel::lock_fd(r.get(), LockKind::Shared, keel::lock_no_wait));
        CHECK(in_child([&] {
            Fd c = keel::open_file(path.c_str(), O_RDWR);
            CHECK(keel::lock_holder(c.get(), LockKind::Shared) == 0);
            CHECK(keel::lock_holder(c.get(), LockKind::Exclusive) == me);
            CHECK(keel::lock_fd(c.get(), LockKind::Shared, keel::lock_no_wait));
            errno = 0;
            CHECK(fails(keel::lock_fd(c.get(), LockKind::Exclusive, keel::lock_no_wait), EBUSY));
            const std::int64_t t0 = keel::mono_now_ms();
            errno = 0;
            CHECK(fails(keel::lock_fd(c.get(), LockKind::Exclusive, 100), ETIMEDOUT));
            CHECK(keel::mono_now_ms() - t0 >= 100);
            return 0;
        }) == 0);
        CHECK(keel::unlock_fd(r.get()));
        CHECK(in_child([&] {
            Fd c = keel::open_file(path.c_str(), O_RDWR);
            CHECK(keel::lock_fd(c.get(), LockKind::Exclusive, keel::lock_no_wait));
            return 0;
        }) == 0);
    }

    // The mode must match how the descriptor was opened: EBADF, whatever the timeout.
    {
        Fd r = keel::open_file(path.c_str(), O_RDONLY);
        Fd w = keel::open_file(path.c_str(), O_WRONLY);
        for (const std::int64_t t : {keel::lock_no_wait, std::int64_t{50}, keel::lock_forever}) {
            errno = 0;
            CHECK(fails(keel::lock_fd(r.get(), LockKind::Exclusive, t), EBADF));
            errno = 0;
            CHECK(fails(keel::lock_fd(w.get(), LockKind::Shared, t), EBADF));
        }
        CHECK(keel::lock_fd(w.get(), LockKind::Exclusive, keel::lock_no_wait));
        CHECK(keel::unlock_fd(w.get()));
        errno = 0;
        CHECK(fails(keel::lock_fd(9999, LockKind::Exclusive, keel::lock_no_wait), EBADF));
        errno = 0;
        CHECK(fails(keel::unlock_fd(9999), EBADF));
        errno = 0;
        CHECK(fails_neg(keel::lock_holder(9999, LockKind::Exclusive), EBADF));
    }

    // Closing ANY descriptor on the file releases this process's lock.
    {
        CHECK(keel::lock_fd(fd.get(), LockKind::Exclusive, keel::lock_no_wait));
        const int other = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        close(other);
        CHECK(in_child([&] {
            Fd c = keel::open_file(path.c_str(), O_RDWR);
            CHECK(keel::lock_fd(c.get(), LockKind::Exclusive, keel::lock_no_wait));
            return 0;
        }) == 0);
    }

    // A child holds the lock: the parent sees its pid, cannot take the lock, times out.
    {
        Holder h = start_holder(path, Then::hold);
        CHECK(h.pid > 0);
        CHECK(keel::lock_holder(fd.get(), LockKind::Exclusive) == h.pid);
        CHECK(keel::lock_holder(fd.get(), LockKind::Shared) == h.pid);
        errno = 0;
        CHECK(fails(keel::lock_fd(fd.get(), LockKind::Exclusive, keel::lock_no_wait), EBUSY));
        for (const std::int64_t t : {1, 120}) {
            const std::int64_t t0 = keel::mono_now_ms();
            errno = 0;
            CHECK(fails(keel::lock_fd(fd.get(), LockKind::Exclusive, t), ETIMEDOUT));
            CHECK(keel::mono_now_ms() - t0 >= t);
        }
        {
            Fd r = keel::open_file(path.c_str(), O_RDONLY);
            const std::int64_t t0 = keel::mono_now_ms();
            errno = 0;
            CHECK(fails(keel::lock_fd(r.get(), LockKind::Shared, 80), ETIMEDOUT));
            CHECK(keel::mono_now_ms() - t0 >= 80);
        }

        // The timed wait leaves SIGALRM, the signal mask and alarm() as they were, even with
        // SIGALRM blocked and handled on entry, and leaves no SIGALRM pending.
        struct sigaction mine {}, before, installed, after;
        mine.sa_handler = alarm_handler;
        sigemptyset(&mine.sa_mask);
        mine.sa_flags = SA_RESTART;
        sigaction(SIGALRM, &mine, &before);
        sigaction(SIGALRM, nullptr, &installed); // as the kernel reports it
        sigset_t block, mask_before, mask_after, pending;
        sigemptyset(&block);
        sigaddset(&block, SIGALRM);
        sigaddset(&block, SIGUSR2);
        sigprocmask(SIG_BLOCK, &block, &mask_before);
        sigprocmask(SIG_BLOCK, nullptr, &mask_before);
        alarm(100);
        errno = 0;
        CHECK(fails(keel::lock_fd(fd.get(), LockKind::Exclusive, 50), ETIMEDOUT));
        const unsigned left = alarm(0);
        CHECK(left >= 98 && left <= 100);
        sigaction(SIGALRM, nullptr, &after);
        CHECK(same_sigaction(after, installed));
        sigprocmask(SIG_BLOCK, nullptr, &mask_after);
        CHECK(sigismember(&mask_after, SIGALRM) && sigismember(&mask_after, SIGUSR2));
        bool same_mask = true;
        for (int s = 1; s < NSIG; ++s)
            same_mask = same_mask && sigismember(&mask_after, s) == sigismember(&mask_before, s);
        CHECK(same_mask);
        sigpending(&pending);
        CHECK(!sigismember(&pending, SIGALRM));
        sigprocmask(SIG_UNBLOCK, &block, nullptr);
        sigaction(SIGALRM, &before, nullptr);

        h.hold.reset(); // the child exits, and its lock goes with it
        CHECK(reap(h.pid) == 0);
        CHECK(keel::lock_holder(fd.get(), LockKind::Exclusive) == 0);
        CHECK(keel::lock_fd(fd.get(), LockKind::Exclusive, keel::lock_no_wait));
        CHECK(keel::unlock_fd(fd.get()));
    }

    // Waits that end because the holder lets go: timed, forever, and after an EINTR.
    {
        Holder h = start_holder(path, Then::release_on_wait);
        CHECK(h.pid > 0);
        const std::int64_t t0 = keel::mono_now_ms();
        CHECK(keel::lock_fd(fd.get(), LockKind::Exclusive, 10000));
        CHECK(keel::mono_now_ms() - t0 < 10000);
        CHECK(keel::unlock_fd(fd.get()));
        h.hold.reset();
        CHECK(reap(h.pid) == 0);
    }
    {
        Holder h = start_holder(path, Then::exit_on_wait);
        CHECK(h.pid > 0);
        CHECK(keel::lock_fd(fd.get(), LockKind::Exclusive, keel::lock_forever));
        CHECK(keel::unlock_fd(fd.get()));
        CHECK(reap(h.pid) == 0);
    }
    {
        Interrupter intr;
        Holder h = start_holder(path, Then::interrupt_then_release, &intr);
        CHECK(h.pid > 0);
        // Any negative timeout waits for ever; EINTR is retried.
        CHECK(keel::lock_fd(fd.get(), LockKind::Exclusive, -5));
        CHECK(keel::unlock_fd(fd.get()));
        h.hold.reset();
        CHECK(reap(h.pid) == 0);
    }
    {
        Interrupter intr;
        Holder h = start_holder(path, Then::interrupt_then_release, &intr);
        CHECK(h.pid > 0);
        const std::int64_t t0 = keel::mono_now_ms();
        CHECK(keel::lock_fd(fd.get(), LockKind::Exclusive, 10000)); // only the clock decides
        CHECK(keel::mono_now_ms() - t0 < 10000);
        CHECK(keel::unlock_fd(fd.get()));
        h.hold.reset();
        CHECK(reap(h.pid) == 0);
    }
}

// ---------------------------------------------------------------------------------------------
// proc: keel/proc.h

// ChildSetup: makes *(int*)ctx the child's stdout.
bool stdout_to(void* ctx) noexcept
{
    return dup2(*static_cast<int*>(ctx), 1) == 1;
}

// ChildSetup: checks the state spawn() promises the setup runs in. EDOM: a parent handler
// survived; ERANGE: a signal is not blocked; EXDEV: an ignored signal changed (ctx says
// whether SIG_IGN should have been reset).
bool probe_signals(void* ctx) noexcept
{
    const bool reset_ignored = *static_cast<bool*>(ctx);
    struct sigaction sa;
    if (sigaction(SIGUSR2, nullptr, &sa) < 0 || sa.sa_handler != SIG_DFL) {
        errno = EDOM;
        return false;
    }
    if (sigaction(SIGQUIT, nullptr, &sa) < 0
        || sa.sa_handler != (reset_ignored ? SIG_DFL : SIG_IGN)) {
        errno = EXDEV;
        return false;
    }
    sigset_t m;
    sigprocmask(SIG_SETMASK, nullptr, &m);
    for (int s = 1; s < 32; ++s) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        if (!sigismember(&m, s)) {
            errno = ERANGE;
            return false;
        }
    }
    return true;
}

bool fail_setup(void*) noexcept
{
    errno = EROFS;
    return false;
}

extern "C" void usr2_handler(int) {}

std::uint64_t status_mask(const std::string& status, const char* field)
{
    const std::string key = "\n"s + field + ":\t";
    const auto at = status.find(key);
    if (at == std::string::npos) return ~0ULL;
    return std::strtoull(status.c_str() + at + key.size(), nullptr, 16);
}

// /proc/self/status of a spawned cat, read through a pipe.
std::string child_status_text(bool reset_ignored)
{
    Fd rd, wr;
    if (!keel::make_pipe(rd, wr)) return {};
    int out = wr.get();
    keel::SpawnOptions o;
    o.setup = stdout_to;
    o.ctx = &out;
    o.reset_ignored = reset_ignored;
    const Args a{"cat", "/proc/self/status"};
    const pid_t pid = keel::spawn(a.argv(), o);
    wr.reset();
    if (pid <= 0) return {};
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = keel::read_some(rd.get(), buf, sizeof buf)) > 0)
        s.append(buf, static_cast<std::size_t>(n));
    return reap(pid) == 0 ? s : std::string();
}

void test_proc()
{
    static_assert(keel::spawn_failed == -1 && keel::spawn_exec_failed == -2);
    static_assert(keel::wait_estatus(W_EXITCODE(7, 0)) == 7);
    static_assert(keel::wait_estatus(W_EXITCODE(0, SIGKILL)) == 137);
    CHECK(keel::wait_estatus(W_EXITCODE(0, 0)) == 0);
    CHECK(keel::wait_estatus(W_EXITCODE(255, 0)) == 255);
    CHECK(keel::wait_estatus(W_EXITCODE(0, SIGTERM)) == 143);
    CHECK(keel::wait_estatus(W_EXITCODE(0, SIGHUP)) == 129);

    int ws = 0;
    {   // exit codes and signals
        const Args a{"sh", "-c", "exit 7"};
        const pid_t pid = keel::spawn(a.argv());
        CHECK(pid > 0);
        CHECK(keel::wait_pid(pid, ws) == pid);
        CHECK(WIFEXITED(ws) && keel::wait_estatus(ws) == 7);
        const Args k{"sh", "-c", "kill -9 $$"};
        const pid_t pk = keel::spawn(k.argv());
        CHECK(pk > 0);
        CHECK(keel::wait_pid(pk, ws) == pk);
        CHECK(WIFSIGNALED(ws) && keel::wait_estatus(ws) == 137);
    }

    {   // spawn returns once the exec has happened: the child already is the new program
        const Args a{"sleep", "100"};
        const pid_t pid = keel::spawn(a.argv());
        CHECK(pid > 0);
        CHECK(slurp(("/proc/" + std::to_string(pid) + "/comm").c_str()) == "sleep\n");
        CHECK(keel::wait_pid(pid, ws, WNOHANG) == 0); // still running
        kill(pid, SIGTERM);
        CHECK(keel::wait_pid(pid, ws) == pid);
        CHECK(keel::wait_estatus(ws) == 143);
    }

    {   // exec failures come back with the child's errno; the child is reaped
        const std::string noexec = tmp + "/noexec", noshebang = tmp + "/noshebang";
        CHECK(write_file(noexec, "#!/bin/sh\nexit 0\n", 0644));
        CHECK(write_file(noshebang, "exit 0\n", 0755));
        struct Case {
            const char* name;
            int err;
        };
        const Case cases[] = {{"/nonexistent/keel-prog", ENOENT},
                              {"keel-no-such-program-anywhere", ENOENT},
                              {noexec.c_str(), EACCES},
                              {noshebang.c_str(), ENOEXEC}};
        // A PATH of our own: an unsearchable directory in the caller's (root's home, as
        // nobody) would rightly make it EACCES.
        const std::string saved_path = keel::env_get("PATH") ? keel::env_get("PATH") : "";
        CHECK(keel::env_set("PATH", (tmp + "/none:" + tmp + "/none2").c_str()));
        for (const Case& k : cases) {
            const Args a{k.name};
            errno = 0;
            CHECK(keel::spawn(a.argv()) == keel::spawn_exec_failed);
            CHECK(errno == k.err);
            errno = 0;
            CHECK(fails_neg(keel::wait_pid(-1, ws, WNOHANG), ECHILD)); // already reaped
        }
        CHECK(keel::env_set("PATH", saved_path.c_str()));
        CHECK(keel::exec_failure_code(ENOENT) == 127);
        const Args a{noexec.c_str()};
        CHECK(keel::spawn(a.argv()) == keel::spawn_exec_failed);
        CHECK(keel::exec_failure_code(errno) == 126);
    }

    {   // setup: runs in the child before the exec; its failure is reported like an exec's
        Fd rd, wr;
        CHECK(keel::make_pipe(rd, wr));
        int out = wr.get();
        keel::SpawnOptions o;
        o.setup = stdout_to;
        o.ctx = &out;
        const Args a{"sh", "-c", "echo hi"};
        const pid_t pid = keel::spawn(a.argv(), o);
        CHECK(pid > 0);
        wr.reset();
        char buf[8];
        CHECK(keel::read_full(rd.get(), buf, sizeof buf) == 3);
        CHECK(std::memcmp(buf, "hi\n", 3) == 0);
        CHECK(reap(pid) == 0);

        keel::SpawnOptions f;
        f.setup = fail_setup;
        const Args t{"true"};
        errno = 0;
        CHECK(keel::spawn(t.argv(), f) == keel::spawn_exec_failed);
        CHECK(errno == EROFS);
        errno = 0;
        CHECK(fails_neg(keel::wait_pid(-1, ws, WNOHANG), ECHILD));
    }

    {   // envp
        std::string var = "KEEL_P=1";
        char* envp[] = {var.data(), nullptr};
        keel::SpawnOptions o;
        o.envp = envp;
        const Args a{"sh", "-c", "[ \"$KEEL_P\" = 1 ] && [ -z \"${HOME+set}\" ]"};
        const pid_t pid = keel::spawn(a.argv(), o);
        CHECK(pid > 0);
        CHECK(reap(pid) == 0);
        const Args b{"sh", "-c", "[ -z \"${KEEL_P+set}\" ]"}; // default: this environment
        const pid_t pb = keel::spawn(b.argv());
        CHECK(pb > 0);
        CHECK(reap(pb) == 0);
    }

    {   // signals: empty mask and handlers reset in the child; ignored ones stay ignored
        // unless reset_ignored; the caller's state is left alone
        struct sigaction h {}, ign {}, old_usr2, old_quit;
        h.sa_handler = usr2_handler;
        sigemptyset(&h.sa_mask);
        ign.sa_handler = SIG_IGN;
        sigemptyset(&ign.sa_mask);
        sigaction(SIGUSR2, &h, &old_usr2);
        sigaction(SIGQUIT, &ign, &old_quit);
        sigset_t block, old_mask, mask_before, mask_after;
        sigemptyset(&block);
        sigaddset(&block, SIGUSR1);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGHUP);
        sigprocmask(SIG_BLOCK, &block, &old_mask);
        sigprocmask(SIG_BLOCK, nullptr, &mask_before);

        const std::uint64_t parent_ign = status_mask(slurp("/proc/self/status"), "SigIgn");
        CHECK(parent_ign & (1ULL << (SIGQUIT - 1)));
        const std::string st = child_status_text(false);
        CHECK(!st.empty());
        CHECK(status_mask(st, "SigBlk") == 0);
        CHECK(status_mask(st, "SigIgn") == parent_ign);
        const std::string st2 = child_status_text(true);
        CHECK(!st2.empty());
        CHECK(status_mask(st2, "SigBlk") == 0);
        CHECK(status_mask(st2, "SigIgn") == 0);

        for (bool reset : {false, true}) {
            keel::SpawnOptions o;
            o.setup = probe_signals;
            o.ctx = &reset;
            o.reset_ignored = reset;
            const Args t{"true"};
            errno = 0;
            const pid_t pid = keel::spawn(t.argv(), o);
            CHECK(pid > 0);
            if (pid > 0) CHECK(reap(pid) == 0);
            else std::fprintf(stderr, "probe_signals(reset_ignored=%d): %s\n", reset,
                              std::strerror(errno));
        }

        sigprocmask(SIG_BLOCK, nullptr, &mask_after);
        bool same_mask = true;
        for (int s = 1; s < NSIG; ++s)
            same_mask = same_mask && sigismember(&mask_after, s) == sigismember(&mask_before, s);
        CHECK(same_mask);
        struct sigaction now;
        sigaction(SIGUSR2, nullptr, &now);
        CHECK(now.sa_handler == usr2_handler);
        sigaction(SIGQUIT, nullptr, &now);
        CHECK(now.sa_handler == SIG_IGN);

        sigprocmask(SIG_SETMASK, &old_mask, nullptr);
        sigaction(SIGUSR2, &old_usr2, nullptr);
        sigaction(SIGQUIT, &old_quit, nullptr);
    }

    {   // wait_pid: ECHILD for a process that is not our child, EINTR retried
        errno = 0;
        CHECK(fails_neg(keel::wait_pid(1, ws), ECHILD));
        Interrupter intr;
        const pid_t pid = fork();
        if (pid == 0) _exit(intr.interrupt_parent() ? 5 : 6);
        CHECK(keel::wait_pid(pid, ws) == pid);
        CHECK(keel::wait_estatus(ws) == 5);
    }
}

// ---------------------------------------------------------------------------------------------
// rlimit: keel/rlimit.h

bool limit_is(std::string_view s, std::uint64_t n)
{
    keel::LimitValue v{7, true};
    return keel::scan_limit_value(s, v) && v.n == n && !v.highest;
}

bool limit_rejects(std::string_view s)
{
    keel::LimitValue v{7, true};
    return !keel::scan_limit_value(s, v) && v.n == 7 && v.highest;
}

void test_rlimit()
{
    static_assert(keel::rlimit_by_name("nofile") == RLIMIT_NOFILE);
    static_assert(keel::rlimit_name(RLIMIT_AS) == "as");

    // Names both ways, for every entry of the table.
    bool ok = true;
    for (const keel::RlimitInfo& r : keel::rlimit_table) {
        ok = ok && keel::rlimit_by_name(r.name) == r.resource;
        ok = ok && keel::rlimit_name(r.resource) == r.name;
        std::string up(r.name);
        for (char& ch : up) ch = static_cast<char>(ch - 32);
        ok = ok && keel::rlimit_by_name(up) == r.resource;
        ok = ok && keel::rlimit_by_name(alternate_case(up)) == r.resource;
        ok = ok && keel::rlimit_by_name(std::string(r.name) + "x") == -1;
        ok = ok && keel::rlimit_by_name(keel::head(r.name, r.name.size() - 1)) == -1;
        int same_resource = 0;
        for (const keel::RlimitInfo& o : keel::rlimit_table)
            same_resource += o.resource == r.resource;
        ok = ok && same_resource == 1;
    }
    CHECK(ok);
    CHECK(keel::rlimit_by_name("nofile") == RLIMIT_NOFILE);
    CHECK(keel::rlimit_by_name("NOFILE") == RLIMIT_NOFILE);
    CHECK(keel::rlimit_by_name("NoFile") == RLIMIT_NOFILE);
    CHECK(keel::rlimit_by_name("as") == RLIMIT_AS);
    CHECK(keel::rlimit_by_name("core") == RLIMIT_CORE);
    CHECK(keel::rlimit_by_name("cpu") == RLIMIT_CPU);
    CHECK(keel::rlimit_by_name("data") == RLIMIT_DATA);
    CHECK(keel::rlimit_by_name("fsize") == RLIMIT_FSIZE);
    CHECK(keel::rlimit_by_name("memlock") == RLIMIT_MEMLOCK);
    CHECK(keel::rlimit_by_name("nproc") == RLIMIT_NPROC);
    CHECK(keel::rlimit_by_name("rss") == RLIMIT_RSS);
    CHECK(keel::rlimit_by_name("stack") == RLIMIT_STACK);
    CHECK(keel::rlimit_by_name("rttime") == RLIMIT_RTTIME);
    CHECK(keel::rlimit_by_name("sigpending") == RLIMIT_SIGPENDING);
    for (const char* bad : {"", "n", "nofil", "nofilex", "RLIMIT_NOFILE", " nofile", "nofile ",
                            "no file", "as\n", "\xc3\xa9"})
        CHECK(keel::rlimit_by_name(bad) == -1);
    CHECK(keel::rlimit_by_name(std::string_view("as\0", 3)) == -1);
    CHECK(keel::rlimit_name(RLIMIT_NOFILE) == "nofile");
    CHECK(keel::rlimit_name(RLIMIT_STACK) == "stack");
    CHECK(keel::rlimit_name(-1).empty());
    CHECK(keel::rlimit_name(9999).empty());
    CHECK(keel::rlimit_name(RLIM_NLIMITS).empty());

    // scan_limit_value
    {
        keel::LimitValue v{7, false};
        CHECK(keel::scan_limit_value("=", v));
        CHECK(v.highest && v.n == 0);
    }
    CHECK(limit_is("0", 0));
    CHECK(limit_is("1", 1));
    CHECK(limit_is("007", 7));
    CHECK(limit_is("18446744073709551615", UINT64_MAX));
    CHECK(limit_is("1e8", 100000000));
    CHECK(limit_is("5E6", 5000000));
    CHECK(limit_is("1e0", 1));
    CHECK(limit_is("1e05", 100000));
    CHECK(limit_is("0e5", 0));
    CHECK(limit_is("0e1000", 0));
    CHECK(limit_is("1e19", 10000000000000000000ULL));
    CHECK(limit_is("18e18", 18000000000000000000ULL));
    CHECK(limit_is("184467440737095516e2", 18446744073709551600ULL));
    CHECK(limit_is("18446744073709551615e0", UINT64_MAX));
    for (const char* bad : {"", "==", "= ", " =", "-1", "+1", " 1", "1 ", "1k", "0x10", "1.5",
                            "1.5e3", "1e", "e5", "E", "1e-1", "1e+1", "1ee5", "1e5e5", "1E 5",
                            "1e20", "2e19", "19e18", "184467440737095517e2",
                            "18446744073709551616", "18446744073709551615e1",
                            "1e18446744073709551616", "unlimited", "infinity"})
        CHECK(limit_rejects(bad));
    // 0 with a huge exponent is 0, at once (no loop over the exponent).
    CHECK(in_child([] {
        alarm(5);
        CHECK(limit_is("0e18446744073709551615", 0));
        return 0;
    }) == 0);

    // apply_rlimit, in children so this process keeps its limits.
    CHECK(in_child([] {
        auto get = [](int res) {
            rlimit r{};
            getrlimit(res, &r);
            return r;
        };
        CHECK(keel::apply_rlimit(RLIMIT_CORE, keel::LimitMode::Both, {1000, false}));
        CHECK(get(RLIMIT_CORE).rlim_cur == 1000 && get(RLIMIT_CORE).rlim_max == 1000);
        CHECK(keel::apply_rlimit(RLIMIT_CORE, keel::LimitMode::Soft, {5000, false}));
        CHECK(get(RLIMIT_CORE).rlim_cur == 1000); // capped at the hard limit
        CHECK(keel::apply_rlimit(RLIMIT_CORE, keel::LimitMode::Soft, {500, false}));
        CHECK(get(RLIMIT_CORE).rlim_cur == 500 && get(RLIMIT_CORE).rlim_max == 1000);
        CHECK(keel::apply_rlimit(RLIMIT_CORE, keel::LimitMode::Soft, {0, true}));
        CHECK(get(RLIMIT_CORE).rlim_cur == 1000); // "=": up to the hard limit
        CHECK(keel::apply_rlimit(RLIMIT_CORE, keel::LimitMode::Hard, {200, false}));
        CHECK(get(RLIMIT_CORE).rlim_max == 200 && get(RLIMIT_CORE).rlim_cur == 200);
        CHECK(keel::apply_rlimit(RLIMIT_CORE, keel::LimitMode::Both, {0, false}));
        CHECK(get(RLIMIT_CORE).rlim_cur == 0 && get(RLIMIT_CORE).rlim_max == 0);
        // Raising a hard limit needs CAP_SYS_RESOURCE, which root may lack in a container.
        errno = 0;
        const bool privileged =
            keel::apply_rlimit(RLIMIT_CORE, keel::LimitMode::Hard, {300, false});
        CHECK(privileged || errno == EPERM);
        CHECK(get(RLIMIT_CORE).rlim_max == (privileged ? 300 : 0));
        if (privileged) {
            CHECK(keel::apply_rlimit(RLIMIT_CORE, keel::LimitMode::Hard, {0, true}));
            CHECK(get(RLIMIT_CORE).rlim_max == RLIM_INFINITY && get(RLIMIT_CORE).rlim_cur == 0);
            CHECK(keel::apply_rlimit(RLIMIT_CORE, keel::LimitMode::Both, {UINT64_MAX, false}));
            CHECK(get(RLIMIT_CORE).rlim_cur == RLIM_INFINITY);
            CHECK(keel::apply_rlimit(RLIMIT_CORE, keel::LimitMode::Both, {0, true}));
            CHECK(get(RLIMIT_CORE).rlim_cur == RLIM_INFINITY);
        }
        errno = 0;
        CHECK(fails(keel::apply_rlimit(9999, keel::LimitMode::Soft, {1, false}), EINVAL));
        // RLIMIT_NOFILE above fs.nr_open: EPERM, even for root.
        const std::uint64_t nr_open = std::strtoull(slurp("/proc/sys/fs/nr_open").c_str(),
                                                     nullptr, 10);
        if (nr_open > 0) {
            errno = 0;
            CHECK(fails(keel::apply_rlimit(RLIMIT_NOFILE, keel::LimitMode::Both,
                                           {nr_open + 1, false}),
                        EPERM));
        }
        return 0;
    }) == 0);
}

// ---------------------------------------------------------------------------------------------
// uidgid: keel/uidgid.h

keel::GidList gids; // about 256 KiB each: static storage
keel::GidList gids2;

bool gids_are(const keel::GidList& l, std::initializer_list<gid_t> want)
{
    return l.size == want.size() && std::equal(want.begin(), want.end(), l.gids.begin())
        && l.view().size() == want.size();
}

bool scans_gids(std::string_view s, std::initializer_list<gid_t> want)
{
    gids.size = 99;
    return keel::scan_gid_list(s, gids) && gids_are(gids, want);
}

bool gids_reject(std::string_view s, int e)
{
    errno = 0;
    return !keel::scan_gid_list(s, gids) && errno == e;
}

bool user_is(const std::string& file, std::string_view name, uid_t uid, gid_t gid)
{
    keel::UserIds u{1, 1};
    return keel::find_user_in(file.c_str(), name, u) == keel::Lookup::found && u.uid == uid
        && u.gid == gid;
}

bool user_unknown(const std::string& file, std::string_view name)
{
    keel::UserIds u{1, 2};
    return keel::find_user_in(file.c_str(), name, u) == keel::Lookup::unknown && u.uid == 1
        && u.gid == 2;
}

bool group_is(const std::string& file, std::string_view name, gid_t gid)
{
    gid_t g = 1;
    return keel::find_group_in(file.c_str(), name, g) == keel::Lookup::found && g == gid;
}

bool group_unknown(const std::string& file, std::string_view name)
{
    gid_t g = 1;
    return keel::find_group_in(file.c_str(), name, g) == keel::Lookup::unknown && g == 1;
}

void test_uidgid()
{
    // scan_gid_list
    CHECK(scans_gids("", {}));
    CHECK(scans_gids("0", {0}));
    CHECK(scans_gids("1,2,3", {1, 2, 3}));
    CHECK(scans_gids("1;2 3\t4\r5\n6", {1, 2, 3, 4, 5, 6}));
    CHECK(scans_gids("1,,2;; ,\t3", {1, 2, 3})); // runs of separators
    CHECK(scans_gids("1,", {1}));                 // trailing separators
    CHECK(scans_gids("1, ;\r\n", {1}));
    CHECK(scans_gids("7,7", {7, 7}));
    CHECK(scans_gids("007", {7}));
    CHECK(scans_gids("4294967294", {4294967294u}));
    CHECK(scans_gids("4294967295", {4294967295u})); // fits in gid_t
    for (const char* bad : {",1", " 1", "\n", ";", "1a", "a", "-1", "+1", "1:2", "1.2",
                            "4294967296", "99999999999999999999", "1,x", "1, -2", "0x10"})
        CHECK(gids_reject(bad, EINVAL));
    CHECK(gids_reject(std::string_view("1\0" "2", 3), EINVAL));
    {
        std::string many;
        for (std::size_t i = 0; i < keel::max_groups; ++i) many += std::to_string(i) + ",";
        CHECK(keel::scan_gid_list(many, gids));
        CHECK(gids.size == keel::max_groups);
        CHECK(gids.gids[keel::max_groups - 1] == keel::max_groups - 1);
        many += "1";
        CHECK(gids_reject(many, ERANGE));
    }

    // find_user_in over a passwd file.
    const std::string pw = tmp + "/passwd";
    const std::string long_name(5000, 'L');
    std::string p;
    p += "# comment:x:1:1:a comment line\n";
    p += "\n";
    p += "  \t\n";
    p += "#" + std::string(10000, '#') + "\n";
    p += "short:x:5\n";                                 // 3 fields: skipped
    p += "bad:x:12a:3:::\n";                            // bad uid: skipped...
    p += "bad:x:12:3:::\n";                             // ...so this one is found
    p += "big:x:4294967296:1::/:/bin/sh\n";             // uid out of range
    p += "neg:x:-1:1::/:/bin/sh\n";
    p += "plus:x:+1:1::/:/bin/sh\n";
    p += "sp:x: 1:1::/:/bin/sh\n";
    p += "nogid:x:1:::/:/bin/sh\n";                     // empty gid
    p += "  alice:x:1000:100:Alice:/home/alice:/bin/sh\n"; // blanks before the name
    p += "alice:x:9:9:second alice::\n";                // the first match wins
    p += "bob:x:1001:101:" + std::string(10000, 'B') + ":/home/bob:/bin/sh\n";
    p += long_name + ":x:1003:103::/:/bin/sh\n";
    p += "four:x:7:8\n";                                // exactly 4 fields
    p += "max:x:4294967295:4294967295::/:\n";
    p += "carol:x:1002:102:c:/h:/bin/sh";               // no final newline
    CHECK(write_file(pw, p));
    CHECK(user_is(pw, "alice", 1000, 100));
    CHECK(user_is(pw, "bob", 1001, 101));
    CHECK(user_is(pw, long_name, 1003, 103));
    CHECK(user_is(pw, "carol", 1002, 102));
    CHECK(user_is(pw, "bad", 12, 3));
    CHECK(user_is(pw, "four", 7, 8));
    CHECK(user_is(pw, "max", 4294967295u, 4294967295u));
    for (const char* name : {"short", "big", "neg", "plus", "sp", "nogid", "comment", "# comment",
                             "alic", "alicex", "Alice", "  alice", "x", "1000", "nobody-here"})
        CHECK(user_unknown(pw, name));
    CHECK(user_unknown(pw, long_name + "L"));
    CHECK(user_unknown(pw, keel::head(long_name, 4999)));
    CHECK(user_unknown(tmp + "/no-such-passwd", "alice")); // a missing file: unknown
    {
        keel::UserIds u{1, 2};
        errno = 0;
        CHECK(keel::find_user_in(tmp.c_str(), "alice", u) == keel::Lookup::error); // a directory
        CHECK(errno == EISDIR);
        CHECK(u.uid == 1 && u.gid == 2);
    }

    // find_group_in and user_groups_in over a group file.
    const std::string gr = tmp + "/group";
    std::string g;
    g += "# wheel:x:10:alice\n";
    g += "wheel:x:10:root,alice\n";
    g += "audio:x:29:bob,alice,carol\n";
    g += "video:x:44:alicex,xalice,alic,ALICE, alice\n"; // no exact member
    g += "users:x:100:alice\n";                          // alice's primary group: left out
    g += "dup:x:10:alice\n";                             // gid 10 again: listed once
    g += "bad:x:abc:alice\n";                            // bad gid: skipped
    g += "short:x:50\n";                                 // 3 fields: a group with no members
    g += "two:x\n";                                      // 2 fields: skipped
    g += "  lead:x:60:alice\n";
    g += "big:x:70:";
    for (int i = 0; i < 2000; ++i) g += "member" + std::to_string(i) + ",";
    g += "alice\n";
    g += "wheel:x:11:\n"; // a second wheel: the first one wins
    g += "solo:x:90:alice,\n";
    g += "last:x:80:bob,alice"; // no final newline
    CHECK(write_file(gr, g));
    CHECK(group_is(gr, "wheel", 10));
    CHECK(group_is(gr, "audio", 29));
    CHECK(group_is(gr, "short", 50));
    CHECK(group_is(gr, "lead", 60));
    CHECK(group_is(gr, "big", 70));
    CHECK(group_is(gr, "last", 80));
    for (const char* name : {"bad", "two", "nope", "whee", "wheels", "# wheel", "alice"})
        CHECK(group_unknown(gr, name));
    CHECK(group_unknown(tmp + "/no-such-group", "wheel"));

    // find_group_name_in: by gid, the first group with it; names that do not fit.
    {
        char name[64];
        CHECK(keel::find_group_name_in(gr.c_str(), 10, name) == keel::Lookup::found);
        CHECK(std::string(name) == "wheel");
        CHECK(keel::find_group_name_in(gr.c_str(), 80, name) == keel::Lookup::found);
        CHECK(std::string(name) == "last");
        CHECK(keel::find_group_name_in(gr.c_str(), 60, name) == keel::Lookup::found);
        CHECK(std::string(name) == "lead"); // leading blanks are not part of the name
        CHECK(keel::find_group_name_in(gr.c_str(), 12345, name) == keel::Lookup::unknown);
        char tiny[4];
        errno = 0;
        CHECK(keel::find_group_name_in(gr.c_str(), 10, tiny) == keel::Lookup::error);
        CHECK(errno == ERANGE);
        CHECK(keel::find_group_name_in((tmp + "/no-such-group").c_str(), 10, name) ==
              keel::Lookup::unknown);
    }
    // find_user_by_uid_in: the first user with that uid.
    {
        const std::string pw = tmp + "/passwd-by-uid";
        CHECK(write_file(pw, "# x:x:5:5::/:/bin/sh\nbad:x:five:5::/:/bin/sh\n"
                             "first:x:5:50::/:/bin/sh\nsecond:x:5:51::/:/bin/sh\nshort:x:6\n"));
        keel::UserIds u{};
        CHECK(keel::find_user_by_uid_in(pw.c_str(), 5, u) == keel::Lookup::found);
        CHECK(u.uid == 5 && u.gid == 50);
        CHECK(keel::find_user_by_uid_in(pw.c_str(), 6, u) == keel::Lookup::unknown);
        CHECK(keel::find_user_by_uid_in(pw.c_str(), 7, u) == keel::Lookup::unknown);
    }
    // The libc side agrees on root.
    {
        char name[64];
        keel::UserIds u{1, 1};
        CHECK(keel::find_user_by_uid(0, u) == keel::Lookup::found);
        CHECK(u.uid == 0 && u.gid == 0);
        CHECK(keel::find_group_name(0, name) == keel::Lookup::found);
        CHECK(std::string(name) == "root");
    }
    {
        gid_t x = 1;
        errno = 0;
        CHECK(keel::find_group_in(tmp.c_str(), "wheel", x) == keel::Lookup::error);
        CHECK(errno == EISDIR && x == 1);
    }
    gids.size = 99;
    CHECK(keel::user_groups_in(gr.c_str(), "alice", 100, gids));
    CHECK(gids_are(gids, {10, 29, 60, 70, 90, 80}));
    CHECK(keel::user_groups_in(gr.c_str(), "bob", 0, gids));
    CHECK(gids_are(gids, {29, 80}));
    CHECK(keel::user_groups_in(gr.c_str(), "bob", 29, gids)); // primary left out
    CHECK(gids_are(gids, {80}));
    CHECK(keel::user_groups_in(gr.c_str(), "member1999", 0, gids));
    CHECK(gids_are(gids, {70}));
    CHECK(keel::user_groups_in(gr.c_str(), "nobody-here", 0, gids));
    CHECK(gids.size == 0);
    gids.size = 99;
    CHECK(keel::user_groups_in((tmp + "/no-such-group").c_str(), "alice", 0, gids));
    CHECK(gids.size == 0); // a missing file: an empty list
    errno = 0;
    CHECK(!keel::user_groups_in(tmp.c_str(), "alice", 0, gids));
    CHECK(errno == EISDIR);

    {   // max_groups memberships fit; one more is ERANGE
        std::string many;
        for (std::size_t i = 1; i <= keel::max_groups; ++i)
            many += "g" + std::to_string(i) + ":x:" + std::to_string(i) + ":alice\n";
        CHECK(write_file(gr, many));
        // (Each call takes a second or two: duplicates are found by a linear search.)
        CHECK(keel::user_groups_in(gr.c_str(), "alice", 0, gids));
        CHECK(gids.size == keel::max_groups);
        CHECK(gids.gids[keel::max_groups - 1] == keel::max_groups);
        many += "extra:x:999999:alice\n";
        CHECK(write_file(gr, many));
        errno = 0;
        CHECK(!keel::user_groups_in(gr.c_str(), "alice", 0, gids));
        CHECK(errno == ERANGE);
    }

    // The libc lookups on this system's root account.
    {
        keel::UserIds u{1, 1};
        CHECK(keel::find_user("root", u) == keel::Lookup::found);
        CHECK(u.uid == 0 && u.gid == 0);
        u = {1, 1};
        CHECK(keel::find_user("keel-no-such-user", u) == keel::Lookup::unknown);
        CHECK(u.uid == 1 && u.gid == 1);
        gid_t x = 1;
        CHECK(keel::find_group("root", x) == keel::Lookup::found && x == 0);
        x = 1;
        CHECK(keel::find_group("keel-no-such-group", x) == keel::Lookup::unknown && x == 1);
        CHECK(keel::user_groups("root", 0, gids));
        CHECK(std::find(gids.view().begin(), gids.view().end(), gid_t{0}) == gids.view().end());
    }

    CHECK(keel::cred_step_action(keel::CredStep::groups) == "set supplementary group list");
    CHECK(keel::cred_step_action(keel::CredStep::gid) == "setgid");
    CHECK(keel::cred_step_action(keel::CredStep::uid) == "setuid");
    CHECK(keel::cred_step_action(keel::CredStep::none) == "set credentials");

    // apply_creds, in children (root only: dropping privileges is one-way).
    if (geteuid() == 0) {
        CHECK(in_child([] {
            keel::CredStep step = keel::CredStep::uid;
            gids.size = 1;
            gids.gids[0] = 7;
            CHECK(keel::apply_creds(0, 0, &gids, step)); // 0: uid and gid left alone
            CHECK(step == keel::CredStep::none);
            CHECK(gids_are(gids, {7, 0}));               // the current egid appended
            gid_t got[8];
            CHECK(getgroups(8, got) == 2);
            CHECK(getuid() == 0 && getgid() == 0);

            gids.size = 3;
            gids.gids[0] = 1;
            gids.gids[1] = 65534;
            gids.gids[2] = 2;
            CHECK(keel::apply_creds(65534, 65534, &gids, step));
            CHECK(step == keel::CredStep::none);
            CHECK(gids_are(gids, {1, 65534, 2})); // the primary gid was already there
            CHECK(getuid() == 65534 && geteuid() == 65534);
            CHECK(getgid() == 65534 && getegid() == 65534);
            const int n = getgroups(8, got);
            CHECK(n == 3);
            const auto has = [&](gid_t x) { return std::find(got, got + n, x) != got + n; };
            CHECK(n == 3 && has(1) && has(2) && has(65534));

            // Unprivileged now: each step fails in turn, and says which.
            gids2.size = 0;
            errno = 0;
            CHECK(fails(keel::apply_creds(0, 0, &gids2, step), EPERM));
            CHECK(step == keel::CredStep::groups);
            errno = 0;
            CHECK(fails(keel::apply_creds(0, 1, nullptr, step), EPERM));
            CHECK(step == keel::CredStep::gid);
            errno = 0;
            CHECK(fails(keel::apply_creds(1, 0, nullptr, step), EPERM));
            CHECK(step == keel::CredStep::uid);
            CHECK(keel::apply_creds(0, 0, nullptr, step)); // nothing to do
            CHECK(step == keel::CredStep::none);
            return 0;
        }) == 0);
        CHECK(in_child([] {
            keel::CredStep step;
            CHECK(keel::apply_creds(0, 65534, nullptr, step)); // the gid only
            CHECK(getgid() == 65534 && getuid() == 0);
            return 0;
        }) == 0);
    }
}


// lib/keel/init.h: the 17-byte shutdown order, its FIFO probe, kill_all's ESRCH rule, sleep_ms.
void test_init()
{
    namespace I = keel::init;
    {
        // A relative delay of 90.5 s packs the plain seconds (no 2^62 epoch), then the grace.
        I::Order o{'r', {90, 500000000}, 5000};
        char out[I::order_len];
        I::order_pack(o, std::span<char, I::order_len>(out, I::order_len));
        const unsigned char want[I::order_len] = {'r', 0, 0, 0, 0, 0, 0, 0, 90,
                                                  0x1d, 0xcd, 0x65, 0x00, 0, 0, 0x13, 0x88};
        CHECK(std::memcmp(out, want, sizeof want) == 0);
        I::Order back;
        CHECK(I::order_unpack(std::span<const char, I::order_len>(out, I::order_len), back));
        CHECK(back.what == 'r' && back.delay.sec == 90 && back.delay.nano == 500000000
              && back.grace_ms == 5000);
        for (char w : {'h', 'p', 'S'}) {
            out[0] = w;
            CHECK(I::order_unpack(std::span<const char, I::order_len>(out, I::order_len), back));
            CHECK(back.what == w);
        }
        // An unknown command byte, or nanoseconds out of range: EPROTO, order untouched.
        back = I::Order{};
        out[0] = 'x';
        errno = 0;
        CHECK(!I::order_unpack(std::span<const char, I::order_len>(out, I::order_len), back));
        CHECK(errno == EPROTO && back.what == 'S');
        out[0] = 'h';
        out[9] = '\xff';
        CHECK(!I::order_unpack(std::span<const char, I::order_len>(out, I::order_len), back));
        CHECK(errno == EPROTO && back.what == 'S');
        I::Order now{'h', {0, 0}, 0};
        I::order_pack(now, std::span<char, I::order_len>(out, I::order_len));
        CHECK(out[0] == 'h' && std::all_of(out + 1, out + I::order_len, [](char c) { return c == 0; }));
    }
    {
        // The probe: no FIFO → ENOENT; a FIFO nobody reads → ENXIO; with a reader: a blocking fd.
        const std::string fifo = tmp + "/fifo";
        errno = 0;
        CHECK(!I::open_shutdownd(fifo.c_str()) && errno == ENOENT);
        CHECK(mkfifo(fifo.c_str(), 0600) == 0);
        errno = 0;
        CHECK(!I::open_shutdownd(fifo.c_str()) && errno == ENXIO);
        keel::Fd rd = keel::open_file(fifo.c_str(), O_RDONLY | O_NONBLOCK);
        CHECK(rd.valid());
        keel::Fd wr = I::open_shutdownd(fifo.c_str());
        CHECK(wr.valid());
        CHECK((fcntl(wr.get(), F_GETFL) & O_NONBLOCK) == 0);
        CHECK((fcntl(wr.get(), F_GETFD) & FD_CLOEXEC) != 0);
    }
    CHECK(I::reboot_cmd('h') == static_cast<int>(RB_HALT_SYSTEM)
          && I::reboot_cmd('p') == static_cast<int>(RB_POWER_OFF)
          && I::reboot_cmd('r') == static_cast<int>(RB_AUTOBOOT) && I::reboot_cmd('S') == -1);
    {
        // sleep_ms sleeps in full even when a signal interrupts it.
        struct sigaction sa{};
        sa.sa_handler = [](int) {};
        CHECK(sigaction(SIGALRM, &sa, nullptr) == 0);
        timespec a{}, b{};
        clock_gettime(CLOCK_MONOTONIC, &a);
        itimerval it{};
        it.it_value.tv_usec = 20000;
        CHECK(setitimer(ITIMER_REAL, &it, nullptr) == 0);
        I::sleep_ms(150);
        clock_gettime(CLOCK_MONOTONIC, &b);
        const long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
        CHECK(ms >= 150);
        signal(SIGALRM, SIG_DFL);
    }
}

// ---------------------------------------------------------------------------------------------

constexpr Section sections[] = {
    {"opt", test_opt},   {"path", test_path},     {"num", test_num},      {"str", test_str},
    {"sig", test_sig},   {"fd", test_fd},         {"buf", test_buf},      {"err", test_err},
    {"exec", test_exec}, {"env", test_env},       {"tai", test_tai},      {"lock", test_lock},
    {"proc", test_proc}, {"rlimit", test_rlimit}, {"uidgid", test_uidgid},
    {"init", test_init},
};

} // namespace

int main(int argc, char** argv)
{
    return run_section("libtest", sections, argc, argv);
}
