// The compiled service database (lib rcdb, Db::load_bytes: the loader rc, rc-db, rc-update
// and the engine use on COMPILED/db). A database that loads must answer every accessor
// within bounds: every index it hands out is below size() or bundles().
#include "fuzz.h"

#include "keel/rcdb.h"

using keel::rc::none_index;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    keel::rc::Db db;
    if (!db.load_bytes(fz::bytes(data, size))) return 0;
    const std::uint32_t n = db.size(), nb = db.bundles();
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::string_view name = db.name(i);
        if (db.find(name) != i) std::abort();
        (void)db.type(i);
        (void)db.flags(i);
        (void)db.timeout_up(i);
        (void)db.timeout_down(i);
        for (const std::uint32_t d : db.deps(i))
            if (d >= n) std::abort();
        for (const std::uint32_t d : db.rdeps(i))
            if (d >= n) std::abort();
        for (const std::uint32_t d : db.producers(i))
            if (d >= n) std::abort();
        const std::uint32_t c = db.consumer(i);
        if (c != none_index && c >= n) std::abort();
        (void)db.pipeline_name(i);
        std::span<const std::uint32_t> r;
        if (!db.resolve(name, r) || r.size() != 1 || r[0] != i) std::abort();
    }
    for (std::uint32_t b = 0; b < nb; ++b) {
        const std::string_view name = db.bundle_name(b);
        if (db.find_bundle(name) != b) std::abort();
        (void)db.bundle_flags(b);
        for (const std::uint32_t d : db.bundle_contents(b))
            if (d >= n) std::abort();
        std::span<const std::uint32_t> r;
        (void)db.resolve(name, r);
    }
    (void)db.fdhuser();
    (void)db.find("");
    (void)db.find("zzzz");
    return 0;
}
