import ArgumentParser
import Foundation

/// The points of a sweep: the product of its `--grid key=v1,v2,…` axes, first axis slowest,
/// or `random` of them drawn without replacement (seeded, kept in product order).
struct SweepPlan: Equatable {
    /// A swept config field and its values, in the order given.
    struct Axis: Equatable {
        var key: String
        var values: [String]
    }

    var axes: [Axis]
    /// Each point's value of every axis, in axis order.
    var points: [[String]]

    /// Parses the grids and picks the points.
    /// - Throws: `ValidationError` naming the grid that is malformed, a key given twice, a
    ///   value given twice, or more random points than the grid has.
    static func make(grids: [String], random: Int?, seed: UInt64) throws -> SweepPlan {
        guard !grids.isEmpty else { throw ValidationError("give at least one --grid key=v1,v2,… (a config field and its values)") }
        var axes: [Axis] = []
        for grid in grids {
            guard let eq = grid.firstIndex(of: "="), eq != grid.startIndex else {
                throw ValidationError("--grid \(grid): write key=v1,v2,… (a config field, then its values separated by commas)")
            }
            let key = String(grid[..<eq]).trimmingCharacters(in: .whitespaces)
            let values = grid[grid.index(after: eq)...].split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            if values.contains(where: \.isEmpty) { throw ValidationError("--grid \(grid): a value is empty (two commas, or a comma at an end)") }
            if axes.contains(where: { $0.key == key }) { throw ValidationError("--grid \(key) is given twice: put all its values in one --grid \(key)=…") }
            if Set(values).count != values.count { throw ValidationError("--grid \(grid): a value is given twice") }
            axes.append(Axis(key: key, values: values))
        }
        var points: [[String]] = [[]]
        for axis in axes { points = points.flatMap { p in axis.values.map { p + [$0] } } }
        if let random {
            guard random >= 1 else { throw ValidationError("--random takes a positive count of points, got \(random)") }
            guard random <= points.count else {
                throw ValidationError("--random \(random) asks for more points than the grid's \(points.count); give \(points.count) or fewer, or drop --random")
            }
            // A seeded partial Fisher–Yates shuffle (SplitMix64), then product order.
            var state = seed &+ 0x5157_4545_7053_4c41
            func next() -> UInt64 {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return z ^ (z >> 31)
            }
            var indices = Array(points.indices)
            for i in 0..<random {
                let j = i + Int(next() % UInt64(indices.count - i))
                indices.swapAt(i, j)
            }
            points = indices.prefix(random).sorted().map { points[$0] }
        }
        return SweepPlan(axes: axes, points: points)
    }

    /// `--set key=value` arguments of point `i`.
    func assignments(_ i: Int) -> [String] {
        zip(axes, points[i]).map { "\($0.key)=\($1)" }
    }
}
