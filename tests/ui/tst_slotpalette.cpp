#include "models/slotpalette.h"

#include <cmath>

#include <QTest>

using namespace cs::ui;
using Category = EventTimelineModel::Category;

namespace {

struct Lab {
    double l, a, b;
};

Lab toLab(const QColor& color)
{
    auto linear = [](double c) { return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4); };
    const double r = linear(color.redF()), g = linear(color.greenF()), b = linear(color.blueF());
    const double x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
    const double y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    const double z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    auto f = [](double t) { return t > 216.0 / 24389 ? std::cbrt(t) : (24389.0 / 27 * t + 16) / 116; };
    return { 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z)) };
}

double degrees(double radians)
{
    const double d = radians * 180 / M_PI;
    return d < 0 ? d + 360 : d;
}

double radians(double degrees)
{
    return degrees * M_PI / 180;
}

/// CIEDE2000 colour difference: about 1 is a just noticeable difference side by side; two
/// thin chart lines need well over 10 to be told apart at a glance.
double deltaE2000(const QColor& first, const QColor& second)
{
    const Lab p = toLab(first), q = toLab(second);
    const double c1 = std::hypot(p.a, p.b), c2 = std::hypot(q.a, q.b);
    const double cMean7 = std::pow((c1 + c2) / 2, 7);
    const double g = 0.5 * (1 - std::sqrt(cMean7 / (cMean7 + std::pow(25.0, 7))));
    const double a1 = (1 + g) * p.a, a2 = (1 + g) * q.a;
    const double c1p = std::hypot(a1, p.b), c2p = std::hypot(a2, q.b);
    const double h1 = degrees(std::atan2(p.b, a1)), h2 = degrees(std::atan2(q.b, a2));
    double dh = 0;
    if (c1p * c2p != 0) {
        dh = h2 - h1;
        if (dh > 180)
            dh -= 360;
        else if (dh < -180)
            dh += 360;
    }
    const double dL = q.l - p.l, dC = c2p - c1p;
    const double dH = 2 * std::sqrt(c1p * c2p) * std::sin(radians(dh / 2));
    const double lMean = (p.l + q.l) / 2, cMean = (c1p + c2p) / 2;
    double hMean = h1 + h2;
    if (c1p * c2p != 0) {
        if (std::abs(h1 - h2) <= 180)
            hMean = (h1 + h2) / 2;
        else
            hMean = h1 + h2 < 360 ? (h1 + h2 + 360) / 2 : (h1 + h2 - 360) / 2;
    }
    const double t = 1 - 0.17 * std::cos(radians(hMean - 30)) + 0.24 * std::cos(radians(2 * hMean))
        + 0.32 * std::cos(radians(3 * hMean + 6)) - 0.20 * std::cos(radians(4 * hMean - 63));
    const double dTheta = 30 * std::exp(-std::pow((hMean - 275) / 25, 2));
    const double cMeanP7 = std::pow(cMean, 7);
    const double rc = 2 * std::sqrt(cMeanP7 / (cMeanP7 + std::pow(25.0, 7)));
    const double sl = 1 + 0.015 * std::pow(lMean - 50, 2) / std::sqrt(20 + std::pow(lMean - 50, 2));
    const double sc = 1 + 0.045 * cMean, sh = 1 + 0.015 * cMean * t;
    const double rt = -std::sin(radians(2 * dTheta)) * rc;
    return std::sqrt(std::pow(dL / sl, 2) + std::pow(dC / sc, 2) + std::pow(dH / sh, 2) + rt * (dC / sc) * (dH / sh));
}

struct Named {
    QString name;
    QColor color;
};

QList<Named> slots()
{
    QList<Named> out;
    for (int slot = 1; slot <= kSlotColorCount; ++slot)
        out.append({ QStringLiteral("slot #%1").arg(slot), slotColor(slot) });
    return out;
}

QList<Named> cores()
{
    QList<Named> out;
    for (int core = 0; core < kCoreColorCount; ++core)
        out.append({ QStringLiteral("cpu%1").arg(core), coreColor(core) });
    return out;
}

QList<Named> latencies()
{
    return { { QStringLiteral("p50"), latencyColor(Percentile::P50) }, { QStringLiteral("p99"), latencyColor(Percentile::P99) } };
}

