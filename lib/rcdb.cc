// The compiled database of keel/rcdb.h: writer, loader and queries.
#include "keel/rcdb.h"

#include "keel/fd.h"
#include "keel/path.h"
#include "keel/slurp.h"
#include "keel/str.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace keel::rc {

namespace {

// Word offsets of a service record, a bundle record and the header.
enum : std::uint32_t {
    s_name, s_name_len, s_type, s_flags, s_tup, s_tdown, s_deps, s_ndeps, s_rdeps, s_nrdeps,
    s_consumer, s_prods, s_nprods, s_pname, s_pname_len, svc_words
};
enum : std::uint32_t { b_name, b_name_len, b_flags, b_contents, b_ncontents, bundle_words };
enum : std::uint32_t { h_n, h_nb, h_fdh, h_fdh_len, header_words };

// Databases bigger than this are refused (and never written): it keeps every size
// computation far from overflow.
constexpr std::uint64_t max_words = 0x3fffffff;

std::uint32_t fnv1a(std::string_view s) noexcept
{
    std::uint32_t h = 2166136261u;
    for (const char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 16777619u;
    }
    return h;
}

void put32(char* p, std::uint32_t v) noexcept
{
    p[0] = static_cast<char>(v >> 24);
    p[1] = static_cast<char>(v >> 16);
    p[2] = static_cast<char>(v >> 8);
    p[3] = static_cast<char>(v);
}

std::uint32_t get32(const char* p) noexcept
{
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return std::uint32_t{u[0]} << 24 | std::uint32_t{u[1]} << 16 | std::uint32_t{u[2]} << 8 | u[3];
}

bool sorted_names(std::string_view prev, std::string_view cur, bool first) noexcept
{
    return first || prev < cur;
}

} // namespace

bool is_reserved(std::string_view name) noexcept
{
    for (const std::string_view p : reserved_prefixes)
        if (name.starts_with(p)) return true;
    return false;
}

bool valid_name(std::string_view name) noexcept
{
    if (name.empty() || name == "." || name == "..") return false;
    for (const char c : name)
        if (c == '/' || c == '\n' || c == 0) return false;
    return true;
}

