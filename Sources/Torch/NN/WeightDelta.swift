/// A trainable additive change to a weight matrix: a layer computes with W + `delta()`.
/// LoRA's low-rank update is one (`LoRAWeight` in Multimodal); ``MultiheadAttention`` takes
/// one for its packed in-projection, whose weight is a tensor rather than a ``Linear``.
public protocol WeightDelta: Module {
    /// The change, shaped as the weight it is added to.
    func delta() -> Tensor
}
