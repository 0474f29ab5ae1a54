#pragma once

#include <QObject>
#include <QString>

namespace cs::ui {

/// A stretch of cluster time, in seconds.
struct TimeRange {
    double from = 0;
    double to = 0;
    double span() const { return to - from; }
    bool operator==(const TimeRange&) const = default;
};

/// What the time charts show, shared by all of them so their x axes stay in step: zoom
/// one and all follow. Live (the default) follows the data: the last kLiveSpan seconds,
/// the right edge now. Pausing freezes the range; zooming, selecting a range or panning
/// leaves live mode too; goLive() follows the data again at the span shown (zoomed out to
/// ten minutes: the last ten minutes), reset() returns to the last kLiveSpan seconds. Holds no data and no chart: the charts
/// read range() when they draw and redraw on changed().
class TimeView : public QObject {
    Q_OBJECT
public:
    enum class Mode { Live, Paused, Zoomed };
    static constexpr double kLiveSpan = 60.0;
    static constexpr double kMinSpan = 2.0; ///< four samples at the default interval

    explicit TimeView(QObject* parent = nullptr);

    Mode mode() const { return m_mode; }
    bool live() const { return m_mode == Mode::Live; }
    /// The cluster time of the newest data (the live right edge). Does not emit changed():
    /// the charts are redrawn with the new data anyway.
    void setNow(double now) { m_now = now; }
    double now() const { return m_now; }
    /// The range the charts show now.
    TimeRange range() const;
    /// A sentence for the view bar: "Live: the last 60 s", "Paused at 01:05.0", ...
    QString description() const;

    /// Zooms by `factor` (< 1 in, > 1 out) keeping `anchor` (a time) where it is.
    void zoom(double anchor, double factor);
    /// Shows [from, to] (a dragged selection), at least kMinSpan wide.
    void select(double from, double to);
    /// Moves the range by `seconds` (negative: back in time).
    void pan(double seconds);
    void pause();
    /// Follows the data again, showing as many seconds as now.
    void goLive();
    /// Back to live, showing the last kLiveSpan seconds.
    void reset();
    /// Space: pause when live, else live again (goLive).
    void togglePause();

Q_SIGNALS:
    void changed();

private:
    /// Fixes [from, to] inside the data (0 .. now, at least the live span) and leaves live.
    void show(double from, double to, Mode mode);
    double end() const;

    Mode m_mode = Mode::Live;
    double m_now = 0;
    double m_liveSpan = kLiveSpan;
    TimeRange m_range; ///< when not live
};

} // namespace cs::ui
