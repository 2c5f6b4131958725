// rc-compile: compile s6-rc service definitions (the source format of s6-rc-compile) into a
// keel compiled database COMPILED: COMPILED/db (keel/rcdb.h), COMPILED/servicedirs/ (one
// service directory per longrun, plus the generated s6rc-oneshot-runner, and s6rc-fdholder when
// there are pipelines: the run of a pipeline's longrun then wraps the user's in rc-pipe) and
// COMPILED/oneshots/NAME/{up,down,reload} (argv words, each followed by a NUL). Every source is
// read and checked before anything is written; on any failure COMPILED is removed.
#include "keel/err.h"
#include "keel/execlex.h"
#include "keel/fd.h"
#include "keel/growbuf.h"
#include "keel/num.h"
#include "keel/opt.h"
#include "keel/path.h"
#include "keel/progpath.h"
#include "keel/rcdb.h"
#include "keel/rcsource.h"
#include "keel/rmtree.h"
#include "keel/shword.h"
#include "keel/buf.h"
#include "keel/copytree.h"
#include "keel/slurp.h"
#include "keel/str.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <string_view>
#include <sys/stat.h>
#include <type_traits>
#include <unistd.h>

namespace {

using keel::rc::none_index;
using std::uint32_t;

constexpr std::string_view usage = "rc-compile [ -v verbosity ] [ -h fdhuser ] [ -b ] COMPILED SOURCE...";

unsigned verbosity = 1;
const char* compiled = nullptr; // set once COMPILED exists: remove it on failure

// Removes COMPILED if this run created it, then exits like keel::die / die_sys.
template <class... A>
[[noreturn]] void fail(int code, const A&... a) noexcept
{
    if (compiled) (void)keel::remove_tree(compiled);
    keel::die(code, a...);
}

template <class... A>
[[noreturn]] void fail_sys(int code, const A&... a) noexcept
{
    const int e = errno;
    if (compiled) (void)keel::remove_tree(compiled);
    errno = e;
    keel::die_sys(code, a...);
}

[[noreturn]] void nomem() noexcept
{
    errno = ENOMEM;
    fail_sys(keel::exit_sys, "out of memory");
}

// A growable array of trivially copyable T (a one-shot tool: malloc'd, never freed).
template <class T>
struct Vec {
    static_assert(std::is_trivially_copyable_v<T>);
    T* p = nullptr;
    uint32_t n = 0, cap = 0;
    void push(const T& v) noexcept
    {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            p = static_cast<T*>(std::realloc(p, sizeof(T) * cap));
            if (!p) nomem();
        }
        p[n++] = v;
    }
    T& operator[](uint32_t i) noexcept { return p[i]; }
    const T& operator[](uint32_t i) const noexcept { return p[i]; }
    T* begin() const noexcept { return p; }
    T* end() const noexcept { return p + n; }
};

// Bytes that live until exit: names, paths, scripts.
std::string_view keep(std::string_view s) noexcept
{
    char* p = static_cast<char*>(std::malloc(s.size() + 1));
    if (!p) nomem();
    std::memcpy(p, s.data(), s.size());
    p[s.size()] = 0;
    return {p, s.size()};
}

enum class Kind : unsigned char { undefined, oneshot, longrun, bundle };
static_assert(static_cast<int>(Kind::oneshot) == static_cast<int>(keel::rc::SourceType::oneshot)
              && static_cast<int>(Kind::longrun) == static_cast<int>(keel::rc::SourceType::longrun)
              && static_cast<int>(Kind::bundle) == static_cast<int>(keel::rc::SourceType::bundle));

constexpr std::string_view kind_name(Kind k) noexcept
{
    return k == Kind::oneshot ? "oneshot" : k == Kind::longrun ? "longrun" : "bundle";
}

// A script of a oneshot, lexed: words each followed by a NUL.
struct Script {
    std::string_view words;
    bool present = false;
};

// One name seen anywhere: defined by a source directory, or only referenced so far.
struct Svc {
    std::string_view name;
    std::string_view dir; // SOURCE/NAME, for messages and copies
    Kind kind = Kind::undefined;
    uint32_t flags = 0, timeout_up = 0, timeout_down = 0;
    const char* list_file = nullptr; // where deps (atomic) or contents (bundle) came from
    Vec<uint32_t> list;              // name ids: dependencies, or bundle contents
    uint32_t producer_for = none_index;
    Vec<uint32_t> consumer_for;
    std::string_view pipeline_name;
    Script scripts[3];
    uint32_t index = none_index; // atomic index in the db, or bundle index
};

Vec<Svc> svcs;

