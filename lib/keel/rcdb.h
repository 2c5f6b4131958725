// The service manager's compiled database (rc-compile writes it, rc-db and the engine read
// it): the model, the writer and the loader of COMPILED/db, in namespace keel::rc.
//
// File format (all integers unsigned 32-bit big-endian):
//   "keel-rc-db 1\n"                     magic and version line
//   nwords, then nwords words            the numeric part (layout below)
//   string pool                          names, referenced as (offset, length) in the pool
//   checksum                             FNV-1a (32 bits) of every byte before it
// Numeric part: n (atomic services), nbundles, fdhuser (off, len), then n service records
// (svc_words each: name off/len, type, flags, timeout-up, timeout-down, deps (word index,
// count), rdeps (index, count), consumer (none_index if none), producers (index, count),
// pipeline-name off/len), nbundles bundle records (name off/len, flags, contents index/count),
// then the lists the records point to. Services and bundles are each sorted by name (bytes),
// names are unique, not empty, hold no `/` or newline. Anything else fails to load: EINVAL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace keel::rc {

/// Default live directory and boot database (rc-init, rc, rc-db -l).
inline constexpr char default_live[] = "/run/keel-rc";
inline constexpr char default_bootdb[] = "/etc/keel/rc/compiled/current";
/// The internal longrun that runs oneshot scripts; every oneshot depends on it.
inline constexpr std::string_view oneshot_runner = "s6rc-oneshot-runner";
/// The internal longrun that holds the pipes of pipelines (rc-fdholderd), in a db with at least
/// one pipeline; every longrun of a pipeline depends on it. Its socket, relative to its service
/// directory, is fd_holder_socket.
inline constexpr std::string_view fd_holder = "s6rc-fdholder";
inline constexpr char fd_holder_socket[] = "s";
/// Name prefixes reserved for s6-rc's and keel's internal services.
inline constexpr std::string_view reserved_prefixes[] = {"s6rc-", "s6-rc-"};
/// The magic and version line the db file starts with.
inline constexpr std::string_view db_magic = "keel-rc-db 1\n";

enum class Type : std::uint32_t { oneshot = 1, longrun = 2 };

/// Service and bundle flag bits.
inline constexpr std::uint32_t flag_essential = 1;
inline constexpr std::uint32_t flag_recommended = 2;
/// Bundles only: made by rc-compile from a pipeline-name file.
inline constexpr std::uint32_t flag_pipeline = 4;

/// "No such service" in consumer() and find results.
inline constexpr std::uint32_t none_index = 0xffffffff;

/// True if name starts with one of reserved_prefixes.
[[nodiscard]] bool is_reserved(std::string_view name) noexcept;
/// True if name can name a service: not empty, no `/`, no newline, no NUL, not "." or "..".
[[nodiscard]] bool valid_name(std::string_view name) noexcept;

/// One atomic service as given to write_db().
struct ServiceSpec {
    std::string_view name;
    Type type = Type::longrun;
    std::uint32_t flags = 0;
    std::uint32_t timeout_up = 0;   ///< ms, 0 = none
    std::uint32_t timeout_down = 0; ///< ms, 0 = none
    std::span<const std::uint32_t> deps; ///< direct dependencies: atomic indices, ascending
    std::uint32_t consumer = none_index; ///< the longrun this one's stdout feeds
    std::string_view pipeline_name;      ///< set on a last consumer with a pipeline-name
};

/// One bundle as given to write_db().
struct BundleSpec {
    std::string_view name;
    std::uint32_t flags = 0;
    std::span<const std::uint32_t> contents; ///< flattened atomic indices, ascending
};

/// Writes a whole database to fd. services and bundles must each be sorted by name with
/// valid, unique names, and every index must be < services.size(); reverse dependencies and
/// producer lists are computed here. False with errno: EINVAL for a malformed input, ENOMEM,
/// or a write error.
[[nodiscard]] bool write_db(int fd, std::span<const ServiceSpec> services,
                            std::span<const BundleSpec> bundles,
                            std::string_view fdhuser = {}) noexcept;