bool write_db(int fd, std::span<const ServiceSpec> services, std::span<const BundleSpec> bundles,
              std::string_view fdhuser) noexcept
{
    const std::uint64_t n = services.size(), nb = bundles.size();
    std::uint64_t ndeps = 0, nprods = 0, ncont = 0, pool = fdhuser.size();
    for (std::size_t i = 0; i < n; ++i) {
        const ServiceSpec& s = services[i];
        if (!valid_name(s.name) || !sorted_names(i ? services[i - 1].name : "", s.name, !i) ||
            (s.type != Type::oneshot && s.type != Type::longrun) ||
            (s.consumer != none_index && s.consumer >= n) ||
            (!s.pipeline_name.empty() && !valid_name(s.pipeline_name))) {
            errno = EINVAL;
            return false;
        }
        for (const std::uint32_t d : s.deps)
            if (d >= n) {
                errno = EINVAL;
                return false;
            }
        ndeps += s.deps.size();
        nprods += s.consumer != none_index;
        pool += s.name.size() + s.pipeline_name.size();
    }
    for (std::size_t b = 0; b < nb; ++b) {
        const BundleSpec& s = bundles[b];
        if (!valid_name(s.name) || !sorted_names(b ? bundles[b - 1].name : "", s.name, !b)) {
            errno = EINVAL;
            return false;
        }
        for (const std::uint32_t d : s.contents)
            if (d >= n) {
                errno = EINVAL;
                return false;
            }
        ncont += s.contents.size();
        pool += s.name.size();
    }
    const std::uint64_t nwords =
        header_words + svc_words * n + bundle_words * nb + 2 * ndeps + nprods + ncont;
    if (nwords > max_words || pool > max_words) {
        errno = EINVAL;
        return false;
    }
    const std::size_t total = db_magic.size() + 4 + 4 * nwords + pool + 4;
    // One block: the file image, then two scratch arrays of n counters.
    char* img = static_cast<char*>(std::malloc(total + 8 * n + 8));
    if (!img) {
        errno = ENOMEM;
        return false;
    }
    auto* rcount = reinterpret_cast<std::uint32_t*>(img + ((total + 3) & ~std::size_t{3}));
    auto* pcount = rcount + n;
    std::memset(rcount, 0, 8 * n);
    for (const ServiceSpec& s : services) {
        for (const std::uint32_t d : s.deps) ++rcount[d];
        if (s.consumer != none_index) ++pcount[s.consumer];
    }
    std::memcpy(img, db_magic.data(), db_magic.size());
    char* const w0 = img + db_magic.size() + 4;
    put32(w0 - 4, static_cast<std::uint32_t>(nwords));
    char* const pool0 = w0 + 4 * nwords;
    std::uint32_t poolpos = 0;
    const auto word = [w0](std::uint64_t k, std::uint64_t v) noexcept {
        put32(w0 + 4 * k, static_cast<std::uint32_t>(v));
    };
    const auto str = [&](std::uint64_t k, std::string_view s) noexcept {
        if (!s.empty()) std::memcpy(pool0 + poolpos, s.data(), s.size());
        word(k, poolpos);
        word(k + 1, s.size());
        poolpos += static_cast<std::uint32_t>(s.size());
    };
    word(h_n, n);
    word(h_nb, nb);
    str(h_fdh, fdhuser);
    // List areas: deps, then rdeps, then producers, then bundle contents.
    std::uint64_t deps_at = header_words + svc_words * n + bundle_words * nb;
    std::uint64_t rdeps_at = deps_at + ndeps, prods_at = rdeps_at + ndeps;
    std::uint64_t cont_at = prods_at + nprods;
    // rcount/pcount become each list's next free slot.
    for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint64_t r = svc_words * i + header_words;
        word(r + s_rdeps, rdeps_at);
        word(r + s_nrdeps, rcount[i]);
        word(r + s_prods, prods_at);
        word(r + s_nprods, pcount[i]);
        const std::uint32_t rc = rcount[i], pc = pcount[i];
        rcount[i] = static_cast<std::uint32_t>(rdeps_at);
        pcount[i] = static_cast<std::uint32_t>(prods_at);
        rdeps_at += rc;
        prods_at += pc;
    }
    for (std::uint64_t i = 0; i < n; ++i) {
        const ServiceSpec& s = services[i];
        const std::uint64_t r = svc_words * i + header_words;
        str(r + s_name, s.name);
        word(r + s_type, static_cast<std::uint32_t>(s.type));
        word(r + s_flags, s.flags);
        word(r + s_tup, s.timeout_up);
        word(r + s_tdown, s.timeout_down);
        word(r + s_deps, deps_at);
        word(r + s_ndeps, s.deps.size());
        for (const std::uint32_t d : s.deps) {
            word(deps_at++, d);
            word(rcount[d]++, i);
        }
        word(r + s_consumer, s.consumer);
        if (s.consumer != none_index) word(pcount[s.consumer]++, i);
        str(r + s_pname, s.pipeline_name);
    }
    for (std::uint64_t b = 0; b < nb; ++b) {
        const BundleSpec& s = bundles[b];
        const std::uint64_t r = header_words + svc_words * n + bundle_words * b;
        str(r + b_name, s.name);
        word(r + b_flags, s.flags);
        word(r + b_contents, cont_at);
        word(r + b_ncontents, s.contents.size());
        for (const std::uint32_t d : s.contents) word(cont_at++, d);
    }
    put32(img + total - 4, fnv1a({img, total - 4}));
    const bool ok = write_all(fd, img, total);
    const int e = errno;
    std::free(img);
    errno = e;
    return ok;
}

Db::~Db()
{
    clear();
}

