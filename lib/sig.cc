// The signal name table for keel/sig.h.
#include "keel/sig.h"

#include "keel/num.h"
#include "keel/str.h"

#include <array>
#include <csignal>
#include <cstring>

namespace keel {
namespace {

struct SigName {
    int num;
    std::string_view name; // with the SIG prefix
};

constexpr std::array<SigName, 31> signals{{
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
}};

bool same_ignoring_case(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
        if (x != b[i]) return false;
    }
    return true;
}

} // namespace

int sig_number(std::string_view name) noexcept
{
    int n = 0;
    if (scan_number(name, n)) return n >= 1 && n <= 64 ? n : 0;
    if (name.size() > 3 && same_ignoring_case(head(name, 3), "SIG")) name.remove_prefix(3);
    for (const SigName& s : signals)
        if (same_ignoring_case(name, sub(s.name, 3))) return s.num;
    return 0;
}

std::string_view sig_name(int sig) noexcept
{
    for (const SigName& s : signals)
        if (s.num == sig) return s.name;
    return {};
}

SigText sig_text(int sig) noexcept
{
    SigText t{};
    std::string_view name = sig_name(sig);
    NumText num = fmt_number(sig);
    if (name.empty()) {
        std::memcpy(t.buf, "SIG", 3);
        t.len = 3;
        name = num.view();
    }
    if (name.size() > sizeof t.buf - t.len) name = head(name, sizeof t.buf - t.len);
    std::memcpy(t.buf + t.len, name.data(), name.size());
    t.len += name.size();
    return t;
}

} // namespace keel