// Name → id (index in svcs), open addressing.
struct Names {
    uint32_t* slots = nullptr;
    uint32_t cap = 0;
    static uint32_t hash(std::string_view s) noexcept
    {
        uint32_t h = 2166136261u;
        for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
        return h;
    }
    void grow() noexcept
    {
        const uint32_t ncap = cap ? cap * 2 : 1024;
        auto* ns = static_cast<uint32_t*>(std::malloc(sizeof(uint32_t) * ncap));
        if (!ns) nomem();
        std::fill(ns, ns + ncap, none_index);
        for (uint32_t k = 0; k < cap; ++k)
            if (slots[k] != none_index) {
                uint32_t j = hash(svcs[slots[k]].name) & (ncap - 1);
                while (ns[j] != none_index) j = (j + 1) & (ncap - 1);
                ns[j] = slots[k];
            }
        std::free(slots);
        slots = ns;
        cap = ncap;
    }
    // The id of name, created (undefined) if new.
    uint32_t id(std::string_view name) noexcept
    {
        if (2 * (svcs.n + 1) > cap) grow();
        uint32_t j = hash(name) & (cap - 1);
        for (; slots[j] != none_index; j = (j + 1) & (cap - 1))
            if (svcs[slots[j]].name == name) return slots[j];
        Svc s{};
        s.name = keep(name);
        svcs.push(s);
        slots[j] = svcs.n - 1;
        return svcs.n - 1;
    }
} names;


// ---- Reading the sources -------------------------------------------------------------------

// A growable text, for messages built from a variable number of pieces (a cycle).
struct Text {
    Vec<char> v;
    Text& add(std::string_view s) noexcept
    {
        for (const char c : s) v.push(c);
        return *this;
    }
    std::string_view view() const noexcept { return {v.p, v.n}; }
};

// Reads dir/file (dfd is dir) into s: false if it does not exist, fatal on other errors.
bool slurp_at(int dfd, std::string_view dir, const char* file, keel::Slurp& s) noexcept
{
    const keel::Fd fd = keel::open_at(dfd, file, O_RDONLY);
    if (!fd) {
        if (errno == ENOENT) return false;
        fail_sys(keel::exit_sys, "unable to open ", dir, "/", file);
    }
    if (!s.read(fd.get())) fail_sys(keel::exit_sys, "unable to read ", dir, "/", file);
    return true;
}

bool exists_at(int dfd, std::string_view dir, const char* file) noexcept
{
    if (faccessat(dfd, file, F_OK, 0) == 0) return true;
    if (errno != ENOENT) fail_sys(keel::exit_sys, "unable to access ", dir, "/", file);
    return false;
}

// The id of a name listed in dir/file, checked like a directory name.
uint32_t ref(std::string_view dir, const char* file, std::string_view name) noexcept
{
    switch (keel::rc::check_name(name)) {
    case keel::rc::NameCheck::ok: break;
    case keel::rc::NameCheck::invalid: fail(1, dir, "/", file, ": invalid service name: ", name);
    case keel::rc::NameCheck::reserved:
        fail(1, dir, "/", file, ": reserved name prefix (s6rc- or s6-rc-): ", name);
    }
    return names.id(name);
}

void add_unique(Vec<uint32_t>& v, uint32_t id) noexcept
{
    for (const uint32_t x : v)
        if (x == id) return;
    v.push(id);
}

// The names of a list file: one per line, leading blanks skipped, empty and # lines ignored.
void parse_lines(std::string_view dir, const char* file, std::string_view text,
                 Vec<uint32_t>& out) noexcept
{
    std::string_view name;
    while (keel::rc::next_list_name(text, name)) add_unique(out, ref(dir, file, name));
}

// dname/ (one entry per name) or else the legacy file fname: the one used, or nullptr.
const char* read_list(int dfd, std::string_view dir, const char* dname, const char* fname,
                      Vec<uint32_t>& out) noexcept
{
    const int sub = openat(dfd, dname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sub >= 0) {
        DIR* d = fdopendir(sub);
        if (!d) fail_sys(keel::exit_sys, "unable to open directory ", dir, "/", dname);
        for (;;) {
            errno = 0;
            const dirent* e = readdir(d);
            if (!e) break;
            if (e->d_name[0] == '.') continue;
            add_unique(out, ref(dir, dname, e->d_name));
        }
        if (errno) fail_sys(keel::exit_sys, "unable to read directory ", dir, "/", dname);
        closedir(d);
        return dname;
    }
    if (errno != ENOENT) fail_sys(keel::exit_sys, "unable to open directory ", dir, "/", dname);
    keel::Slurp s;
    if (!slurp_at(dfd, dir, fname, s)) return nullptr;
    parse_lines(dir, fname, s.view(), out);
    return fname;
}

