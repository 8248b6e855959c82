/// The figures of a report not yet placed, taken in document order by step and name: how
/// both renderers pair a chart item with its ``FigureFile`` even when names repeat.
struct FigureQueue {
    private var remaining: [FigureFile?]

    init(_ figures: [FigureFile]) { remaining = figures }

    mutating func take(step: String, name: String) -> FigureFile? {
        guard let index = remaining.firstIndex(where: { $0?.step == step && $0?.name == name }) else { return nil }
        defer { remaining[index] = nil }
        return remaining[index]
    }
}
