// Unit tests of lib/rclive.cc (keel/rclive.h), one section per run: "rclive SECTION". Run by
// tests/lib.bats. Each section builds a live state by hand in its scratch dir (what rc-init
// makes: LIVE -> LIVE:initial:x with compiled, scandir, prefix, state) and opens it.
// Test code: std::string is fine.
#include "check.h"
#include "keel/fd.h"
#include "keel/lock.h"
#include "keel/path.h"
#include "keel/rcdb.h"
#include "keel/rclive.h"

#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace keel::rc;
using namespace std::literals;

void put(const std::string& path, std::string_view bytes)
{
    keel::Fd fd = keel::open_file(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd.valid() && keel::write_all(fd.get(), bytes));
}

std::string slurp(const std::string& path)
{
    keel::Fd fd = keel::open_read(path.c_str());
    std::string s(64, 0);
    const ssize_t r = fd ? keel::read_full(fd.get(), s.data(), s.size()) : -1;
    CHECK(r >= 0);
    s.resize(r < 0 ? 0 : static_cast<std::size_t>(r));
    return s;
}

// A db of 3 services (a, b: longruns; the runner) in tmp/db, and a live state for it in
// tmp/live -> live:initial:x, prefix "p-", scandir tmp/scan, with the given state bytes.
std::string make_live(std::string_view state = "\0\0\0"sv)
{
    const ServiceSpec s[] = {
        {"a", Type::longrun, 0, 0, 0, {}, none_index, {}},
        {"b", Type::longrun, 0, 0, 0, {}, none_index, {}},
        {"s6rc-oneshot-runner", Type::longrun, 0, 0, 0, {}, none_index, {}},
    };
    CHECK(mkdir((tmp + "/db").c_str(), 0755) == 0);
    keel::Fd fd = keel::open_file((tmp + "/db/db").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd.valid() && write_db(fd.get(), s, {}));
    const std::string real = tmp + "/live:initial:x";
    CHECK(mkdir(real.c_str(), 0755) == 0);
    CHECK(symlink((tmp + "/db").c_str(), (real + "/compiled").c_str()) == 0);
    CHECK(symlink((tmp + "/scan").c_str(), (real + "/scandir").c_str()) == 0);
    put(real + "/prefix", "p-");
    put(real + "/state", state);
    CHECK(symlink("live:initial:x", (tmp + "/live").c_str()) == 0);
    return tmp + "/live";
}

// open, every accessor and path, set_up/save_state and a reopen that sees it.
void roundtrip()
{
    const std::string live = make_live("\0\1\0"sv);
    Live lv;
    CHECK(lv.lock_descriptor() < 0);
    CHECK(lv.open(live.c_str(), keel::LockKind::Exclusive, keel::lock_no_wait));
    CHECK(lv.path() == live);
    CHECK(lv.real() == tmp + "/live:initial:x");
    CHECK(lv.scandir() == tmp + "/scan");
    CHECK(lv.prefix() == "p-");
    CHECK(lv.size() == 3 && lv.db().size() == 3 && lv.db().name(2) == oneshot_runner);
    CHECK(!lv.is_up(0) && lv.is_up(1) && !lv.is_up(2));
    CHECK(lv.lock_descriptor() >= 0);
    keel::PathBuf<> p;
    CHECK(lv.service_dir(0, p) && p.view() == tmp + "/live:initial:x/servicedirs/a");
    CHECK(lv.scan_link(1, p) && p.view() == tmp + "/scan/p-b");
    CHECK(lv.runner_socket(p) &&
          p.view() == tmp + "/live:initial:x/servicedirs/s6rc-oneshot-runner/s");
    lv.set_up(0, true);
    lv.set_up(1, false);
    lv.set_up(1, false);
    CHECK(lv.is_up(0) && !lv.is_up(1));
    CHECK(lv.state().size() == 3 && lv.state()[0] == state_up && lv.state()[1] == 0);
    CHECK(lv.save_state());
    CHECK(slurp(live + "/state") == "\1\0\0"sv);
    CHECK(access((live + "/state.new").c_str(), F_OK) < 0);
    // other bits of a state byte are kept by set_up
    put(live + "/state", "\6\7\0"sv);
    Live again;
    lv.close();
    lv.close(); // twice is fine
    CHECK(lv.lock_descriptor() < 0);
    CHECK(again.open(live.c_str(), keel::LockKind::Shared, keel::lock_no_wait));
    again.set_up(0, true);
    again.set_up(1, false);
    CHECK(again.state()[0] == 7 && again.state()[1] == 6);
    // write_state alone, on an empty state
    CHECK(write_state(tmp.c_str(), {}));
    CHECK(slurp(tmp + "/state").empty());
}

// The lock: a second process cannot take it without waiting (EBUSY), or times out.
void lock()
{
    const std::string live = make_live();
    Live lv;
    CHECK(lv.open(live.c_str(), keel::LockKind::Exclusive, keel::lock_no_wait));
    const pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        Live other;
        int code = 0;
        if (other.open(live.c_str(), keel::LockKind::Exclusive, keel::lock_no_wait) ||
            errno != EBUSY || other.failed() != LiveStep::lock)
            code |= 1;
        if (other.open(live.c_str(), keel::LockKind::Shared, 50) || errno != ETIMEDOUT)
            code |= 2;
        _exit(code);
    }
    int ws = 0;
    CHECK(waitpid(pid, &ws, 0) == pid);
    CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
}