uint32_t read_timeout(int dfd, std::string_view dir, const char* file) noexcept
{
    keel::Slurp s;
    if (!slurp_at(dfd, dir, file, s)) return 0;
    uint32_t v = 0;
    if (!keel::rc::source_timeout(s.view(), v)) {
        std::string_view t = s.view();
        while (!t.empty() && t.back() == '\n') t.remove_suffix(1);
        fail(1, dir, "/", file, ": invalid timeout: ", keel::head(t, 64));
    }
    return v;
}

Script read_script(int dfd, std::string_view dir, const char* file) noexcept
{
    keel::Slurp s;
    if (!slurp_at(dfd, dir, file, s)) return {};
    keel::GrowBuf out;
    if (!out.init(s.size() + 16)) nomem();
    std::size_t words = 0;
    switch (keel::exec_lex(s.view(), out, words)) {
    case keel::LexResult::ok: break;
    case keel::LexResult::syntax: fail(1, dir, "/", file, ": syntax error");
    case keel::LexResult::unmatched_open: fail(1, dir, "/", file, ": syntax error: unmatched {");
    case keel::LexResult::unmatched_close: fail(1, dir, "/", file, ": syntax error: unmatched }");
    case keel::LexResult::nomem: nomem();
    }
    return {keep(out.data()), true};
}

// A file naming exactly one service (producer-for, pipeline-name).
uint32_t read_one(int dfd, std::string_view dir, const char* file, bool& present) noexcept
{
    keel::Slurp s;
    present = slurp_at(dfd, dir, file, s);
    if (!present) return none_index;
    Vec<uint32_t> v;
    parse_lines(dir, file, s.view(), v);
    if (v.n != 1) fail(1, dir, "/", file, ": must name exactly one service");
    return v[0];
}

void read_longrun(int dfd, uint32_t id, std::string_view dir) noexcept
{
    struct stat st;
    if (fstatat(dfd, "run", &st, 0) < 0) {
        if (errno == ENOENT) fail(1, dir, "/run: missing: a longrun needs a run script");
        fail_sys(keel::exit_sys, "unable to stat ", dir, "/run");
    }
    if (!S_ISREG(st.st_mode)) fail(1, dir, "/run: not a regular file");
    bool present = false;
    const uint32_t consumer = read_one(dfd, dir, "producer-for", present);
    Vec<uint32_t> producers;
    keel::Slurp s;
    if (slurp_at(dfd, dir, "consumer-for", s)) parse_lines(dir, "consumer-for", s.view(), producers);
    svcs[id].producer_for = consumer;
    svcs[id].consumer_for = producers;
    const uint32_t pname = read_one(dfd, dir, "pipeline-name", present);
    if (!present) return;
    if (producers.n == 0 || consumer != none_index) {
        if (verbosity)
            keel::warn(dir, "/pipeline-name: ignored: ", svcs[id].name, " is not the last consumer of a pipeline");
        return;
    }
    svcs[id].pipeline_name = svcs[pname].name;
}