void Db::clear() noexcept
{
    std::free(block_);
    block_ = nullptr;
    words_ = nullptr;
    pool_ = {};
    nwords_ = n_ = nb_ = 0;
}

bool Db::load(const char* dir) noexcept
{
    PathBuf<> path;
    if (!path.set(dir, "/db")) return false;
    const Fd fd = open_read(path.c_str());
    return fd && load_fd(fd.get());
}

bool Db::load_fd(int fd) noexcept
{
    Slurp s;
    return s.read(fd) && load_bytes(s.view());
}

bool Db::load_bytes(std::string_view bytes) noexcept
{
    clear();
    const std::size_t fixed = db_magic.size() + 4 + 4 * header_words + 4;
    if (bytes.size() < fixed || !bytes.starts_with(db_magic) ||
        get32(bytes.data() + bytes.size() - 4) != fnv1a(head(bytes, bytes.size() - 4))) {
        errno = EINVAL;
        return false;
    }
    const char* w = bytes.data() + db_magic.size() + 4;
    const std::uint64_t nwords = get32(w - 4);
    if (nwords < header_words || fixed - 4 * header_words + 4 * nwords > bytes.size()) {
        errno = EINVAL;
        return false;
    }
    const std::uint64_t n = get32(w + 4 * h_n);
    if (n > nwords) {
        errno = EINVAL;
        return false;
    }
    block_ = std::malloc(4 * (nwords + n) + bytes.size());
    if (!block_) {
        errno = ENOMEM;
        return false;
    }
    words_ = static_cast<std::uint32_t*>(block_);
    for (std::uint64_t k = 0; k < nwords; ++k) words_[k] = get32(w + 4 * k);
    for (std::uint64_t k = 0; k < n; ++k) words_[nwords + k] = static_cast<std::uint32_t>(k);
    char* copy = reinterpret_cast<char*>(words_ + nwords + n);
    std::memcpy(copy, bytes.data(), bytes.size());
    const std::size_t pool_at = db_magic.size() + 4 + 4 * nwords;
    pool_ = {copy + pool_at, bytes.size() - pool_at - 4};
    nwords_ = static_cast<std::uint32_t>(nwords);
    n_ = static_cast<std::uint32_t>(n);
    nb_ = words_[h_nb];
    if (!parse()) {
        clear();
        errno = EINVAL;
        return false;
    }
    return true;
}

// Checks every reference of the numeric part, so that no accessor can go out of bounds.
bool Db::parse() noexcept
{
    const std::uint64_t n = n_, nb = nb_;
    if (header_words + svc_words * n + bundle_words * nb > nwords_) return false;
    const auto str_ok = [this](const std::uint32_t* p, bool may_be_empty) noexcept {
        if (std::uint64_t{p[0]} + p[1] > pool_.size()) return false;
        return (may_be_empty && p[1] == 0) || valid_name(str(p[0], p[1]));
    };
    const auto list_ok = [this, n](std::uint32_t idx, std::uint32_t cnt) noexcept {
        if (std::uint64_t{idx} + cnt > nwords_) return false;
        for (std::uint32_t k = 0; k < cnt; ++k)
            if (words_[idx + k] >= n) return false;
        return true;
    };
    if (std::uint64_t{words_[h_fdh]} + words_[h_fdh_len] > pool_.size()) return false;
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint32_t* r = svc(i);
        if (!str_ok(r + s_name, false) || !str_ok(r + s_pname, true)) return false;
        if (i && !(name(i - 1) < name(i))) return false;
        if (r[s_type] != static_cast<std::uint32_t>(Type::oneshot) &&
            r[s_type] != static_cast<std::uint32_t>(Type::longrun))
            return false;
        if (!list_ok(r[s_deps], r[s_ndeps]) || !list_ok(r[s_rdeps], r[s_nrdeps]) ||
            !list_ok(r[s_prods], r[s_nprods]))
            return false;
        if (r[s_consumer] != none_index && r[s_consumer] >= n) return false;
    }
    for (std::uint32_t b = 0; b < nb; ++b) {
        const std::uint32_t* r = bun(b);
        if (!str_ok(r + b_name, false) || !list_ok(r[b_contents], r[b_ncontents])) return false;
        if (b && !(bundle_name(b - 1) < bundle_name(b))) return false;
    }
    return true;
}

