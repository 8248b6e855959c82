import Foundation

/// One chart axis: its domain (in data units), its ticks, and the map from a value to a
/// fraction of the axis length.
///
/// Linear axes use "nice" tick steps — 1, 2 or 5 times a power of ten — and a domain that
/// starts and ends on a tick, so the data never touches the frame between ticks. Log axes
/// put a tick on each decade (or every few decades when there are many).
struct AxisScale: Equatable {
    /// Smallest and largest value on the axis.
    let lower: Double
    let upper: Double
    /// Tick values, ascending, all within `lower...upper`.
    let ticks: [Double]
    let isLog: Bool
    /// Distance between linear ticks; labels show as many decimals as it needs.
    let step: Double

    /// A linear axis covering `minimum...maximum` with about `targetTicks` ticks.
    /// - Parameter integerSteps: ticks only on whole numbers (training steps).
    static func linear(minimum: Double, maximum: Double, targetTicks: Int = 5, integerSteps: Bool = false) -> AxisScale {
        var low = minimum.isFinite ? minimum : 0
        var high = maximum.isFinite ? maximum : low + 1
        if high < low { swap(&low, &high) }
        if high - low <= abs(low) * 1e-12 {
            // A flat series: widen symmetrically so it sits in the middle of the axis.
            let pad = low == 0 ? 1 : abs(low) * 0.1
            low -= pad
            high += pad
        }
        var step = niceStep((high - low) / Double(max(targetTicks, 1)))
        if integerSteps { step = max(step, 1) }
        let first = (low / step).rounded(.down), last = (high / step).rounded(.up)
        // Beyond 2^53 consecutive tick indices are no longer distinct doubles; beyond a few
        // thousand the range/step arithmetic has gone wrong. Fall back to the bare range.
        guard step.isFinite, step > 0, abs(first) < 1e15, abs(last) < 1e15, last - first <= 1000 else {
            return AxisScale(lower: low, upper: high, ticks: [low, high], isLog: false, step: high - low)
        }
        // Multiply an integer index by the step rather than adding steps, so 0.6 is
        // 3 × 0.2 and not 0.2 + 0.2 + 0.2 = 0.6000000000000001.
        let ticks = stride(from: first, through: last, by: 1).map { $0 * step }
        return AxisScale(lower: first * step, upper: last * step, ticks: ticks, isLog: false, step: step)
    }

    /// A base-10 log axis covering `minimum...maximum` (both positive) with a tick on every
    /// decade, or on every second, third… decade so that there are at most `maxTicks`.
    static func log(minimum: Double, maximum: Double, maxTicks: Int = 8) -> AxisScale {
        // 1e-300…1e300 keeps 10^exponent a normal, non-zero, finite double.
        let low = min(max(minimum, 1e-300), 1e300), high = min(max(maximum, low), 1e300)
        var first = Foundation.log10(low).rounded(.down)
        var last = Foundation.log10(high).rounded(.up)
        if last <= first { last = first + 1 }
        // Label every decade, or every second, third… one — aligned to a multiple of the
        // stride so the ticks read 1e-6, 1e-3, 1, 1k and not 1e-5, 1e-2, 10 — whichever is
        // the first to give at most `maxTicks` ticks.
        var every = 1.0
        while true {
            let alignedFirst = (first / every).rounded(.down) * every
            let alignedLast = (last / every).rounded(.up) * every
            if (alignedLast - alignedFirst) / every + 1 <= Double(max(maxTicks, 2)) {
                first = alignedFirst
                last = alignedLast
                break
            }
            every += 1
        }
        let ticks = stride(from: first, through: last, by: every).map { pow(10, $0) }
        return AxisScale(lower: pow(10, first), upper: pow(10, last), ticks: ticks, isLog: true, step: every)
    }

    /// The smallest nice step — 1, 2 or 5 × 10^k — at least `raw`, so that a range split
    /// by `raw` into n parts is covered by at most n (+ 1 for alignment) nice intervals.
    /// (After Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990.)
    static func niceStep(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let exponent = Foundation.log10(raw).rounded(.down)
        let power = pow(10, exponent)
        let fraction = raw / power  // 1 ≤ fraction < 10
        // The 1e-9 keeps 0.2 / 0.1 = 2.0000000000000004 from jumping to 5.
        let nice: Double = fraction <= 1 + 1e-9 ? 1 : fraction <= 2 + 1e-9 ? 2 : fraction <= 5 + 1e-9 ? 5 : 10
        return nice * power
    }

    /// Where `value` lies along the axis: 0 at `lower`, 1 at `upper` (outside for values
    /// beyond the domain). Callers pass only finite values, and only positive ones to a log axis.
    func fraction(_ value: Double) -> Double {
        if isLog {
            let low = Foundation.log10(lower)
            return (Foundation.log10(max(value, 1e-300)) - low) / (Foundation.log10(upper) - low)
        }
        return (value - lower) / (upper - lower)
    }

    /// The label printed at `tick`, compact ("1k", "2.5e-3") with the decimals the step needs.
    func label(_ tick: Double) -> String {
        // On a log axis each tick is a power of ten, so it is its own resolution.
        NumberFormat.compact(tick, resolution: isLog ? tick : step)
    }
}