void read_service(std::string_view src, std::string_view name) noexcept
{
    Text path;
    path.add(src).add("/").add(name);
    const std::string_view dir = keep(path.view());
    if (keel::rc::is_reserved(name))
        fail(1, dir, ": reserved name prefix (s6rc- or s6-rc-): ", name);
    const keel::Fd dfd = keel::open_file(dir.data(), O_RDONLY | O_DIRECTORY);
    if (!dfd) fail_sys(keel::exit_sys, "unable to open directory ", dir);
    const uint32_t id = names.id(name);
    if (svcs[id].kind != Kind::undefined)
        fail(1, dir, ": duplicate service: ", name, " is already defined in ", svcs[id].dir);
    svcs[id].dir = dir;
    keel::Slurp s;
    if (!slurp_at(dfd.get(), dir, "type", s)) fail(1, dir, "/type: missing");
    // Kind and SourceType agree: undefined is unknown.
    const auto kind = static_cast<Kind>(keel::rc::source_type(s.view()));
    if (kind == Kind::undefined) {
        std::string_view t = s.view();
        if (!t.empty() && t.back() == '\n') t.remove_suffix(1);
        fail(1, dir, "/type: unknown type: ", keel::head(t, 64));
    }
    svcs[id].kind = kind;
    if (exists_at(dfd.get(), dir, "flag-essential")) svcs[id].flags |= keel::rc::flag_essential;
    if (exists_at(dfd.get(), dir, "flag-recommended")) svcs[id].flags |= keel::rc::flag_recommended;
    Vec<uint32_t> list;
    if (kind == Kind::bundle) {
        const char* f = read_list(dfd.get(), dir, "contents.d", "contents", list);
        if (!f) fail(1, dir, ": a bundle needs contents.d or contents");
        svcs[id].list_file = f;
        svcs[id].list = list;
        if (verbosity && (exists_at(dfd.get(), dir, "dependencies.d") ||
                          exists_at(dfd.get(), dir, "dependencies")))
            keel::warn(dir, ": a bundle has no dependencies: dependencies ignored");
        return;
    }
    svcs[id].list_file = read_list(dfd.get(), dir, "dependencies.d", "dependencies", list);
    svcs[id].list = list;
    svcs[id].timeout_up = read_timeout(dfd.get(), dir, "timeout-up");
    svcs[id].timeout_down = read_timeout(dfd.get(), dir, "timeout-down");
    if (kind == Kind::longrun) return read_longrun(dfd.get(), id, dir);
    const Script up = read_script(dfd.get(), dir, "up");
    if (!up.present) fail(1, dir, "/up: missing: a oneshot needs an up script");
    svcs[id].scripts[0] = up;
    svcs[id].scripts[1] = read_script(dfd.get(), dir, "down");
    svcs[id].scripts[2] = read_script(dfd.get(), dir, "reload");
}

void read_source(const char* src) noexcept
{
    DIR* d = opendir(src);
    if (!d) fail_sys(keel::exit_sys, "unable to open directory ", src);
    Vec<std::string_view> entries;
    for (;;) {
        errno = 0;
        const dirent* e = readdir(d);
        if (!e) break;
        const std::string_view name = e->d_name;
        if (name[0] == '.') continue;
        if (name.find('\n') != std::string_view::npos)
            fail(1, src, ": a service name contains a newline");
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, 0) < 0)
            fail_sys(keel::exit_sys, "unable to stat ", src, "/", name);
        if (S_ISDIR(st.st_mode)) entries.push(keep(name));
    }
    if (errno) fail_sys(keel::exit_sys, "unable to read directory ", src);
    closedir(d);
    if (!entries.n && verbosity) keel::warn("source ", src, " is empty");
    std::sort(entries.begin(), entries.end());
    for (const std::string_view name : entries) read_service(src, name);
}

// ---- Resolution and checks -----------------------------------------------------------------

Vec<uint32_t> atomics;        // ids by db index (sorted by name)
Vec<uint32_t> bundle_ids;     // ids by bundle index (sorted by name)
Vec<Vec<uint32_t>> flat;      // by bundle index: atomic indices, ascending
Vec<Vec<uint32_t>> atom_deps; // by db index: atomic indices, ascending

bool is_atomic(uint32_t id) noexcept
{
    return svcs[id].kind == Kind::oneshot || svcs[id].kind == Kind::longrun;
}

bool by_name(uint32_t a, uint32_t b) noexcept { return svcs[a].name < svcs[b].name; }

// "a -> b -> c -> a" from ids path[from..] plus path[from] again.
std::string_view cycle_text(const Vec<uint32_t>& path, uint32_t from) noexcept
{
    Text t;
    for (uint32_t k = from; k < path.n; ++k) t.add(svcs[path[k]].name).add(" -> ");
    t.add(svcs[path[from]].name);
    return t.view();
}

void check_defined(uint32_t id, const char* file, uint32_t ref_id) noexcept
{
    if (svcs[ref_id].kind == Kind::undefined)
        fail(1, svcs[id].dir, "/", file, ": unknown service: ", svcs[ref_id].name);
}

void check_longrun(uint32_t id, const char* file, uint32_t ref_id) noexcept
{
    check_defined(id, file, ref_id);
    if (svcs[ref_id].kind != Kind::longrun)
        fail(1, svcs[id].dir, "/", file, ": ", svcs[ref_id].name, " is a ",
             kind_name(svcs[ref_id].kind), ", not a longrun");
}

