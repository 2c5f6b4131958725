// A whole file in memory: for small files read at once (an envdir value, a mount table).
// Nothing here prints or exits.
#pragma once

#include <cstddef>
#include <string_view>

namespace keel {

/// The bytes of a file, in one malloc'd block freed with the object. The block always has
/// one spare byte after the data, so the content can be NUL-terminated in place.
class Slurp {
public:
    Slurp() noexcept = default;
    Slurp(const Slurp&) = delete;
    Slurp& operator=(const Slurp&) = delete;
    ~Slurp();

    /// Reads fd until EOF, replacing the previous content. False with errno (ENOMEM or a
    /// read error); the content is then empty.
    [[nodiscard]] bool read(int fd) noexcept;
    /// Opens path (read-only), reads it whole as read() does, closes it. False with errno
    /// (from open or as read()); the content is then empty.
    [[nodiscard]] bool read_file(const char* path) noexcept;

    [[nodiscard]] char* data() noexcept { return buf_; }
    [[nodiscard]] std::size_t size() const noexcept { return len_; }
    [[nodiscard]] std::string_view view() const noexcept { return {buf_, len_}; }

private:
    char* buf_ = nullptr;
    std::size_t cap_ = 0, len_ = 0;
};

} // namespace keel