/// A loaded database: read-only views into one malloc'd block (the file image and its numbers
/// in host order), owned by the object. Indices passed to accessors must be < size() (or < bundles()).
class Db {
public:
    Db() noexcept = default;
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;
    ~Db();

    /// Loads the db file of the compiled directory dir (dir/db). False with errno: EINVAL if
    /// the content is not a valid database, or the error of open/read/malloc.
    [[nodiscard]] bool load(const char* dir) noexcept;
    /// Loads from an open descriptor (read to EOF). Same errors as load().
    [[nodiscard]] bool load_fd(int fd) noexcept;
    /// Loads from bytes in memory (copied). Same errors as load().
    [[nodiscard]] bool load_bytes(std::string_view bytes) noexcept;

    /// Number of atomic services.
    [[nodiscard]] std::uint32_t size() const noexcept { return n_; }
    [[nodiscard]] std::string_view name(std::uint32_t i) const noexcept;
    [[nodiscard]] Type type(std::uint32_t i) const noexcept;
    [[nodiscard]] std::uint32_t flags(std::uint32_t i) const noexcept;
    [[nodiscard]] std::uint32_t timeout_up(std::uint32_t i) const noexcept;
    [[nodiscard]] std::uint32_t timeout_down(std::uint32_t i) const noexcept;
    /// What i directly depends on (ascending; a oneshot includes the runner).
    [[nodiscard]] std::span<const std::uint32_t> deps(std::uint32_t i) const noexcept;
    /// What directly depends on i (ascending).
    [[nodiscard]] std::span<const std::uint32_t> rdeps(std::uint32_t i) const noexcept;
    /// The longrun i's output feeds, or none_index.
    [[nodiscard]] std::uint32_t consumer(std::uint32_t i) const noexcept;
    /// The longruns whose output feeds i (ascending).
    [[nodiscard]] std::span<const std::uint32_t> producers(std::uint32_t i) const noexcept;
    /// The pipeline-name declared by i (a last consumer), or empty.
    [[nodiscard]] std::string_view pipeline_name(std::uint32_t i) const noexcept;

    /// Number of bundles.
    [[nodiscard]] std::uint32_t bundles() const noexcept { return nb_; }
    [[nodiscard]] std::string_view bundle_name(std::uint32_t b) const noexcept;
    [[nodiscard]] std::uint32_t bundle_flags(std::uint32_t b) const noexcept;
    /// The atomic services of bundle b, flattened (ascending).
    [[nodiscard]] std::span<const std::uint32_t> bundle_contents(std::uint32_t b) const noexcept;

    /// The -h user recorded at compile time, or empty.
    [[nodiscard]] std::string_view fdhuser() const noexcept;

    /// The index of the atomic service called name, or none_index (binary search).
    [[nodiscard]] std::uint32_t find(std::string_view name) const noexcept;
    /// The index of the bundle called name, or none_index.
    [[nodiscard]] std::uint32_t find_bundle(std::string_view name) const noexcept;
    /// The atomic services name stands for: itself if atomic, the contents if a bundle.
    /// False (out untouched) if no service or bundle has that name.
    [[nodiscard]] bool resolve(std::string_view name,
                               std::span<const std::uint32_t>& out) const noexcept;

private:
    bool parse() noexcept;
    void clear() noexcept;
    // The index of the service (or bundle) called key, or none_index.
    [[nodiscard]] std::uint32_t search(std::string_view key, bool bundles) const noexcept;
    [[nodiscard]] std::string_view str(std::uint32_t off, std::uint32_t len) const noexcept;
    [[nodiscard]] const std::uint32_t* svc(std::uint32_t i) const noexcept;
    [[nodiscard]] const std::uint32_t* bun(std::uint32_t b) const noexcept;
    [[nodiscard]] std::span<const std::uint32_t> list(std::uint32_t idx,
                                                      std::uint32_t n) const noexcept;

    // One malloc'd block: the numeric part in host order, then 0..n-1 (for resolve), then
    // a copy of the file (pool_ points into it).
    void* block_ = nullptr;
    std::string_view pool_;
    std::uint32_t* words_ = nullptr;
    std::uint32_t nwords_ = 0;
    std::uint32_t n_ = 0, nb_ = 0;
};

} // namespace keel::rc