void check_pipelines() noexcept
{
    const uint32_t n = svcs.n;
    for (uint32_t id = 0; id < n; ++id) {
        const Svc& p = svcs[id];
        if (p.kind != Kind::longrun) continue;
        if (p.producer_for != none_index) {
            check_longrun(id, "producer-for", p.producer_for);
            bool back = false;
            for (const uint32_t x : svcs[p.producer_for].consumer_for) back |= x == id;
            if (!back)
                fail(1, p.dir, "/producer-for: ", svcs[p.producer_for].name, " does not list ",
                     p.name, " in its consumer-for");
        }
        for (const uint32_t prod : p.consumer_for) {
            check_longrun(id, "consumer-for", prod);
            const uint32_t c = svcs[prod].producer_for;
            if (c == none_index)
                fail(1, p.dir, "/consumer-for: ", svcs[prod].name, " has no producer-for");
            if (c != id)
                fail(1, p.dir, "/consumer-for: ", svcs[prod].name, " is the producer for ",
                     svcs[c].name, ", not for ", p.name);
        }
    }
    // Each producer has one consumer: a walk along producer-for ends or loops.
    Vec<unsigned char> state;
    for (uint32_t id = 0; id < n; ++id) state.push(0);
    for (uint32_t id = 0; id < n; ++id) {
        Vec<uint32_t> walk;
        uint32_t x = id;
        while (x != none_index && state[x] == 0) {
            state[x] = 1;
            walk.push(x);
            x = svcs[x].kind == Kind::longrun ? svcs[x].producer_for : none_index;
        }
        if (x != none_index && state[x] == 1) {
            uint32_t from = 0;
            while (walk[from] != x) ++from;
            fail(1, svcs[x].dir, "/producer-for: pipeline cycle: ", cycle_text(walk, from));
        }
        for (const uint32_t w : walk) state[w] = 2;
    }
    // pipeline-name: a bundle of the last consumer and all its producers, recursively.
    for (uint32_t id = 0; id < n; ++id) {
        if (svcs[id].pipeline_name.empty()) continue;
        const uint32_t b = names.id(svcs[id].pipeline_name);
        if (svcs[b].kind != Kind::undefined)
            fail(1, svcs[id].dir, "/pipeline-name: ", svcs[b].name, " is already defined in ",
                 svcs[b].dir);
        Vec<uint32_t> members;
        members.push(id);
        for (uint32_t k = 0; k < members.n; ++k)
            for (const uint32_t prod : svcs[members[k]].consumer_for) members.push(prod);
        svcs[b].kind = Kind::bundle;
        svcs[b].flags = keel::rc::flag_pipeline;
        svcs[b].dir = svcs[id].dir;
        svcs[b].list_file = "pipeline-name";
        svcs[b].list = members;
    }
}

Vec<uint32_t> stamp; // by db index: the last "owner" that added it (dedup without clearing)

void add_atomic(Vec<uint32_t>& out, uint32_t index, uint32_t owner) noexcept
{
    if (stamp[index] == owner) return;
    stamp[index] = owner;
    out.push(index);
}

// Flattens bundle index bi, depth first; path holds the ids being flattened (cycle report).
void flatten(uint32_t bi, Vec<unsigned char>& state, Vec<uint32_t>& path) noexcept
{
    const uint32_t id = bundle_ids[bi];
    if (state[bi] == 2) return;
    if (state[bi] == 1) {
        uint32_t from = 0;
        while (path[from] != id) ++from;
        fail(1, svcs[id].dir, "/", svcs[id].list_file, ": bundle cycle: ", cycle_text(path, from));
    }
    state[bi] = 1;
    path.push(id);
    const Vec<uint32_t> list = svcs[id].list;
    for (const uint32_t m : list)
        if (svcs[m].kind == Kind::bundle) flatten(svcs[m].index, state, path);
    Vec<uint32_t> out;
    const uint32_t owner = atomics.n + bi; // distinct from the owners of atom_deps
    for (const uint32_t m : list) {
        if (is_atomic(m)) add_atomic(out, svcs[m].index, owner);
        else
            for (const uint32_t a : flat[svcs[m].index]) add_atomic(out, a, owner);
    }
    std::sort(out.begin(), out.end());
    flat[bi] = out;
    --path.n;
    state[bi] = 2;
}

// Depth-first search for a dependency cycle, iterative (deep chains are fine).
void check_dep_cycles() noexcept
{
    const uint32_t n = atomics.n;
    Vec<unsigned char> state;
    Vec<uint32_t> pos; // next dep to look at, by index
    for (uint32_t i = 0; i < n; ++i) state.push(0), pos.push(0);
    Vec<uint32_t> stack;
    for (uint32_t root = 0; root < n; ++root) {
        if (state[root]) continue;
        stack.push(root);
        state[root] = 1;
        while (stack.n) {
            const uint32_t v = stack[stack.n - 1];
            if (pos[v] == atom_deps[v].n) {
                state[v] = 2;
                --stack.n;
                continue;
            }
            const uint32_t w = atom_deps[v][pos[v]++];
            if (state[w] == 1) {
                Vec<uint32_t> path;
                uint32_t from = 0;
                while (stack[from] != w) ++from;
                for (uint32_t k = from; k < stack.n; ++k) path.push(atomics[stack[k]]);
                const Svc& s = svcs[atomics[w]];
                fail(1, s.dir, "/", s.list_file ? s.list_file : "producer-for",
                     ": dependency cycle: ", cycle_text(path, 0));
            }
            if (state[w] == 0) {
                state[w] = 1;
                stack.push(w);
            }
        }
    }
}

