#pragma once

#include <array>
#include <cstdint>

namespace cs {

/// A fixed-layout latency histogram in microseconds: log2 octaves split into four
/// sub-buckets (at most 25% relative error), no allocation, cheap to record on the hot
/// path and to ship over IPC as a flat array of counters.
/// Bucket i < 4 holds exactly i us; above that, octave e = floor(log2 v) >= 2 and
/// sub-bucket s = (v >> (e - 2)) & 3 give i = 4 + (e - 2) * 4 + s. The last bucket also
/// takes everything larger (about 33 s and up).
class LatencyHistogram {
public:
    static constexpr int kBuckets = 100;
    using Counts = std::array<std::uint64_t, kBuckets>;

    static int bucketFor(std::uint64_t micros) noexcept;
    /// Smallest value (us) that lands in bucket i.
    static std::uint64_t lowerBound(int bucket) noexcept;
    /// Largest value (us) that lands in bucket i.
    static std::uint64_t upperBound(int bucket) noexcept;

    void record(std::uint64_t micros) noexcept { ++m_counts[bucketFor(micros)]; ++m_total; }
    void clear() noexcept;
    /// Adds (other - base) bucket by bucket; used to turn cumulative counters into a window.
    void addDelta(const Counts& now, const Counts& before) noexcept;
    void add(const LatencyHistogram& other) noexcept;

    std::uint64_t total() const noexcept { return m_total; }
    const Counts& counts() const noexcept { return m_counts; }
    void setCounts(const Counts& counts) noexcept;

    /// Value (us) at quantile q in [0, 1]: the midpoint of the bucket that holds it; 0 when empty.
    double quantileMicros(double q) const noexcept;

private:
    Counts m_counts {};
    std::uint64_t m_total = 0;
};

} // namespace cs
