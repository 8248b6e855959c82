import Testing
import Torch
@testable import Multimodal

@Suite(.serialized) struct Int8Tests {
    @Test func dequantizedWeightsAreWithinHalfAScale() {
        manualSeed(21)
        for shape in [[32, 64], [8, 3, 3, 3]] {
            let w = Tensor.randn(shape) * 0.1
            let q = Int8Weight(quantizing: w)
            #expect(q.values.dtype == .int8 && q.values.shape == shape)
            #expect(q.scales.shape == [shape[0]])
            let maxCode = q.values.to(.int64).abs().reshape(shape[0], -1).max(dims: [1])
            #expect(maxCode.min().item() == 127, "every channel's largest weight maps to ±127")
            let error = (q.dequantized().to(.float64) - w.to(.float64)).abs()      // (C, …)
            let halfScale = q.scales.to(.float64).reshape(Int8Weight.broadcastShape(shape)) / 2.0
            let slack = (error - halfScale).max().item()
            #expect(slack <= 1e-9, "|ŵ − w| exceeds scale/2 by \(slack)")
        }
    }

    @Test func anAllZeroChannelStaysZero() {
        let w = Tensor.cat([Tensor.zeros([1, 4]), Tensor.ones([1, 4])], dim: 0)
        let q = Int8Weight(quantizing: w)
        #expect(q.dequantized().isfinite().all().item() != 0)
        expectIdentical(q.dequantized(), w, "dequantized")
    }

    @Test func weightSizeShrinksAtLeast3Point5Times() {
        manualSeed(22)
        let linear = Linear(256, 128), conv = Conv2d(16, 32, kernelSize: 3)
        for q in [Int8Weight(quantizing: linear.weight), Int8Weight(quantizing: conv.weight)] {
            let ratio = Double(q.float32SizeInBytes) / Double(q.sizeInBytes)
            #expect(ratio >= 3.5, "float32 / (int8 + scales) = \(ratio)")
        }
        let model = Sequential(conv, Flatten(), Linear(32 * 6 * 6, 10))
        let quantized = Quantizer.quantize(model)
        let ratio = Double(Quantizer.sizeInBytes(model)) / Double(Quantizer.sizeInBytes(quantized))
        #expect(ratio >= 3.5, "whole model, biases included: \(ratio)")
    }

    /// |y_q − y| = |Σᵢ xᵢ(ŵ − w)ᵢ| ≤ (scale_c/2)·Σᵢ|xᵢ|: the worst case of the rounding, per output.
    @Test func quantizedLinearIsWithinTheRoundingBound() {
        manualSeed(23)
        let linear = Linear(64, 32)
        let quantized = Quantizer.quantize(linear)
        let x = Tensor.randn([16, 64])
        let (y, yq) = withNoGrad { (linear(x), quantized(x)) }
        let bound = x.abs().sum(dim: 1, keepDim: true) * quantized.weightScale.reshape(1, 32) / 2.0  // (16, 32)
        let excess = ((yq - y).abs() - bound).max().item()
        #expect(excess <= 1e-5, "exceeds the bound by \(excess)")
        let relative = ((yq - y).norm() / y.norm()).item()
        #expect(relative < 0.01, "relative error \(relative)")
        #expect(quantized.stateDictKeys() == ["bias", "weight_int8", "weight_scale"])
    }

    @Test func quantizedConv2dIsWithinTheRoundingBound() {
        manualSeed(24)
        let conv = Conv2d(3, 8, kernelSize: 3, stride: 2, padding: 1)
        let quantized = QuantizedConv2d(conv)
        let x = Tensor.randn([2, 3, 9, 9])
        let (y, yq) = withNoGrad { (conv(x), quantized(x)) }
        // Σ|x| over each output's receptive field: a convolution of |x| with ones.
        let fieldSums = F.conv2d(x.abs(), weight: Tensor.ones([1, 3, 3, 3]), stride: (2, 2), padding: (1, 1))  // (2, 1, 5, 5)
        let bound = fieldSums * quantized.weightScale.reshape(1, 8, 1, 1) / 2.0  // (2, 8, 5, 5)
        let excess = ((yq - y).abs() - bound).max().item()
        #expect(excess <= 1e-5, "exceeds the bound by \(excess)")
        #expect(((yq - y).norm() / y.norm()).item() < 0.01)
    }

    @Test func libtorchInt8WeightKernelAgreesWithDequantizing() {
        manualSeed(25)
        let linear = Linear(64, 48)
        let quantized = QuantizedLinear(linear, kernel: .int8WeightMatmul)
        let x = Tensor.randn([2, 5, 64])
        let viaKernel = withNoGrad { quantized(x) }
        quantized.kernel = .dequantized
        expectClose(viaKernel, withNoGrad { quantized(x) }, rtol: 1e-5, atol: 1e-5, "_weight_int8pack_mm vs dequantized")
    }

