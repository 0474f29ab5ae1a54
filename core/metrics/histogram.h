#pragma once

#include <array>
#include <cstdint>

namespace cs {

/// A sum of durations, exact to the nanosecond: whole seconds and the nanoseconds beyond
/// them (always below 1e9). A plain 64-bit count of nanoseconds would wrap after 584 years
/// of summed latency, which a worker holding thousands of slow requests open reaches in
/// weeks; this one does not wrap in any lifetime.
struct DurationSum {
    static constexpr std::uint32_t kNanosPerSecond = 1'000'000'000;

    std::uint64_t seconds = 0;
    std::uint32_t nanos = 0;

    void add(std::uint64_t nanoseconds) noexcept;
    void add(const DurationSum& other) noexcept;
    /// This sum less an earlier, smaller or equal one.
    DurationSum since(const DurationSum& earlier) const noexcept;
    double inSeconds() const noexcept;
    friend auto operator<=>(const DurationSum&, const DurationSum&) = default;
};

/// A fixed-layout latency histogram in microseconds: log2 octaves split into four
/// sub-buckets (at most 25% relative error), no allocation, cheap to record on the hot
/// path and to ship over IPC as a flat array of counters. Next to the buckets it keeps the
/// exact sum of what was recorded, so a mean or Prometheus' `_sum` is not an estimate.
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

    void record(std::uint64_t micros) noexcept;
    /// Records a duration measured in nanoseconds: its bucket is that of the whole
    /// microseconds in it, and the sum takes it to the nanosecond.
    void recordNanos(std::uint64_t nanos) noexcept;
    void clear() noexcept;
    /// Adds (now - before), buckets and sum; used to turn cumulative counters into a window.
    void addDelta(const LatencyHistogram& now, const LatencyHistogram& before) noexcept;
    void add(const LatencyHistogram& other) noexcept;

    std::uint64_t total() const noexcept { return m_total; }
    const Counts& counts() const noexcept { return m_counts; }
    /// The exact sum of every recorded value.
    const DurationSum& sum() const noexcept { return m_sum; }
    /// Takes counters as shipped over IPC: the buckets and the sum of what they count.
    void setCounts(const Counts& counts, const DurationSum& sum) noexcept;

    /// Value (us) at quantile q in [0, 1]: the midpoint of the bucket that holds it; 0 when empty.
    double quantileMicros(double q) const noexcept;

private:
    Counts m_counts {};
    std::uint64_t m_total = 0;
    DurationSum m_sum;
};

} // namespace cs