uint32_t fdholder = none_index; // its id, if there is a pipeline

bool in_pipeline(const Svc& s) noexcept
{
    return s.kind == Kind::longrun && (s.producer_for != none_index || s.consumer_for.n);
}

void resolve() noexcept
{
    svcs[0].kind = Kind::longrun; // the oneshot runner, generated
    svcs[0].dir = "(generated)";
    check_pipelines();
    for (uint32_t id = 0; id < svcs.n && fdholder == none_index; ++id)
        if (in_pipeline(svcs[id])) fdholder = names.id(keel::rc::fd_holder);
    if (fdholder != none_index) {
        svcs[fdholder].kind = Kind::longrun;
        svcs[fdholder].dir = "(generated)";
    }
    for (uint32_t id = 0; id < svcs.n; ++id) {
        if (svcs[id].kind == Kind::undefined) continue;
        for (const uint32_t m : svcs[id].list) check_defined(id, svcs[id].list_file, m);
        if (is_atomic(id)) atomics.push(id);
        else bundle_ids.push(id);
    }
    std::sort(atomics.begin(), atomics.end(), by_name);
    std::sort(bundle_ids.begin(), bundle_ids.end(), by_name);
    for (uint32_t i = 0; i < atomics.n; ++i) svcs[atomics[i]].index = i, stamp.push(none_index);
    for (uint32_t b = 0; b < bundle_ids.n; ++b) svcs[bundle_ids[b]].index = b, flat.push({});
    Vec<unsigned char> state;
    Vec<uint32_t> path;
    for (uint32_t b = 0; b < bundle_ids.n; ++b) state.push(0);
    for (uint32_t b = 0; b < bundle_ids.n; ++b) flatten(b, state, path);
    for (uint32_t b = 0; b < bundle_ids.n; ++b)
        if (svcs[bundle_ids[b]].flags & keel::rc::flag_essential)
            for (const uint32_t a : flat[b]) svcs[atomics[a]].flags |= keel::rc::flag_essential;
    const uint32_t runner = svcs[0].index;
    for (uint32_t i = 0; i < atomics.n; ++i) {
        const Svc& s = svcs[atomics[i]];
        Vec<uint32_t> deps;
        for (const uint32_t m : s.list) {
            if (is_atomic(m)) add_atomic(deps, svcs[m].index, i);
            else
                for (const uint32_t a : flat[svcs[m].index]) add_atomic(deps, a, i);
        }
        if (s.kind == Kind::oneshot) add_atomic(deps, runner, i);
        // A producer needs its consumer up first (s6-rc does the same).
        if (s.kind == Kind::longrun && s.producer_for != none_index)
            add_atomic(deps, svcs[s.producer_for].index, i);
        if (in_pipeline(s)) add_atomic(deps, svcs[fdholder].index, i);
        std::sort(deps.begin(), deps.end());
        atom_deps.push(deps);
    }
    check_dep_cycles();
}

// ---- Writing COMPILED ----------------------------------------------------------------------

// The longrun files and directories copied from a source into its service directory.
constexpr const char* copied_files[] = {"run", "finish", "notification-fd", "lock-fd",
    "timeout-kill", "timeout-finish", "max-death-tally", "down-signal"};
constexpr const char* copied_dirs[] = {"data", "env", "instance", "instances"};

void make_dir(const char* path) noexcept
{
    if (mkdir(path, 0755) < 0) fail_sys(keel::exit_sys, "unable to create directory ", path);
}

