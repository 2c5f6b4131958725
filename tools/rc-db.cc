// rc-db: query a compiled service database (keel's COMPILED/db, made by rc-compile) with
// s6-rc-db's commands: list, type, timeout, contents, dependencies, all-dependencies, atomics,
// script, flags, pipeline, check. Reads COMPILED/db and, for script, COMPILED/oneshots/.
#include "keel/buf.h"
#include "keel/err.h"
#include "keel/fd.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/rcdb.h"
#include "keel/slurp.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <unistd.h>

namespace {

using keel::rc::Db;
using keel::rc::none_index;
using keel::rc::Type;
using std::uint32_t;

constexpr std::string_view usage = "rc-db [ -c compiled | -l live ] [ -u | -d ] COMMAND [ ARGS ]";

constexpr int exit_unknown = 3, exit_invalid = 4, exit_wrong_type = 5;

constexpr std::string_view help_text =
    "rc-db help\n"
    "rc-db [ -c compiled | -l live ] check\n"
    "rc-db [ -c compiled | -l live ] list all|services|oneshots|longruns|bundles\n"
    "rc-db [ -c compiled | -l live ] type NAME\n"
    "rc-db [ -c compiled | -l live ] [ -u | -d ] timeout ATOMIC\n"
    "rc-db [ -c compiled | -l live ] contents BUNDLE\n"
    "rc-db [ -c compiled | -l live ] [ -u | -d ] dependencies NAME\n"
    "rc-db [ -c compiled | -l live ] pipeline LONGRUN\n"
    "rc-db [ -c compiled | -l live ] [ -u | -d ] script ONESHOT\n"
    "rc-db [ -c compiled | -l live ] flags ATOMIC\n"
    "rc-db [ -c compiled | -l live ] atomics NAME...\n"
    "rc-db [ -c compiled | -l live ] [ -u | -d ] all-dependencies NAME...\n";

keel::BufWriter<4096> out(1);

void put(std::string_view s) noexcept
{
    if (!out.put(s)) keel::die_sys(keel::exit_sys, "unable to write to stdout");
}

void line(std::string_view s) noexcept
{
    put(s);
    put("\n");
}

// Everything a command needs.
struct Ctx {
    Db db;
    const char* dir = nullptr;
    bool down = false;
    char** args = nullptr;
    int nargs = 0;
};

// A set of atomic indices, printed in index (name) order.
struct Set {
    bool* in = nullptr;
    uint32_t n = 0;
    explicit Set(uint32_t size) noexcept : n(size)
    {
        in = static_cast<bool*>(std::calloc(size ? size : 1, 1));
        if (!in) keel::die_sys(keel::exit_sys, "unable to allocate memory");
    }
    void print(const Db& db) const noexcept
    {
        for (uint32_t i = 0; i < n; ++i)
            if (in[i]) line(db.name(i));
    }
};

void need_args(const Ctx& c, int min, int max) noexcept
{
    if (c.nargs < min || (max >= 0 && c.nargs > max)) keel::die_usage(usage);
}

std::span<const uint32_t> resolve(const Ctx& c, std::string_view name) noexcept
{
    std::span<const uint32_t> r;
    if (!c.db.resolve(name, r)) keel::die(exit_unknown, "unknown service: ", name);
    return r;
}

uint32_t atomic(const Ctx& c, std::string_view name) noexcept
{
    const uint32_t i = c.db.find(name);
    if (i != none_index) return i;
    if (c.db.find_bundle(name) != none_index)
        keel::die(exit_wrong_type, name, " is a bundle, not an atomic service");
    keel::die(exit_unknown, "unknown service: ", name);
}

std::string_view type_name(const Db& db, uint32_t i) noexcept
{
    return db.type(i) == Type::oneshot ? "oneshot" : "longrun";
}

int cmd_list(Ctx& c) noexcept
{
    need_args(c, 1, 1);
    const std::string_view what = c.args[0];
    const bool all = what == "all", svcs = what == "services", one = what == "oneshots",
               lr = what == "longruns", bun = what == "bundles";
    if (!(all || svcs || one || lr || bun)) keel::die_usage(usage);
    for (uint32_t i = 0; i < c.db.size(); ++i)
        if (all || svcs || (one && c.db.type(i) == Type::oneshot) ||
            (lr && c.db.type(i) == Type::longrun))
            line(c.db.name(i));
    if (all || bun)
        for (uint32_t b = 0; b < c.db.bundles(); ++b) line(c.db.bundle_name(b));
    return 0;
}

int cmd_type(Ctx& c) noexcept
{
    need_args(c, 1, 1);
    const uint32_t i = c.db.find(c.args[0]);
    if (i != none_index) line(type_name(c.db, i));
    else if (c.db.find_bundle(c.args[0]) != none_index) line("bundle");
    else keel::die(exit_unknown, "unknown service: ", c.args[0]);
    return 0;
}

int cmd_timeout(Ctx& c) noexcept
{
    need_args(c, 1, 1);
    const uint32_t i = atomic(c, c.args[0]);
    line(keel::fmt_number(c.down ? c.db.timeout_down(i) : c.db.timeout_up(i)));
    return 0;
}

int cmd_flags(Ctx& c) noexcept
{
    need_args(c, 1, 1);
    line(keel::fmt_number(c.db.flags(atomic(c, c.args[0])), 16));
    return 0;
}

int cmd_contents(Ctx& c) noexcept
{
    need_args(c, 1, 1);
    const uint32_t b = c.db.find_bundle(c.args[0]);
    if (b == none_index) {
        if (c.db.find(c.args[0]) != none_index)
            keel::die(exit_wrong_type, c.args[0], " is an atomic service, not a bundle");
        keel::die(exit_unknown, "unknown service: ", c.args[0]);
    }
    for (const uint32_t i : c.db.bundle_contents(b)) line(c.db.name(i));
    return 0;
}

int cmd_atomics(Ctx& c) noexcept
{
    need_args(c, 1, -1);
    Set s(c.db.size());
    for (int k = 0; k < c.nargs; ++k)
        for (const uint32_t i : resolve(c, c.args[k])) s.in[i] = true;
    s.print(c.db);
    return 0;
}

std::span<const uint32_t> edges(const Ctx& c, uint32_t i) noexcept
{
    return c.down ? c.db.rdeps(i) : c.db.deps(i);
}

int cmd_dependencies(Ctx& c) noexcept
{
    need_args(c, 1, 1);
    Set s(c.db.size());
    for (const uint32_t i : resolve(c, c.args[0]))
        for (const uint32_t d : edges(c, i)) s.in[d] = true;
    s.print(c.db);
    return 0;
}

int cmd_all_dependencies(Ctx& c) noexcept
{
    need_args(c, 1, -1);
    const uint32_t n = c.db.size();
    Set s(n);
    auto* todo = static_cast<uint32_t*>(std::malloc(sizeof(uint32_t) * (n ? n : 1)));
    if (!todo) keel::die_sys(keel::exit_sys, "unable to allocate memory");
    uint32_t len = 0;
    for (int k = 0; k < c.nargs; ++k)
        for (const uint32_t i : resolve(c, c.args[k]))
            if (!s.in[i]) s.in[i] = true, todo[len++] = i;
    while (len) {
        const uint32_t i = todo[--len];
        for (const uint32_t d : edges(c, i))
            if (!s.in[d]) s.in[d] = true, todo[len++] = d;
    }
    s.print(c.db);
    return 0;
}

// Producers first, depth first, then i (a pipeline has no cycle: rc-compile checked).
void print_pipeline(const Db& db, uint32_t i, uint32_t depth) noexcept
{
    if (depth > db.size()) keel::die(exit_invalid, "invalid database: pipeline cycle");
    for (const uint32_t p : db.producers(i)) print_pipeline(db, p, depth + 1);
    line(db.name(i));
}

int cmd_pipeline(Ctx& c) noexcept
{
    need_args(c, 1, 1);
    uint32_t i = atomic(c, c.args[0]);
    if (c.db.type(i) != Type::longrun) keel::die(exit_wrong_type, c.args[0], " is not a longrun");
    for (uint32_t steps = 0; c.db.consumer(i) != none_index; ++steps) {
        if (steps > c.db.size()) keel::die(exit_invalid, "invalid database: pipeline cycle");
        i = c.db.consumer(i);
    }
    print_pipeline(c.db, i, 0);
    return 0;
}

int cmd_script(Ctx& c) noexcept
{
    need_args(c, 1, 1);
    const uint32_t i = atomic(c, c.args[0]);
    if (c.db.type(i) != Type::oneshot) keel::die(exit_wrong_type, c.args[0], " is not a oneshot");
    keel::PathBuf<> path;
    if (!path.set(c.dir, "/oneshots/", c.args[0], c.down ? "/down" : "/up"))
        keel::die_sys(keel::exit_sys, "unable to read the script of ", c.args[0]);
    const keel::Fd fd = keel::open_read(path.c_str());
    if (!fd) {
        if (errno == ENOENT) return 0; // no script: nothing to do
        keel::die_sys(keel::exit_sys, "unable to open ", path.view());
    }
    keel::Slurp s;
    if (!s.read(fd.get())) keel::die_sys(keel::exit_sys, "unable to read ", path.view());
    std::string_view words = s.view();
    while (!words.empty()) {
        const std::size_t z = words.find('\0');
        if (z == std::string_view::npos) keel::die(exit_invalid, "invalid script file: ", path.view());
        line({words.data(), z});
        words.remove_prefix(z + 1);
    }
    return 0;
}

int cmd_check(Ctx& c) noexcept
{
    need_args(c, 0, 0);
    const Db& db = c.db;
    const uint32_t n = db.size();
    // Every edge is in both tables.
    for (uint32_t i = 0; i < n; ++i)
        for (const uint32_t d : db.deps(i)) {
            bool back = false;
            for (const uint32_t r : db.rdeps(d)) back |= r == i;
            if (!back)
                keel::die(exit_invalid, "invalid database: dependency ", db.name(i), " -> ",
                          db.name(d), " missing from the reverse table");
        }
    // No cycle: Kahn's algorithm must consume every service.
    auto* left = static_cast<uint32_t*>(std::calloc(n ? n : 1, sizeof(uint32_t)));
    auto* todo = static_cast<uint32_t*>(std::malloc(sizeof(uint32_t) * (n ? n : 1)));
    if (!left || !todo) keel::die_sys(keel::exit_sys, "unable to allocate memory");
    uint32_t len = 0, done = 0;
    for (uint32_t i = 0; i < n; ++i)
        if (!(left[i] = static_cast<uint32_t>(db.deps(i).size()))) todo[len++] = i;
    while (len) {
        const uint32_t i = todo[--len];
        ++done;
        for (const uint32_t r : db.rdeps(i))
            if (left[r] && !--left[r]) todo[len++] = r;
    }
    if (done != n) keel::die(exit_invalid, "invalid database: dependency cycle");
    return 0;
}

struct Command {
    std::string_view name;
    int (*run)(Ctx&) noexcept;
};

constexpr Command commands[] = {
    {"check", cmd_check},       {"list", cmd_list},
    {"type", cmd_type},         {"timeout", cmd_timeout},
    {"contents", cmd_contents}, {"dependencies", cmd_dependencies},
    {"pipeline", cmd_pipeline}, {"script", cmd_script},
    {"flags", cmd_flags},       {"atomics", cmd_atomics},
    {"all-dependencies", cmd_all_dependencies},
};

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "rc-db";
    const char* compiled = nullptr;
    const char* live = keel::rc::default_live;
    Ctx c;
    keel::OptParser opts(argc, argv, "c:l:udb");
    while (const int o = opts.next()) {
        switch (o) {
        case 'c': compiled = opts.arg(); break;
        case 'l': live = opts.arg(); break;
        case 'u': c.down = false; break;
        case 'd': c.down = true; break;
        case 'b': break; // s6-rc-db's blocking lock: keel's db needs none
        default: keel::die_usage(usage);
        }
    }
    if (opts.index() >= argc) keel::die_usage(usage);
    const std::string_view cmd = argv[opts.index()];
    c.args = argv + opts.index() + 1;
    c.nargs = argc - opts.index() - 1;
    if (cmd == "help") {
        put(help_text);
        return out.flush() ? 0 : keel::exit_sys;
    }
    const Command* found = nullptr;
    for (const Command& k : commands)
        if (k.name == cmd) found = &k;
    if (!found) keel::die_usage(usage);
    keel::PathBuf<> dir;
    if (!(compiled ? dir.set(compiled) : dir.set(live, "/compiled")))
        keel::die_sys(keel::exit_sys, "unable to load the database");
    c.dir = dir.c_str();
    if (!c.db.load(c.dir)) {
        if (errno == EINVAL) keel::die(exit_invalid, "invalid database: ", dir.view(), "/db");
        keel::die_sys(keel::exit_sys, "unable to load ", dir.view(), "/db");
    }
    const int r = found->run(c);
    if (!out.flush()) keel::die_sys(keel::exit_sys, "unable to write to stdout");
    keel::exit_now(r); // the sets are freed by the exit, as on every die() path
}
