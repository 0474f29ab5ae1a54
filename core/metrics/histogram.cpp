#include "metrics/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace cs {

namespace {

constexpr int kLastBucket = LatencyHistogram::kBuckets - 1;

// The value range bucket i would cover if the last bucket did not also take the overflow.
std::uint64_t naturalUpper(int bucket) noexcept
{
    if (bucket < 4)
        return static_cast<std::uint64_t>(bucket);
    const int shift = (bucket - 4) / 4;
    return LatencyHistogram::lowerBound(bucket) + (std::uint64_t { 1 } << shift) - 1;
}

} // namespace

void DurationSum::add(std::uint64_t nanoseconds) noexcept
{
    seconds += nanoseconds / kNanosPerSecond;
    nanos += static_cast<std::uint32_t>(nanoseconds % kNanosPerSecond);
    if (nanos >= kNanosPerSecond) {
        nanos -= kNanosPerSecond;
        ++seconds;
    }
}

void DurationSum::add(const DurationSum& other) noexcept
{
    seconds += other.seconds;
    add(std::uint64_t { other.nanos });
}

DurationSum DurationSum::since(const DurationSum& earlier) const noexcept
{
    DurationSum delta;
    if (*this <= earlier)
        return delta;
    delta.seconds = seconds - earlier.seconds;
    if (nanos >= earlier.nanos) {
        delta.nanos = nanos - earlier.nanos;
    } else {
        --delta.seconds; // *this > earlier, so there is a second to borrow
        delta.nanos = nanos + kNanosPerSecond - earlier.nanos;
    }
    return delta;
}

double DurationSum::inSeconds() const noexcept
{
    return static_cast<double>(seconds) + static_cast<double>(nanos) / kNanosPerSecond;
}

int LatencyHistogram::bucketFor(std::uint64_t micros) noexcept
{
    if (micros < 4)
        return static_cast<int>(micros);
    const int e = std::bit_width(micros) - 1; // floor(log2), >= 2 here
    const int s = static_cast<int>((micros >> (e - 2)) & 3);
    return std::min(4 + (e - 2) * 4 + s, kLastBucket);
}

std::uint64_t LatencyHistogram::lowerBound(int bucket) noexcept
{
    bucket = std::clamp(bucket, 0, kLastBucket);
    if (bucket < 4)
        return static_cast<std::uint64_t>(bucket);
    const int shift = (bucket - 4) / 4; // e - 2
    const std::uint64_t sub = static_cast<std::uint64_t>((bucket - 4) % 4);
    return (4 + sub) << shift;
}

std::uint64_t LatencyHistogram::upperBound(int bucket) noexcept
{
    bucket = std::clamp(bucket, 0, kLastBucket);
    if (bucket == kLastBucket)
        return std::numeric_limits<std::uint64_t>::max();
    return naturalUpper(bucket);
}

void LatencyHistogram::record(std::uint64_t micros) noexcept
{
    ++m_counts[bucketFor(micros)];
    ++m_total;
    m_sum.seconds += micros / 1'000'000;
    m_sum.add(micros % 1'000'000 * 1000);
}

void LatencyHistogram::recordNanos(std::uint64_t nanos) noexcept
{
    ++m_counts[bucketFor(nanos / 1000)];
    ++m_total;
    m_sum.add(nanos);
}

void LatencyHistogram::clear() noexcept
{
    m_counts.fill(0);
    m_total = 0;
    m_sum = {};
}

void LatencyHistogram::addDelta(const LatencyHistogram& now, const LatencyHistogram& before) noexcept
{
    // A counter below its earlier value means the sender restarted (a respawned worker
    // counts from zero again): everything it reports now is new, so take it whole rather
    // than wrapping around to an absurd count.
    bool restarted = now.m_sum < before.m_sum;
    for (int i = 0; i < kBuckets; ++i)
        restarted = restarted || now.m_counts[i] < before.m_counts[i];
    for (int i = 0; i < kBuckets; ++i) {
        const std::uint64_t delta = restarted ? now.m_counts[i] : now.m_counts[i] - before.m_counts[i];
        m_counts[i] += delta;
        m_total += delta;
    }
    m_sum.add(restarted ? now.m_sum : now.m_sum.since(before.m_sum));
}

void LatencyHistogram::add(const LatencyHistogram& other) noexcept
{
    for (int i = 0; i < kBuckets; ++i)
        m_counts[i] += other.m_counts[i];
    m_total += other.m_total;
    m_sum.add(other.m_sum);
}

void LatencyHistogram::setCounts(const Counts& counts, const DurationSum& sum) noexcept
{
    m_counts = counts;
    m_total = 0;
    for (std::uint64_t c : counts)
        m_total += c;
    m_sum = sum;
}

double LatencyHistogram::quantileMicros(double q) const noexcept
{
    if (m_total == 0)
        return 0.0;
    if (!(q >= 0.0)) // also catches NaN
        q = 0.0;
    q = std::min(q, 1.0);
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(m_total)));
    rank = std::clamp<std::uint64_t>(rank, 1, m_total);

    std::uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
        seen += m_counts[i];
        if (seen >= rank)
            return (static_cast<double>(lowerBound(i)) + static_cast<double>(naturalUpper(i))) / 2.0;
    }
    // Only reachable if m_total disagrees with the counts; the top bucket is the honest answer.
    return (static_cast<double>(lowerBound(kLastBucket)) + static_cast<double>(naturalUpper(kLastBucket))) / 2.0;
}

} // namespace cs
