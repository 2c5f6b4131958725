// Unit tests of lib/rcdb.cc (keel/rcdb.h) and lib/execlex.cc (keel/execlex.h), one section per
// run: "rcdb SECTION". Run by tests/lib.bats. Test code: std::string and std::vector are fine.
#include "check.h"
#include "keel/execlex.h"
#include "keel/fd.h"
#include "keel/rcdb.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace {

using namespace keel::rc;
using namespace std::literals;

// A small db: a (longrun) -> b (oneshot) -> runner; p produces for q; bundle "all" = a, b.
std::string sample_bytes()
{
    static const std::uint32_t a_deps[] = {1}, b_deps[] = {4}, all[] = {0, 1}, pipe[] = {2, 3};
    const ServiceSpec s[] = {
        {"a", Type::longrun, flag_essential, 100, 200, a_deps, none_index, {}},
        {"b", Type::oneshot, 0, 0, 0, b_deps, none_index, {}},
        {"p", Type::longrun, 0, 0, 0, {}, 3, {}},
        {"q", Type::longrun, flag_recommended, 0, 0, {}, none_index, "pipe"},
        {"s6rc-oneshot-runner", Type::longrun, 0, 0, 0, {}, none_index, {}},
    };
    const BundleSpec b[] = {{"all", flag_essential, all}, {"pipe", flag_pipeline, pipe}};
    const std::string path = tmp + "/db";
    keel::Fd fd = keel::open_file(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd.valid());
    CHECK(write_db(fd.get(), s, b, "fdh"));
    std::string bytes(static_cast<std::size_t>(lseek(fd.get(), 0, SEEK_END)), 0);
    CHECK(pread(fd.get(), bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()));
    return bytes;
}

bool same(std::span<const std::uint32_t> s, std::vector<std::uint32_t> v)
{
    return std::vector<std::uint32_t>(s.begin(), s.end()) == v;
}

void roundtrip()
{
    const std::string bytes = sample_bytes();
    CHECK(bytes.starts_with(db_magic));
    Db db;
    CHECK(db.load(tmp.c_str()));
    CHECK(db.size() == 5);
    CHECK(db.name(0) == "a" && db.name(4) == oneshot_runner);
    CHECK(db.type(0) == Type::longrun && db.type(1) == Type::oneshot);
    CHECK(db.flags(0) == flag_essential && db.flags(3) == flag_recommended);
    CHECK(db.timeout_up(0) == 100 && db.timeout_down(0) == 200);
    CHECK(same(db.deps(0), {1}) && same(db.deps(1), {4}) && same(db.deps(4), {}));
    CHECK(same(db.rdeps(1), {0}) && same(db.rdeps(4), {1}) && same(db.rdeps(0), {}));
    CHECK(db.consumer(2) == 3 && db.consumer(3) == none_index);
    CHECK(same(db.producers(3), {2}) && same(db.producers(2), {}));
    CHECK(db.pipeline_name(3) == "pipe" && db.pipeline_name(0).empty());
    CHECK(db.bundles() == 2 && db.bundle_name(1) == "pipe");
    CHECK(db.bundle_flags(0) == flag_essential);
    CHECK(same(db.bundle_contents(0), {0, 1}));
    CHECK(db.fdhuser() == "fdh");
    CHECK(db.find("q") == 3 && db.find("zz") == none_index && db.find("all") == none_index);
    CHECK(db.find_bundle("all") == 0 && db.find_bundle("a") == none_index);
    std::span<const std::uint32_t> r;
    CHECK(db.resolve("b", r) && same(r, {1}));
    CHECK(db.resolve("pipe", r) && same(r, {2, 3}));
    CHECK(!db.resolve("nope", r) && same(r, {2, 3}));
    // The same bytes from memory; an empty db is valid too.
    Db m;
    CHECK(m.load_bytes(bytes) && m.size() == 5);
    keel::Fd fd = keel::open_file((tmp + "/db").c_str(), O_WRONLY | O_TRUNC);
    CHECK(write_db(fd.get(), {}, {}));
    CHECK(m.load(tmp.c_str()) && m.size() == 0 && m.bundles() == 0 && m.fdhuser().empty());
    CHECK(m.find("a") == none_index);
}