void write_file(const char* path, std::string_view content, mode_t mode) noexcept
{
    keel::Fd fd = keel::open_file(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (!fd || !keel::write_all(fd.get(), content))
        fail_sys(keel::exit_sys, "unable to write ", path);
    if (close(fd.release()) < 0) fail_sys(keel::exit_sys, "unable to write ", path);
}

// The user's run is copied as run.user when the generated run wraps it (wrapped).
void copy_longrun(std::string_view src, std::string_view dst, bool wrapped) noexcept
{
    keel::PathBuf<> from, to;
    for (const char* f : copied_files) {
        const std::string_view to_name = wrapped && f == copied_files[0] ? "run.user" : f;
        if (!from.set(src, "/", f) || !to.set(dst, "/", to_name))
            fail_sys(keel::exit_sys, "unable to copy ", src, "/", f);
        struct stat st;
        if (stat(from.c_str(), &st) < 0) {
            if (errno == ENOENT) continue;
            fail_sys(keel::exit_sys, "unable to stat ", from.view());
        }
        const keel::Fd fd = keel::open_read(from.c_str());
        keel::Slurp s;
        if (!fd || !s.read(fd.get())) fail_sys(keel::exit_sys, "unable to read ", from.view());
        write_file(to.c_str(), s.view(), st.st_mode & 07777);
    }
    for (const char* d : copied_dirs) {
        if (!from.set(src, "/", d) || !to.set(dst, "/", d))
            fail_sys(keel::exit_sys, "unable to copy ", src, "/", d);
        struct stat st;
        if (stat(from.c_str(), &st) < 0) {
            if (errno == ENOENT) continue;
            fail_sys(keel::exit_sys, "unable to stat ", from.view());
        }
        if (!keel::copy_tree(from.c_str(), to.c_str()))
            fail_sys(keel::exit_sys, "unable to copy ", from.view(), " to ", to.view());
    }
}

// Writes the executable script dst/run: "#!/bin/sh\n", then text, then a newline.
void write_run(std::string_view dst, const auto& text) noexcept
{
    keel::PathBuf<> path;
    if (!path.set(dst, "/run")) fail_sys(keel::exit_sys, "unable to write ", dst, "/run");
    keel::Fd fd = keel::open_file(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0755);
    if (!fd) fail_sys(keel::exit_sys, "unable to write ", path.view());
    keel::BufWriter<4096> w(fd.get());
    if (!w.put("#!/bin/sh\n") || !text(w) || !w.put("\n") || !w.flush() || close(fd.release()) < 0)
        fail_sys(keel::exit_sys, "unable to write ", path.view());
}

// dst/notification-fd: 3 (the generated daemons notify readiness with -d 3).
void write_notification_fd(std::string_view dst) noexcept
{
    keel::PathBuf<> path;
    if (!path.set(dst, "/notification-fd")) fail_sys(keel::exit_sys, "unable to write ", dst);
    write_file(path.c_str(), "3\n", 0644);
}

// The path of keel program name (this build's or the installed one), fatal if none.
std::string_view program(const char* name) noexcept
{
    keel::PathBuf<> prog;
    if (!keel::program_path(prog, name)) fail_sys(keel::exit_sys, "unable to find ", name);
    return keep(prog.view());
}

// The generated service directory of s6rc-oneshot-runner: rc-oneshotd on LIVE/compiled.
void write_runner(std::string_view dst) noexcept
{
    const std::string_view daemon = program("rc-oneshotd");
    write_run(dst, [&](auto& w) {
        return w.put("exec ") && keel::put_sh_word(w, daemon) &&
               w.put(" -d 3 -- s ../../compiled/oneshots");
    });
    write_notification_fd(dst);
}

// The generated service directory of s6rc-fdholder: rc-fdholderd listening on s. With an
// fdhuser, it runs as that user, in the directory h of its own (the service directory is
// root's), and s is a symbolic link to its socket h/s.
void write_fdholder(std::string_view dst, std::string_view fdhuser) noexcept
{
    const std::string_view daemon = program("rc-fdholderd");
    if (fdhuser.empty()) {
        write_run(dst, [&](auto& w) {
            return w.put("exec ") && keel::put_sh_word(w, daemon) && w.put(" -d 3 -- ") &&
                   w.put(keel::rc::fd_holder_socket);
        });
    } else {
        const std::string_view setuidgid = program("setuidgid");
        write_run(dst, [&](auto& w) {
            return w.put("mkdir -p h && chown ") && keel::put_sh_word(w, fdhuser) &&
                   w.put(" h && chmod 0700 h && ln -sfn h/s ") &&
                   w.put(keel::rc::fd_holder_socket) && w.put(" || exit 111\nexec ") &&
                   keel::put_sh_word(w, setuidgid) && w.put(" ") &&
                   keel::put_sh_word(w, fdhuser) && w.put(" ") && keel::put_sh_word(w, daemon) &&
                   w.put(" -d 3 -- h/s");
        });
    }
    write_notification_fd(dst);
}

// The run of a longrun in a pipeline: its own run (run.user) with the read end of its own pipe
// as stdin if it is a consumer, the write end of its consumer's pipe as stdout if a producer.
void write_pipe_run(std::string_view dst, const Svc& s) noexcept
{
    static std::string_view rcpipe;
    if (rcpipe.empty()) rcpipe = program("rc-pipe");
    write_run(dst, [&](auto& w) {
        if (!w.put("exec ") || !keel::put_sh_word(w, rcpipe)) return false;
        if (s.consumer_for.n && (!w.put(" -r ") || !keel::put_sh_word(w, s.name))) return false;
        if (s.producer_for != none_index &&
            (!w.put(" -w ") || !keel::put_sh_word(w, svcs[s.producer_for].name)))
            return false;
        return w.put(" ../") && keel::put_sh_word(w, keel::rc::fd_holder) && w.put("/") &&
               w.put(keel::rc::fd_holder_socket) && w.put(" ./run.user");
    });
}

void write_compiled(const char* out, const char* fdhuser) noexcept
{
    if (mkdir(out, 0755) < 0) keel::die_sys(keel::exit_sys, "unable to create directory ", out);
    compiled = out;
    keel::PathBuf<> path;
    const auto at = [&](std::string_view a, std::string_view b = "", std::string_view c = "") {
        if (!path.set(out, "/", a, b.empty() ? "" : "/", b, c.empty() ? "" : "/", c))
            fail_sys(keel::exit_sys, "unable to build a path in ", out);
        return path.c_str();
    };
    make_dir(at("servicedirs"));
    make_dir(at("oneshots"));
    constexpr const char* ops[] = {"up", "down", "reload"};
    Vec<keel::rc::ServiceSpec> specs;
    for (uint32_t i = 0; i < atomics.n; ++i) {
        const Svc& s = svcs[atomics[i]];
        if (s.kind == Kind::longrun) {
            make_dir(at("servicedirs", s.name));
            const std::string_view dst = keep(path.view());
            if (i == svcs[0].index) {
                write_runner(dst);
            } else if (fdholder != none_index && i == svcs[fdholder].index) {
                write_fdholder(dst, fdhuser);
            } else {
                copy_longrun(s.dir, dst, in_pipeline(s));
                if (in_pipeline(s)) write_pipe_run(dst, s);
            }
        } else {
            make_dir(at("oneshots", s.name));
            for (int k = 0; k < 3; ++k)
                if (!s.scripts[k].words.empty()) write_file(at("oneshots", s.name, ops[k]), s.scripts[k].words, 0644);
        }
        if (verbosity >= 2) keel::info("compiled ", kind_name(s.kind), " ", s.name);
        keel::rc::ServiceSpec spec;
        spec.name = s.name;
        spec.type = s.kind == Kind::oneshot ? keel::rc::Type::oneshot : keel::rc::Type::longrun;
        spec.flags = s.flags;
        spec.timeout_up = s.timeout_up;
        spec.timeout_down = s.timeout_down;
        spec.deps = {atom_deps[i].p, atom_deps[i].n};
        spec.consumer = s.producer_for == none_index ? none_index : svcs[s.producer_for].index;
        spec.pipeline_name = s.pipeline_name;
        specs.push(spec);
    }
    Vec<keel::rc::BundleSpec> bspecs;
    for (uint32_t b = 0; b < bundle_ids.n; ++b) {
        const Svc& s = svcs[bundle_ids[b]];
        bspecs.push({s.name, s.flags, {flat[b].p, flat[b].n}});
    }
    keel::Fd fd = keel::open_file(at("db"), O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (!fd || !keel::rc::write_db(fd.get(), {specs.p, specs.n}, {bspecs.p, bspecs.n}, fdhuser) ||
        close(fd.release()) < 0)
        fail_sys(keel::exit_sys, "unable to write ", out, "/db");
}

} // namespace

int main(int argc, char** argv)
{
    keel::prog = "rc-compile";
    const char* fdhuser = "";
    keel::OptParser opts(argc, argv, "v:h:b");
    while (const int c = opts.next()) {
        switch (c) {
        case 'v':
            if (!keel::scan_number(opts.arg(), verbosity)) keel::die_usage(usage);
            break;
        case 'h': fdhuser = opts.arg(); break;
        case 'b': break;
        default: keel::die_usage(usage);
        }
    }
    if (argc - opts.index() < 2) keel::die_usage(usage);
    const char* out = argv[opts.index()];
    names.id(keel::rc::oneshot_runner); // reserved: never a source's
    for (int k = opts.index() + 1; k < argc; ++k) read_source(argv[k]);
    resolve();
    write_compiled(out, fdhuser);
    // The tables are freed by the exit, as on every die() path (a one-shot tool).
    keel::exit_now(0);
}