std::string_view Db::str(std::uint32_t off, std::uint32_t len) const noexcept
{
    return sub(pool_, off, len);
}

const std::uint32_t* Db::svc(std::uint32_t i) const noexcept
{
    return words_ + header_words + svc_words * std::size_t{i};
}

const std::uint32_t* Db::bun(std::uint32_t b) const noexcept
{
    return words_ + header_words + svc_words * std::size_t{n_} + bundle_words * std::size_t{b};
}

std::span<const std::uint32_t> Db::list(std::uint32_t idx, std::uint32_t n) const noexcept
{
    return {words_ + idx, n};
}

std::string_view Db::name(std::uint32_t i) const noexcept
{
    return str(svc(i)[s_name], svc(i)[s_name_len]);
}

Type Db::type(std::uint32_t i) const noexcept { return static_cast<Type>(svc(i)[s_type]); }
std::uint32_t Db::flags(std::uint32_t i) const noexcept { return svc(i)[s_flags]; }
std::uint32_t Db::timeout_up(std::uint32_t i) const noexcept { return svc(i)[s_tup]; }
std::uint32_t Db::timeout_down(std::uint32_t i) const noexcept { return svc(i)[s_tdown]; }
std::uint32_t Db::consumer(std::uint32_t i) const noexcept { return svc(i)[s_consumer]; }

std::span<const std::uint32_t> Db::deps(std::uint32_t i) const noexcept
{
    return list(svc(i)[s_deps], svc(i)[s_ndeps]);
}

std::span<const std::uint32_t> Db::rdeps(std::uint32_t i) const noexcept
{
    return list(svc(i)[s_rdeps], svc(i)[s_nrdeps]);
}

std::span<const std::uint32_t> Db::producers(std::uint32_t i) const noexcept
{
    return list(svc(i)[s_prods], svc(i)[s_nprods]);
}

std::string_view Db::pipeline_name(std::uint32_t i) const noexcept
{
    return str(svc(i)[s_pname], svc(i)[s_pname_len]);
}

std::string_view Db::bundle_name(std::uint32_t b) const noexcept
{
    return str(bun(b)[b_name], bun(b)[b_name_len]);
}

std::uint32_t Db::bundle_flags(std::uint32_t b) const noexcept { return bun(b)[b_flags]; }

std::span<const std::uint32_t> Db::bundle_contents(std::uint32_t b) const noexcept
{
    return list(bun(b)[b_contents], bun(b)[b_ncontents]);
}

std::string_view Db::fdhuser() const noexcept
{
    return words_ ? str(words_[h_fdh], words_[h_fdh_len]) : std::string_view{};
}

// One binary search for both tables (sorted by name), not one instantiation per table.
std::uint32_t Db::search(std::string_view key, bool bundles) const noexcept
{
    std::uint32_t lo = 0, hi = bundles ? nb_ : n_;
    while (lo < hi) {
        const std::uint32_t mid = lo + (hi - lo) / 2;
        const int c = (bundles ? bundle_name(mid) : name(mid)).compare(key);
        if (c == 0) return mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return none_index;
}

std::uint32_t Db::find(std::string_view key) const noexcept
{
    return search(key, false);
}

std::uint32_t Db::find_bundle(std::string_view key) const noexcept
{
    return search(key, true);
}

bool Db::resolve(std::string_view key, std::span<const std::uint32_t>& out) const noexcept
{
    const std::uint32_t i = find(key);
    if (i != none_index) {
        out = {words_ + nwords_ + i, 1};
        return true;
    }
    const std::uint32_t b = find_bundle(key);
    if (b == none_index) return false;
    out = bundle_contents(b);
    return true;
}

} // namespace keel::rc
