#include "gaterouter/store/mapped_file.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gaterouter/store/sqlite_database.hpp"

namespace gaterouter::store {

namespace {

[[noreturn]] void fail(const std::string& path, const char* what) {
    throw StoreError(path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

MappedFile::MappedFile(const std::string& path, const char (&magic)[kMagicBytes], const char* kind,
                       std::size_t record_bytes, std::uint32_t records)
    : path_(path), record_bytes_(record_bytes), records_(records) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) fail(path, "cannot open");
    try {
        if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK) throw StoreError(path + ": in use by another gateway process");
            fail(path, "cannot lock");
        }
        struct stat st {};
        if (::fstat(fd_, &st) != 0) fail(path, "cannot stat");
        const auto existing = static_cast<std::size_t>(st.st_size);
        if (existing > 0) {
            char found[kMagicBytes] = {};
            if (existing < record_bytes_ || ::pread(fd_, found, sizeof found, 0) != sizeof found ||
                std::memcmp(found, magic, sizeof found) != 0) {
                throw StoreError(path + ": not a " + kind + " of this version; move it away to start");
            }
            const auto found_records = static_cast<std::uint32_t>(existing / record_bytes_ - 1);
            if (found_records > records_) records_ = found_records;
        }
        map_bytes_ = (std::size_t{records_} + 1) * record_bytes_;
        if (existing < map_bytes_ && ::ftruncate(fd_, static_cast<off_t>(map_bytes_)) != 0) {
            fail(path, "cannot size");
        }
        if (existing == 0 && ::pwrite(fd_, magic, kMagicBytes, 0) != static_cast<ssize_t>(kMagicBytes)) {
            fail(path, "cannot write");
        }
        void* map = ::mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
        if (map == MAP_FAILED) fail(path, "cannot map");
        map_ = static_cast<unsigned char*>(map);
    } catch (...) {
        ::close(fd_);
        throw;
    }
}

MappedFile::~MappedFile() {
    ::munmap(map_, map_bytes_);
    ::close(fd_);  // and with it the lock
}

void MappedFile::clear_records() {
    // Cutting the file back to its header and growing it again zeroes every record.
    if (::ftruncate(fd_, static_cast<off_t>(record_bytes_)) != 0 ||
        ::ftruncate(fd_, static_cast<off_t>(map_bytes_)) != 0) {
        fail(path_, "cannot clear");
    }
}

}  // namespace gaterouter::store