QList<Named> events()
{
    QList<Named> out;
    for (int i = 0; i < EventTimelineModel::kCategoryCount; ++i)
        out.append({ EventTimelineModel::categoryName(Category(i)), eventColor(Category(i)) });
    return out;
}

QList<Named> shares()
{
    return { { QStringLiteral("requests bar"), shareColor(Share::Requests) },
             { QStringLiteral("connections bar"), shareColor(Share::Connections) } };
}

/// The closest pair between two groups (or within one when `second` is null), as a message.
QString closest(const QList<Named>& first, const QList<Named>* second, double* distance)
{
    *distance = 1e9;
    QString which;
    for (int i = 0; i < first.size(); ++i) {
        const QList<Named>& others = second ? *second : first;
        for (int j = second ? 0 : i + 1; j < others.size(); ++j) {
            const double d = deltaE2000(first[i].color, others[j].color);
            if (d < *distance) {
                *distance = d;
                which = QStringLiteral("%1 %2 and %3 %4: deltaE %5")
                            .arg(first[i].name, first[i].color.name(), others[j].name, others[j].color.name())
                            .arg(d, 0, 'f', 1);
            }
        }
    }
    return which;
}

} // namespace

class TestSlotPalette : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void deltaEMatchesReferencePairs()
    {
        // Sharma, Wu, Dalal (2005), the CIEDE2000 test data, through sRGB: equal colours are
        // 0 apart, black and white 100.
        QCOMPARE(deltaE2000(QColor(0x4e79a7), QColor(0x4e79a7)), 0.0);
        QVERIFY(std::abs(deltaE2000(Qt::black, Qt::white) - 100) < 0.01);
        QVERIFY(deltaE2000(QColor(0xe15759), QColor(0xe15759).darker(105)) < 5);
    }

    // Worker #4 was the same red as cpu1, p99 and the crash marker: a slot's colour must
    // never be mistaken for a core, a percentile, an event or a share bar.
    void slotsAreUnlikeEveryOtherSeries_data()
    {
        QTest::addColumn<QString>("group");
        QTest::newRow("cores") << QStringLiteral("cores");
        QTest::newRow("latency") << QStringLiteral("latency");
        QTest::newRow("timeline markers") << QStringLiteral("events");
        QTest::newRow("share bars") << QStringLiteral("shares");
    }
    void slotsAreUnlikeEveryOtherSeries()
    {
        QFETCH(QString, group);
        const QList<Named> others = group == QLatin1String("cores") ? cores()
            : group == QLatin1String("latency")                     ? latencies()
            : group == QLatin1String("events")                      ? events()
                                                                    : shares();
        const QList<Named> all = slots();
        double distance = 0;
        const QString which = closest(all, &others, &distance);
        QVERIFY2(distance >= 15, qPrintable(which));
    }

    void eachGroupTellsItsOwnApart_data()
    {
        QTest::addColumn<QString>("group");
        QTest::addColumn<double>("least");
        QTest::newRow("slots") << QStringLiteral("slots") << 15.0;
        QTest::newRow("cores") << QStringLiteral("cores") << 15.0;
        QTest::newRow("latency") << QStringLiteral("latency") << 15.0;
        // Markers differ in shape as well as colour.
        QTest::newRow("timeline markers") << QStringLiteral("events") << 12.0;
        QTest::newRow("share bars") << QStringLiteral("shares") << 15.0;
    }
    void eachGroupTellsItsOwnApart()
    {
        QFETCH(QString, group);
        QFETCH(double, least);
        const QList<Named> colors = group == QLatin1String("slots") ? slots()
            : group == QLatin1String("cores")                       ? cores()
            : group == QLatin1String("latency")                     ? latencies()
            : group == QLatin1String("events")                      ? events()
                                                                    : shares();
        double distance = 0;
        const QString which = closest(colors, nullptr, &distance);
        QVERIFY2(distance >= least, qPrintable(which));
    }

    void slotsRepeatOnlyAfterThePalette()
    {
        QCOMPARE(slotColor(1 + kSlotColorCount), slotColor(1));
        QCOMPARE(slotColor(0), slotColor(1));
        QCOMPARE(coreColor(kCoreColorCount), coreColor(0));
        QCOMPARE(coreColor(-1), coreColor(kCoreColorCount - 1));
    }
};

QTEST_MAIN(TestSlotPalette)
#include "tst_slotpalette.moc"