// Each step's failure: errno and failed().
void rejects()
{
    Live lv;
    const std::string live = make_live();
    CHECK(!lv.open((tmp + "/nope").c_str(), keel::LockKind::Exclusive, keel::lock_no_wait));
    CHECK(errno == ENOENT && lv.failed() == LiveStep::resolve);
    // a state of the wrong size
    put(live + "/state", "\0\0"sv);
    CHECK(!lv.open(live.c_str(), keel::LockKind::Exclusive, keel::lock_no_wait));
    CHECK(errno == EINVAL && lv.failed() == LiveStep::state);
    CHECK(lv.lock_descriptor() < 0); // a failed open holds nothing
    put(live + "/state", "\0\0\0\0"sv);
    CHECK(!lv.open(live.c_str(), keel::LockKind::Exclusive, keel::lock_no_wait));
    CHECK(errno == EINVAL && lv.failed() == LiveStep::state);
    unlink((live + "/state").c_str());
    CHECK(!lv.open(live.c_str(), keel::LockKind::Exclusive, keel::lock_no_wait));
    CHECK(errno == ENOENT && lv.failed() == LiveStep::state);
    put(live + "/state", "\0\0\0"sv);
    // a prefix with a slash or a newline
    put(live + "/prefix", "a/b");
    CHECK(!lv.open(live.c_str(), keel::LockKind::Exclusive, keel::lock_no_wait));
    CHECK(errno == EINVAL && lv.failed() == LiveStep::prefix);
    put(live + "/prefix", "");
    CHECK(lv.open(live.c_str(), keel::LockKind::Exclusive, keel::lock_no_wait));
    CHECK(lv.prefix().empty());
    lv.close();
    // scandir not a link
    unlink((live + "/scandir").c_str());
    put(live + "/scandir", "x");
    CHECK(!lv.open(live.c_str(), keel::LockKind::Exclusive, keel::lock_no_wait));
    CHECK(errno == EINVAL && lv.failed() == LiveStep::scandir);
    // an invalid db
    put(tmp + "/db/db", "keel-rc-db 1\ngarbage");
    CHECK(!lv.open(live.c_str(), keel::LockKind::Exclusive, keel::lock_no_wait));
    CHECK(errno == EINVAL && lv.failed() == LiveStep::db);
}

// Whether pid waits for a lock.
bool waiting(pid_t pid)
{
    keel::Fd fd = keel::open_read("/proc/locks");
    std::string s(65536, 0);
    const ssize_t r = fd ? keel::read_full(fd.get(), s.data(), s.size()) : -1;
    s.resize(r < 0 ? 0 : static_cast<std::size_t>(r));
    const std::string me = " " + std::to_string(pid) + " ";
    for (std::size_t at = 0; at < s.size();) {
        std::size_t nl = s.find('\n', at);
        if (nl == std::string::npos) nl = s.size();
        const std::string line = s.substr(at, nl - at);
        if (line.find("->") != std::string::npos && line.find(me) != std::string::npos) return true;
        at = nl + 1;
    }
    return false;
}

// LIVE switched to another directory while we waited for the old one's lock: open() follows.
void follow_switch()
{
    const std::string live = make_live();
    const std::string other = tmp + "/live:update:y";
    CHECK(mkdir(other.c_str(), 0755) == 0);
    CHECK(symlink((tmp + "/db").c_str(), (other + "/compiled").c_str()) == 0);
    CHECK(symlink("/elsewhere", (other + "/scandir").c_str()) == 0);
    put(other + "/prefix", "");
    put(other + "/state", "\1\1\1"sv);
    // The parent holds the old lock; the child waits for it; the parent switches, releases.
    keel::Fd old = keel::open_file((live + "/lock").c_str(), O_RDWR | O_CREAT, 0644);
    CHECK(old.valid() && keel::lock_fd(old.get(), keel::LockKind::Exclusive, keel::lock_no_wait));
    const pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        Live lv;
        const bool ok = lv.open(live.c_str(), keel::LockKind::Exclusive, keel::lock_forever);
        _exit(ok && lv.scandir() == "/elsewhere" && lv.is_up(2) ? 0 : 1);
    }
    // Switch only once the child is blocked on the old lock (a "->" waiter in /proc/locks).
    for (int i = 0; i < 500 && !waiting(pid); ++i) usleep(10000);
    CHECK(waiting(pid));
    CHECK(symlink("live:update:y", (tmp + "/live.new").c_str()) == 0);
    CHECK(rename((tmp + "/live.new").c_str(), live.c_str()) == 0);
    old.reset();
    int ws = 0;
    CHECK(waitpid(pid, &ws, 0) == pid);
    CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
}

constexpr Section sections[] = {
    {"roundtrip", roundtrip},
    {"lock", lock},
    {"rejects", rejects},
    {"follow-switch", follow_switch},
};

} // namespace

int main(int argc, char** argv)
{
    return run_section("rclive", sections, argc, argv);
}
