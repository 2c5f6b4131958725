// Fixed-capacity buffered I/O over a descriptor. Storage belongs to the caller (or to the
// BufWriter/BufReader templates), so nothing is allocated. Errors return false/-1 with errno.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <sys/types.h>

namespace keel {

class Writer {
public:
    Writer(int fd, std::span<char> storage) noexcept : fd_(fd), buf_(storage) {}
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    /// Appends s; writes the buffer out whenever it fills. Data larger than the buffer goes
    /// straight to the fd. False on a write error (what was not written stays pending).
    [[nodiscard]] bool put(std::string_view s) noexcept;
    [[nodiscard]] bool put(char c) noexcept;
    /// Writes out everything buffered. False on error.
    [[nodiscard]] bool flush() noexcept;
    [[nodiscard]] std::size_t pending() const noexcept { return len_; }
    [[nodiscard]] std::size_t room() const noexcept { return buf_.size() - len_; }
    [[nodiscard]] int fd() const noexcept { return fd_; }

private:
    int fd_;
    std::span<char> buf_;
    std::size_t len_ = 0;
};

template <std::size_t N>
class BufWriter : public Writer {
public:
    explicit BufWriter(int fd) noexcept : Writer(fd, store_) {}

private:
    std::array<char, N> store_;
};

class Reader {
public:
    Reader(int fd, std::span<char> storage) noexcept : fd_(fd), buf_(storage) {}
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    /// Reads once more into the free space (compacting first). Returns the number of new
    /// bytes, 0 at EOF (or when the buffer is full), -1 on error. EINTR is retried.
    [[nodiscard]] ssize_t fill() noexcept;
    /// The bytes read and not consumed yet.
    [[nodiscard]] std::string_view data() const noexcept
    {
        return {buf_.data() + start_, end_ - start_};
    }
    void consume(std::size_t n) noexcept;
    [[nodiscard]] bool full() const noexcept { return start_ == 0 && end_ == buf_.size(); }
    [[nodiscard]] int fd() const noexcept { return fd_; }

private:
    int fd_;
    std::span<char> buf_;
    std::size_t start_ = 0, end_ = 0;
};

template <std::size_t N>
class BufReader : public Reader {
public:
    explicit BufReader(int fd) noexcept : Reader(fd, store_) {}

private:
    std::array<char, N> store_;
};

} // namespace keel