void writer_rejects()
{
    const keel::Fd fd = keel::open_file((tmp + "/w").c_str(), O_WRONLY | O_CREAT, 0644);
    const std::uint32_t bad[] = {7};
    const auto spec = [](std::string_view name, std::span<const std::uint32_t> deps = {},
                         std::uint32_t consumer = none_index) {
        return ServiceSpec{name, Type::longrun, 0, 0, 0, deps, consumer, {}};
    };
    const ServiceSpec unsorted[] = {spec("b"), spec("a")};
    const ServiceSpec dup[] = {spec("a"), spec("a")};
    const ServiceSpec slash[] = {spec("a/b")};
    const ServiceSpec nl[] = {spec("a\nb")};
    const ServiceSpec dep[] = {spec("a", bad)};
    const ServiceSpec cons[] = {spec("a", {}, 1)};
    for (auto s : {std::span<const ServiceSpec>(unsorted), std::span<const ServiceSpec>(dup),
                   std::span<const ServiceSpec>(slash), std::span<const ServiceSpec>(nl),
                   std::span<const ServiceSpec>(dep), std::span<const ServiceSpec>(cons)}) {
        errno = 0;
        CHECK(!write_db(fd.get(), s, {}) && errno == EINVAL);
    }
    const BundleSpec b[] = {{"x", 0, bad}};
    errno = 0;
    CHECK(!write_db(fd.get(), {}, b) && errno == EINVAL);
    CHECK(lseek(fd.get(), 0, SEEK_END) == 0); // nothing written
}

void load_rejects()
{
    const std::string good = sample_bytes();
    Db db;
    const auto rejects = [&](std::string_view bytes) {
        errno = 0;
        const bool ok = db.load_bytes(bytes);
        return !ok && errno == EINVAL && db.size() == 0 && db.bundles() == 0;
    };
    // Every truncation, every single-byte change, foreign content, the wrong version.
    for (std::size_t len = 0; len < good.size(); ++len) CHECK(rejects(good.substr(0, len)));
    for (std::size_t k = 0; k < good.size(); ++k)
        for (const unsigned char x : {0x01, 0x80, 0xff}) {
            std::string bad = good;
            bad[k] = static_cast<char>(bad[k] ^ x);
            CHECK(rejects(bad));
        }
    CHECK(rejects(""));
    CHECK(rejects("#!/bin/sh\nexec true\n"));
    CHECK(rejects(std::string(good).replace(11, 1, "2")));
    CHECK(rejects(good + "x"));
    // A missing file is not EINVAL.
    errno = 0;
    CHECK(!db.load((tmp + "/nowhere").c_str()) && errno == ENOENT);
    // Still usable after failures.
    CHECK(db.load_bytes(good) && db.size() == 5);
}

std::vector<std::string> lex(std::string_view s, keel::LexResult want = keel::LexResult::ok)
{
    keel::GrowBuf out;
    CHECK(out.init(1));
    std::size_t n = 99;
    const keel::LexResult r = keel::exec_lex(s, out, n);
    CHECK(r == want);
    std::vector<std::string> words;
    if (r != keel::LexResult::ok) return words;
    std::string_view d = out.data();
    while (!d.empty()) {
        const std::size_t z = d.find('\0');
        words.emplace_back(d.substr(0, z));
        d.remove_prefix(z + 1);
    }
    CHECK(words.size() == n);
    return words;
}

void lexer()
{
    using V = std::vector<std::string>;
    CHECK(lex("") == V{});
    CHECK(lex("  # only a comment\n\t\n") == V{});
    CHECK(lex("echo  hello\tworld\n") == V({"echo", "hello", "world"}));
    CHECK(lex("a#b # c d\ne") == V({"a#b", "e"}));
    CHECK(lex("\"two words\" x\"y z\"w \"\"") == V({"two words", "xy zw", ""}));
    CHECK(lex(R"("\a\b\t\n\v\f\r" "\65\0101\0x41\065" "\q\"\\" "a\
b")") == V({"\a\b\t\n\v\f\r", "AAA5", "q\"\\", "ab"}));
    CHECK(lex("a\\ b \\\nc") == V({"a b", "c"}));
    CHECK(lex("if { true } echo") == V({"if", " true", "", "echo"}));
    CHECK(lex("a { b { c } d }") == V({"a", " b", "  c", " ", " d", ""}));
    CHECK(lex("{x} }y") == V({"{x}", "}y"}));
    CHECK(lex("a\0b c"sv) == V({"a"}));
    lex("\"open", keel::LexResult::syntax);
    lex("a\\", keel::LexResult::syntax);
    lex("\"\\0z\"", keel::LexResult::syntax);
    lex("{", keel::LexResult::syntax);
    lex("{ a", keel::LexResult::unmatched_open);
    lex("a }", keel::LexResult::unmatched_close);
}

constexpr Section sections[] = {
    {"roundtrip", roundtrip},
    {"writer-rejects", writer_rejects},
    {"load-rejects", load_rejects},
    {"lexer", lexer},
};

} // namespace

int main(int argc, char** argv)
{
    return run_section("rcdb", sections, argc, argv);
}
