#pragma once
// A file of fixed-size records mapped into memory (MAP_SHARED), for state that must survive the process being
// killed without a system call per write: a store into the mapping is in the kernel's page cache the moment
// it is made. The reservation slots and the request journal are such files.
//
// The file starts with one record-sized header whose first 16 bytes are a magic naming the layout; the rest
// of the header is the user's. The file is held with an exclusive flock while open, so only one process uses
// it.

#include <cstddef>
#include <cstdint>
#include <string>

namespace gaterouter::store {

class MappedFile {
  public:
    static constexpr std::size_t kMagicBytes = 16;

    // Opens or creates `path` with at least `records` records of `record_bytes` (an existing file with more
    // keeps them all). Throws StoreError when it cannot be opened, locked or mapped, or when it is not a file
    // of this layout (`kind` names it in the message, e.g. "reservation file").
    MappedFile(const std::string& path, const char (&magic)[kMagicBytes], const char* kind,
               std::size_t record_bytes, std::uint32_t records);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    unsigned char* header() const { return map_; }
    unsigned char* record(std::uint32_t index) const {
        return map_ + record_bytes_ * (static_cast<std::size_t>(index) + 1);
    }
    std::uint32_t records() const { return records_; }
    // Zeroes every record, keeping the header, without touching (and so allocating) the pages of records
    // never used. Nothing may use the records meanwhile.
    void clear_records();

  private:
    std::string path_;
    std::size_t record_bytes_;
    std::uint32_t records_;
    int fd_ = -1;
    unsigned char* map_ = nullptr;
    std::size_t map_bytes_ = 0;
};

}  // namespace gaterouter::store
