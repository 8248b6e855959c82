/// Turns a series into the polylines that are drawn: splits it at points that cannot be
/// shown (NaN, ±∞, and on a log axis values ≤ 0), and reduces long runs to at most four
/// points per pixel column, so a 100k-step curve costs a few thousand path points.
///
/// The reduction keeps, per column, the first, lowest, highest and last point in their
/// original order ("M4", Jugel et al., "M4: A Visualization-Oriented Time Series Data
/// Aggregation", VLDB 2014): the drawn line is then the same, pixel for pixel, as the line
/// through every point.
struct LineDecimator {
    /// Maps a data point to chart coordinates.
    let project: (_ x: Double, _ value: Double) -> (x: Double, y: Double)
    /// Whether values ≤ 0 must be skipped (log axis).
    let positiveOnly: Bool

    /// Points skipped, by reason, for the note under the chart.
    struct Skipped: Equatable {
        var nonFinite = 0
        var nonPositive = 0
    }

    /// Whether a value can be drawn, and if not, why.
    func classify(_ value: Double) -> (drawable: Bool, nonFinite: Bool) {
        if !value.isFinite { return (false, true) }
        if positiveOnly && value <= 0 { return (false, false) }
        return (true, false)
    }

    /// The polylines of `points` in chart coordinates, and the count of points skipped.
    /// Points are taken in order of `x` (ties keep their logged order).
    func segments(of points: [SeriesPoint]) -> (segments: [[(x: Double, y: Double)]], skipped: Skipped) {
        var ordered = points
        if !zip(points, points.dropFirst()).allSatisfy({ $0.x <= $1.x }) {
            ordered = points.enumerated()
                .sorted { ($0.element.x, $0.offset) < ($1.element.x, $1.offset) }
                .map(\.element)
        }
        var skipped = Skipped()
        var segments: [[(x: Double, y: Double)]] = []
        var reducer = ColumnReducer()
        for point in ordered {
            let (drawable, nonFinite) = classify(point.value)
            guard drawable else {
                if nonFinite { skipped.nonFinite += 1 } else { skipped.nonPositive += 1 }
                reducer.flush(into: &segments, endSegment: true)
                continue
            }
            reducer.add(project(Double(point.x), point.value))
        }
        reducer.flush(into: &segments, endSegment: true)
        return (segments, skipped)
    }
}

/// The M4 state of one pixel column within the current segment.
private struct ColumnReducer {
    private var column: Int?
    private var first: (x: Double, y: Double)?, last: (x: Double, y: Double)?
    private var lowest: (x: Double, y: Double)?, highest: (x: Double, y: Double)?
    private var firstIndex = 0, lastIndex = 0, lowestIndex = 0, highestIndex = 0
    private var count = 0
    private var current: [(x: Double, y: Double)] = []

    mutating func add(_ point: (x: Double, y: Double)) {
        let pixelColumn = Int(point.x.rounded(.down))
        if pixelColumn != column { flushColumn(); column = pixelColumn }
        if first == nil { first = point; firstIndex = count }
        last = point; lastIndex = count
        if lowest == nil || point.y < lowest!.y { lowest = point; lowestIndex = count }
        if highest == nil || point.y > highest!.y { highest = point; highestIndex = count }
        count += 1
    }

    /// Emits the column's kept points, in their original order, without repeats.
    private mutating func flushColumn() {
        guard let first, let last, let lowest, let highest else { return }
        let kept = [(firstIndex, first), (lowestIndex, lowest), (highestIndex, highest), (lastIndex, last)]
        var previous = -1
        for (index, point) in kept.sorted(by: { $0.0 < $1.0 }) where index != previous {
            current.append(point)
            previous = index
        }
        self.first = nil; self.last = nil; self.lowest = nil; self.highest = nil
        count = 0
    }

    /// Ends the current column and, if `endSegment`, the current polyline.
    mutating func flush(into segments: inout [[(x: Double, y: Double)]], endSegment: Bool) {
        flushColumn()
        column = nil
        if endSegment && !current.isEmpty {
            segments.append(current)
            current = []
        }
    }
}