    /// fbgemm's dynamic kernel (`quantized::linear_dynamic`) computes Σ ŵ·x̂ with x̂ the input
    /// quantized per tensor to 0…127 (scale s = (max(x, 0) − min(x, 0)) / 127): each x̂ is
    /// within s of x (s/2 from rounding, up to s/2 more from the rounded zero point), so each
    /// output is within Σ|ŵ|·s of the dequantized layer's.
    @Test func dynamicKernelIsWithinTheActivationRoundingBound() {
        manualSeed(26)
        let linear = Linear(64, 48)
        let quantized = QuantizedLinear(linear, kernel: .dynamic)
        let x = Tensor.randn([2, 5, 64])
        let dynamic = withNoGrad { quantized(x) }
        #expect(dynamic.shape == [2, 5, 48] && dynamic.dtype == .float32)
        quantized.kernel = .dequantized
        let dequantized = withNoGrad { quantized(x) }
        let s = (max(x.max().item(), 0) - min(x.min().item(), 0)) / 127
        let bound = quantized.weight.dequantized().abs().sum(dim: 1).reshape(1, 1, 48) * s   // (1, 1, 48)
        let excess = ((dynamic - dequantized).abs() - bound).max().item()
        #expect(excess <= 1e-5, "exceeds the bound by \(excess)")
        let difference = (dynamic - dequantized).abs().max().item()
        #expect(difference > 0, "the int8 kernel ran (its activations are rounded)")
        #expect(((dynamic - dequantized).norm() / dequantized.norm()).item() < 0.02)
        // The packed weight is made once and reused: a second call gives the same bits.
        quantized.kernel = .dynamic
        expectIdentical(withNoGrad { quantized(x) }, dynamic, "second call")
    }

    /// Quantizing the library's own text encoder in place: every Linear (attention's output
    /// projections, the feed-forward layers, the projection) becomes int8; the float weights
    /// leave the state dict; the output stays close.
    @Test func quantizingInPlaceReachesTheLayersInsideAnEncoder() {
        manualSeed(27)
        let text = TextEncoder(vocabularySize: 20, maxLength: 5, width: 64, depth: 2, heads: 4, embeddingDim: 32)
        text.eval()
        let tokens = Tensor((0..<40).map { Int64($0 % 19 + 1) }, shape: [8, 5])
        let float = withNoGrad { text(tokens) }
        let floatBytes = Quantizer.sizeInBytes(text)
        let quantized = Quantizer.quantize(text, kernel: .dynamic)
        #expect(quantized.count == 2 * 3 + 1, "\(quantized.map(\.key))")
        let keys = text.stateDictKeys()
        #expect(keys.contains("layers.0.linear1.weight_int8") && !keys.contains("layers.0.linear1.weight"), "\(keys)")
        let int8 = withNoGrad { text(tokens) }
        #expect(((int8 - float).norm() / float.norm()).item() < 0.05, "relative error \(((int8 - float).norm() / float.norm()).item())")
        #expect(Quantizer.sizeInBytes(text) < floatBytes, "smaller: \(Quantizer.sizeInBytes(text)) vs \(floatBytes)")
    }

    @Test func calibrationFixesPerTensorInputScales() {
        manualSeed(26)
        let model = Sequential(Linear(16, 32), ReLU(), Linear(32, 4))
        let quantized = Quantizer.quantize(model)
        let batches = (0..<3).map { Tensor.randn([8, 16]) * Double($0 + 1) }
        Quantizer.calibrate(quantized, batches: batches) { _ = quantized($0) }
        let first = quantized.layers[0] as! QuantizedLinear, last = quantized.layers[2] as! QuantizedLinear
        let maxInput = batches.map { $0.abs().max().item() }.max()!
        #expect(abs(first.input.scale! - maxInput / 127) < 1e-12, "scale = max|x| / 127 over all batches")
        let hidden = batches.map { (model.layers[0] as! Linear)($0).relu().abs().max().item() }.max()!
        #expect(abs(last.input.scale! - hidden / 127) / hidden < 0.02, "second layer sees the (int8) first layer's outputs")
        // Inputs now pass through int8: the model still agrees with the float one to ~1%.
        let x = batches[1]
        let (y, yq) = withNoGrad { (model(x), quantized(x)) }
        #expect(((yq - y).norm() / y.norm()).item() < 0.02)
        let codes = first.input(x) / first.input.scale!
        #expect(maxAbsDifference(codes, codes.round()) < 1e-3, "fake-quantized inputs are multiples of the scale")
    }

    @Test func keyPathsSwapAnyLayerSlots() {
        final class Head: Module {
            var proj: any Layer = Linear(8, 4)
            var conv: any Layer = Conv2d(1, 2, kernelSize: 3)
            var norm = LayerNorm(4)
        }
        manualSeed(27)
        let head = Head()
        let replaced = Quantizer.quantize(head, at: [\.proj, \.conv])
        #expect(replaced.count == 2)
        #expect(head.proj is QuantizedLinear && head.conv is QuantizedConv2d)
        #expect(head.stateDictKeys().contains("proj.weight_int8"))
    }
}
