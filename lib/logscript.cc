// The logging script of keel/logscript.h: two-pass parsing (s6-log's order of errors),
// selection of a line, stamps and line composition.
#include "keel/logscript.h"

#include "keel/num.h"
#include "keel/str.h"
#include "keel/tai.h"

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace keel {
namespace {

constexpr std::uint32_t min_size = 4096, max_size = 268435455;

// First pass: the letters and the syntax; counts what the second pass fills in.
struct Counts {
    std::uint32_t sels = 0, acts = 0, elems = 0, dirs = 0;
};

LogScriptStatus first_pass(std::span<char* const> args, Counts& c) noexcept
{
    bool acted = false;
    for (const char* a : args) {
        const bool more = a[0] && a[1];
        switch (a[0]) {
        case 'f':
            if (more) return {LogScriptError::syntax, a, false};
            [[fallthrough]];
        case '+':
        case '-':
            if (acted) {
                ++c.elems;
                acted = false;
            }
            ++c.sels;
            break;
        case 'n': case 's': case 'S': case 'l': case 'r': case 'R':
        case 'E': case '^': case '!': case '?': case 'p':
            break;
        case 't':
        case 'T':
            if (more) return {LogScriptError::syntax, a, false};
            break;
        case '1':
        case '2':
            if (more) return {LogScriptError::syntax, a, false};
            acted = true;
            ++c.acts;
            break;
        case '=':
            if (!more) return {LogScriptError::syntax, a, false};
            acted = true;
            ++c.acts;
            break;
        case '.':
        case '/':
            acted = true;
            ++c.acts;
            ++c.dirs;
            break;
        default:
            return {LogScriptError::unrecognized, a, false};
        }
    }
    if (acted) {
        ++c.elems;
        return {};
    }
    if (c.elems) return {LogScriptError::none, nullptr, true};
    return {LogScriptError::no_action, nullptr, false};
}

// The first executable "execlineb" in PATH, as exec_search() would find it.
bool find_execlineb(PathBuf<PATH_MAX>& out) noexcept
{
    const char* path = std::getenv("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    std::string_view rest(path);
    for (;;) {
        const auto colon = rest.find(':');
        std::string_view dir = head(rest, colon);
        if (dir.empty()) dir = ".";
        if (out.set(dir, "/execlineb") && access(out.c_str(), X_OK) == 0) return true;
        if (colon == std::string_view::npos) break;
        rest.remove_prefix(colon + 1);
    }
    out.clear();
    return false;
}

} // namespace

LogScript::~LogScript()
{
    for (std::uint32_t i = 0; i < ncompiled_; ++i)
        if (sels_[i].kind != LogSelKind::unacted && !sels_[i].all) regfree(&sels_[i].re);
    std::free(elems_);
    std::free(sels_);
    std::free(acts_);
    std::free(dirs_);
}

LogScriptStatus LogScript::parse(std::span<char* const> args) noexcept
{
    Counts c;
    const LogScriptStatus first = first_pass(args, c);
    if (first.error != LogScriptError::none) return first;
    elems_ = static_cast<LogElement*>(std::calloc(c.elems + 1, sizeof(LogElement)));
    sels_ = static_cast<LogSelection*>(std::calloc(c.sels + 1, sizeof(LogSelection)));
    acts_ = static_cast<LogAction*>(std::calloc(c.acts + 1, sizeof(LogAction)));
    dirs_ = static_cast<LogdirConfig*>(std::calloc(c.dirs + 1, sizeof(LogdirConfig)));
    if (!elems_ || !sels_ || !acts_ || !dirs_) {
        errno = ENOMEM;
        return {LogScriptError::nomem, nullptr, false};
    }

    LogdirConfig dir;           // the settings later logdirs get
    std::uint32_t alert_limit = 200, status_size = 1001;
    std::string_view prefix;
    bool tai = false, iso = false, acted = false;
    LogElement cur{};
    // Errors of this pass come with the first pass's warning, which s6-log gives first.
    auto error = [&first](LogScriptError e, const char* a) {
        return LogScriptStatus{e, a, first.extraneous};
    };
    auto bad = [&error](const char* a) { return error(LogScriptError::unrecognized, a); };

    for (char* a : args) {
        const std::string_view rest = a[0] ? std::string_view(a + 1) : std::string_view();
        switch (a[0]) {
        case 'f':
        case '+':
        case '-': {
            if (acted) {
                elems_[nelems_++] = cur;
                cur = {nsels_, nsels_, nacts_, nacts_};
                acted = false;
            }
            LogSelection& s = sels_[nsels_];
            s.kind = a[0] == 'f' ? LogSelKind::unacted
                : a[0] == '+'    ? LogSelKind::plus
                                 : LogSelKind::minus;
            s.all = a[0] != 'f' && rest.empty();
            if (a[0] != 'f' && !s.all) {
                const int r = regcomp(&s.re, a + 1, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
                if (r == REG_ESPACE) {
                    errno = ENOMEM;
                    return error(LogScriptError::nomem, a);
                }
                if (r) return bad(a);
            }
            ncompiled_ = ++nsels_;
            cur.sel_end = nsels_;
            selects_ = true;
            break;
        }
        case 'n':
            if (!scan_number(rest, dir.keep)) return bad(a);
            break;
        case 's':
            if (!scan_number(rest, dir.max_size)) return bad(a);
            if (dir.max_size < min_size) dir.max_size = min_size;
            if (dir.max_size > max_size) dir.max_size = max_size;
            break;
        case 'S':
            if (!scan_number(rest, dir.max_total)) return bad(a);
            break;
        case 'l':
            if (!scan_number(rest, dir.tolerance)) return bad(a);
            if (dir.tolerance > dir.max_size / 2) return error(LogScriptError::conflict, a);
            break;
        case 'r':
            if (!scan_number(rest, dir.retry_ms)) return bad(a);
            break;
        case 'R':
            if (!scan_number(rest, dir.period_s)) return bad(a);
            break;
        case 'E':
            if (!scan_number(rest, alert_limit)) return bad(a);
            break;
        case '^':
            if (!scan_number(rest, status_size)) return bad(a);
            break;
        case '!':
            if (rest.empty()) {
                dir.processor = {};
            } else {
                if (execlineb_.size() == 0 && !find_execlineb(execlineb_))
                    return error(LogScriptError::no_execline, a);
                dir.processor = {execlineb_.c_str(), "-Pc", a + 1};
            }
            break;
        case '?':
            dir.processor = rest.empty() ? LogProcessor{} : LogProcessor{"/bin/sh", "-c", a + 1};
            break;
        case 'p':
            prefix = rest;
            break;
        case 't':
            tai = true;
            break;
        case 'T':
            iso = true;
            break;
        default: { // an action: 1 2 =FILE /DIR ./DIR
            LogAction& act = acts_[nacts_];
            act = {LogActKind::out, tai, iso, prefix, 0, nullptr, 0};
            if (a[0] == '2') {
                act.kind = LogActKind::alert;
                act.limit = alert_limit;
            } else if (a[0] == '=') {
                act.kind = LogActKind::status;
                act.limit = status_size;
                act.file = a + 1;
            } else if (a[0] == '.' || a[0] == '/') {
                act.kind = LogActKind::logdir;
                act.logdir = ndirs_;
                dir.dir = a;
                dirs_[ndirs_++] = dir;
            }
            stamps_ = stamps_ || tai || iso;
            tai = iso = false;
            cur.act_end = ++nacts_;
            acted = true;
            break;
        }
        }
    }
    if (acted) elems_[nelems_++] = cur;
    return first;
}

std::size_t LogScript::select(const char* line, std::span<std::uint32_t> out) const noexcept
{
    bool selected = true, acted = false;
    std::size_t n = 0;
    for (const LogElement& e : elements()) {
        for (std::uint32_t i = e.sel_begin; i < e.sel_end; ++i) {
            const LogSelection& s = sels_[i];
            switch (s.kind) {
            case LogSelKind::unacted:
                selected = !acted;
                break;
            case LogSelKind::plus:
                if (!selected && (s.all || regexec(&s.re, line, 0, nullptr, 0) == 0))
                    selected = true;
                break;
            case LogSelKind::minus:
                if (selected && (s.all || regexec(&s.re, line, 0, nullptr, 0) == 0))
                    selected = false;
                break;
            }
        }
        if (!selected) continue;
        acted = true;
        for (std::uint32_t i = e.act_begin; i < e.act_end && n < out.size(); ++i) out[n++] = i;
    }
    return n;
}

void LineStamps::new_tai_second() noexcept
{
    const Tai64n t = tai_from_unix(timespec{now_.tv_sec, 0});
    tai_[0] = '@';
    for (int i = 0; i < 8; ++i) {
        const auto byte = static_cast<std::size_t>((t.sec >> (56 - 8 * i)) & 255);
        std::memcpy(tai_ + 1 + 2 * i, detail::hex_pairs.data() + 2 * byte, 2);
    }
    tai_[25] = ' ';
    tai_sec_ = now_.tv_sec;
}

void LineStamps::format_iso() noexcept
{
    if (now_.tv_sec != iso_sec_) {
        std::array<char, tai_time_text_max> buf;
        const Tai64n t = tai_from_unix(timespec{now_.tv_sec, 0});
        const std::string_view s = tai_fmt_time(t, false, buf);
        iso_len_ = s.size() >= 9 && s.size() + 2 <= sizeof iso_ ? s.size() : 0;
        if (iso_len_) {
            std::memcpy(iso_, s.data(), iso_len_);
            iso_[iso_len_] = iso_[iso_len_ + 1] = ' ';
            iso_len_ += 2;
        }
        iso_sec_ = now_.tv_sec;
    }
    if (iso_len_) {
        auto ns = static_cast<std::uint32_t>(now_.tv_nsec);
        char* end = iso_ + iso_len_ - 2; // the 9 digits end before the 2 spaces
        for (int i = 1; i <= 9; ++i, ns /= 10) end[-i] = static_cast<char>('0' + ns % 10);
    }
    iso_done_ = true;
}

std::size_t log_status_fit(char* buf, std::size_t n, std::size_t size) noexcept
{
    if (!size) return n;
    if (n < size) std::memset(buf + n, '\n', size - n);
    return size;
}

} // namespace keel
