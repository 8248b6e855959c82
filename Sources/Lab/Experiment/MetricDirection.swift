/// Which way a metric improves, for a regression gate declared with
/// ``Pipeline/regression(_:_:tolerance:)``: the gate fires when the metric moves the other way.
public enum MetricDirection: Sendable {
    /// Larger is better (accuracy, recall): a drop past the tolerance is a regression.
    case higherIsBetter
    /// Smaller is better (loss, error, points lost): a rise past the tolerance is a regression.
    case lowerIsBetter
}
