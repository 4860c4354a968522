// How each benchmarked variant maps, populates and unmaps memory.
//
// Every variant faults order-0 pages, so that the comparison is between what
// each one does per 4 KiB page: secret memory never uses transparent huge
// pages, and the plain baselines are given MADV_NOHUGEPAGE to match.
//
//   MAP_SECRET    mmap(MAP_PRIVATE | MAP_ANONYMOUS | MAP_SECRET); touch.
//   PROT_SECRET   plain private anonymous memory, touched (untimed), then
//                 mprotect(PROT_SECRET) converts it in place: populating it
//                 means the mprotect.
//   memfd_secret  memfd_secret(), ftruncate() to the size, mmap(MAP_SHARED),
//                 the fd closed at once; touch.
//   plain         mmap(MAP_PRIVATE | MAP_ANONYMOUS); touch.
//   plain_mlock   the same, locked with mlock2(MLOCK_ONFAULT): locked but
//                 faulted on first touch, as secret memory is; touch.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace bench {

enum class variant { map_secret, prot_secret, memfd_secret, plain, plain_mlock };

inline constexpr std::array all_variants{variant::map_secret, variant::prot_secret,
                                         variant::memfd_secret, variant::plain,
                                         variant::plain_mlock};

inline constexpr std::size_t page_size = 4096;
inline constexpr std::size_t huge_page_size = std::size_t{2} << 20;

// "MAP_SECRET", "PROT_SECRET", "memfd_secret", "plain", "plain_mlock".
std::string_view name(variant v);

// Empty when this kernel offers the variant, else why not.
std::string unavailable_reason(variant v);

// A mapping of one variant, unmapped by the destructor.  Construction is the
// untimed setup: mmap (and for PROT_SECRET the plain memory's first touch).
class mapping {
public:
    mapping(variant v, std::size_t size);
    ~mapping();
    mapping(const mapping&) = delete;
    mapping& operator=(const mapping&) = delete;
    mapping(mapping&&) = delete;
    mapping& operator=(mapping&&) = delete;

    std::byte* data() const { return data_; }
    std::size_t size() const { return size_; }

    // The measured work: fault in [offset, offset + length) (for PROT_SECRET,
    // convert it).  Safe to call on disjoint parts from several threads.
    void populate(std::size_t offset, std::size_t length) const;
    void populate() const { populate(0, size_); }

private:
    variant variant_;
    std::byte* data_ = nullptr;
    std::size_t size_;
};

// Write one byte to every 4 KiB page of [p, p + length).
void touch(std::byte* p, std::size_t length);

} // namespace bench
