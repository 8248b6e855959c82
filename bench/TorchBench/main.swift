// Lab's side of `make bench`: the same workloads as bench/peer.py, on the same libtorch.
//
//   TorchBench --threads N --out FILE.json [--quick]
//
// train_b256, train_b16   training throughput of the reference CLIP-style model (AdamW), samples/s
// infer_b256, infer_b16   inference throughput of both towers (eval, no grad), samples/s
// ffn_dD_float32, ffn_dD_int8   rows/s through Linear(D, 4D) → GELU → Linear(4D, D) at 4,096 rows, float32 and
//                         dynamically quantized int8 (fbgemm), D = 64 (the CLIP text tower's width here), 256, 512
// clip_text_b256_float32, clip_text_b256_int8   samples/s through clip-fashion's text tower (2 pre-norm layers,
//                         width 64) on 256 padded captions, float32 and with every Linear dynamically quantized
// minilm_b64_l32          sentences/s through all-MiniLM-L6-v2 (SentenceEncoder: BERT, mean pooling, L2 norm) on 64
//                         rows of 8–32 tokens padded to 32, eval, no grad; skipped when the model is not installed
// efficientnet_lite0_b32  images/s through EfficientNet-Lite0 (ImageNet logits) on 32 images of 3×224×224, eval,
//                         no grad; skipped when the model is not installed
// loader_augment_inline, loader_augment_prefetch   a small CNN's training samples/s over DataLoader batches
//                         augmented by Augment.affine, made in line or on a background thread (Lab only)
// add_64x64               per-op cost of `a + b` on 64×64 float32 through the hand-written entry, µs/op
// add_64x64_boxed         the same op through the generic dispatcher call, µs/op (why hot ops are hand-written)
//
//   TorchBench --device cuda:N --out FILE.json [--quick]     (scripts/gpu-check; bench/peer.py --device likewise)
//
// train_bB_P, infer_bB_P  the reference model's training and inference samples/s on that GPU, B = 256 and 16,
//                         P = fp32 and bf16 (autocast), each step synchronized; gpu_peak_bytes_P the
//                         caching allocator's peak over those entries
import Foundation
import Multimodal
import Torch

// MARK: the reference model (bench/peer.py holds the same in PyTorch)

let vocabulary = 1000, sequenceLength = 16, width = 128, heads = 4, feedForward = 256, embedding = 128

final class ImageTower: Module {
    let conv1 = Conv2d(1, 32, kernelSize: 3, padding: 1)
    let conv2 = Conv2d(32, 64, kernelSize: 3, padding: 1)
    let proj = Linear(64 * 7 * 7, embedding)

    func callAsFunction(_ x: Tensor) -> Tensor {                          // (B, 1, 28, 28)
        var h = F.maxPool2d(conv1(x).relu(), kernel: (2, 2))              // (B, 32, 14, 14)
        h = F.maxPool2d(conv2(h).relu(), kernel: (2, 2))                  // (B, 64, 7, 7)
        return proj(h.flatten(start: 1))                                  // (B, 128)
    }
}

final class TextTower: Module {
    let tok = Embedding(vocabulary, width)
    let pos = Embedding(sequenceLength, width)
    let layers = (0..<2).map { _ in
        TransformerEncoderLayer(dModel: width, numHeads: heads, dimFeedforward: feedForward, dropout: 0.1, normFirst: true)
    }
    let proj = Linear(width, embedding)
    var positions = Tensor.arange(sequenceLength)

    func callAsFunction(_ tokens: Tensor) -> Tensor {                     // (B, 16) int64
        var x = tok(tokens) + pos(positions)                              // (B, 16, 128)
        for layer in layers { x = layer(x) }                              // (B, 16, 128)
        return proj(x.mean(dim: 1))                                       // (B, 128)
    }
}

final class CLIP: Module {
    let image = ImageTower()
    let text = TextTower()
    /// log(1/0.07): CLIP's initial temperature (Radford et al. 2021).
    let logitScale = Tensor(Float(Foundation.log(1 / 0.07))).requiringGrad()

    func embed(_ images: Tensor, _ tokens: Tensor) -> (Tensor, Tensor) {
        (F.normalize(image(images), dim: -1), F.normalize(text(tokens), dim: -1))   // (B, 128) each
    }

    /// Symmetric InfoNCE: cross-entropy over images→texts and texts→images.
    func loss(_ images: Tensor, _ tokens: Tensor) -> Tensor {
        let (img, txt) = embed(images, tokens)
        let logits = logitScale.exp() * img.matmul(txt.T)                 // (B, B)
        let labels = Tensor.arange(logits.size(0), device: logits.device)
        return (F.crossEntropy(logits, labels) + F.crossEntropy(logits.T, labels)) / 2.0
    }
}

// MARK: timing (the same scheme as bench/peer.py)

let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
let quick = arguments.contains("--quick")
let minSeconds = quick ? 0.5 : 3.0
let addIterations = quick ? 20_000 : 200_000
if let threads = option("--threads").flatMap(Int.init) { Runtime.setThreads(threads) }
manualSeed(0)

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// The device of the GPU mode (`--device cuda:N`); the CPU otherwise.
let benchDevice = option("--device").flatMap(Device.init(parsing:)) ?? .cpu

func bestRate(batch: Int, _ step: () -> Void) -> Double {
    // On a GPU each step ends with a synchronize (as bench/peer.py's), so the time is the kernels', not their launches'.
    func body() {
        step()
        if benchDevice != .cpu { try! Runtime.synchronize(benchDevice) }
    }
    for _ in 0..<5 { body() }
    var best = 0.0
    for _ in 0..<3 {
        var steps = 0
        let start = now()
        var elapsed = 0.0
        repeat { body(); steps += 1; elapsed = now() - start } while elapsed < minSeconds
        best = max(best, Double(steps * batch) / elapsed)
    }
    return best
}

func inputs(_ batch: Int) -> (Tensor, Tensor) {
    (Tensor.randn([batch, 1, 28, 28]), Tensor.randint(0, vocabulary, [batch, sequenceLength]))
}

func benchTrain(_ batch: Int) -> Double {
    let model = CLIP()
    let optimizer = AdamW(model.parameters(), learningRate: 1e-3)
    let (images, tokens) = inputs(batch)
    return bestRate(batch: batch) {
        optimizer.zeroGrad()
        let loss = model.loss(images, tokens)
        loss.backward()
        optimizer.step()
    }
}

func benchInfer(_ batch: Int) -> Double {
    let model = CLIP()
    model.eval()
    let (images, tokens) = inputs(batch)
    return bestRate(batch: batch) { withNoGrad { _ = model.embed(images, tokens) } }
}

/// The reference model on `device` (its position ids too, which are not a parameter).
func clip(on device: Device) -> CLIP {
    let model = CLIP()
    model.to(device)
    model.text.positions = model.text.positions.to(device)
    return model
}

func benchTrain(_ batch: Int, on device: Device, precision: Precision) -> Double {
    let model = clip(on: device)
    let optimizer = AdamW(model.parameters(), learningRate: 1e-3)
    let (images, tokens) = inputs(batch)
    let x = images.to(device), t = tokens.to(device)
    return bestRate(batch: batch) {
        optimizer.zeroGrad()
        let loss = try! withAutocast(precision, on: device) { model.loss(x, t) }
        loss.backward()
        optimizer.step()
    }
}

func benchInfer(_ batch: Int, on device: Device, precision: Precision) -> Double {
    let model = clip(on: device)
    model.eval()
    let (images, tokens) = inputs(batch)
    let x = images.to(device), t = tokens.to(device)
    return bestRate(batch: batch) { withNoGrad { _ = try! withAutocast(precision, on: device) { model.embed(x, t) } } }
}

func benchAdd(boxed: Bool) -> Double {
    let a = Tensor.randn([64, 64]), b = Tensor.randn([64, 64])
    let add: () -> Tensor = boxed ? { Ops.call("aten::add", overload: "Tensor", [.tensor(a), .tensor(b)]).tensor(0) } : { a + b }
    for _ in 0..<1000 { _ = add() }
    var best = Double.infinity
    for _ in 0..<3 {
        let start = now()
        for _ in 0..<addIterations { _ = add() }
        best = min(best, now() - start)
    }
    return best / Double(addIterations) * 1e6
}

/// Rows per second through a Transformer feed-forward block, Linear(d, 4d) → GELU → Linear(4d, d),
/// at 4,096 rows (batch 256 × 16 tokens), in float32 or with both Linears dynamically
/// quantized to int8 (fbgemm's kernels, as PyTorch's `quantize_dynamic`).
func benchFeedForward(width: Int, int8: Bool) -> Double {
    manualSeed(0)
    let up = Linear(width, 4 * width), down = Linear(4 * width, width)
    let block = int8 ? Sequential(QuantizedLinear(up, kernel: .dynamic), GELU(), QuantizedLinear(down, kernel: .dynamic))
        : Sequential(up, GELU(), down)
    block.eval()
    let x = Tensor.randn([4096, width])
    return bestRate(batch: 4096) { withNoGrad { _ = block(x) } }
}

/// 256 captions of 5–12 tokens padded to 12 (ids 1…47, 0 is padding), the same in bench/peer.py.
func captionTokens() -> Tensor {
    var ids: [Int64] = []
    for i in 0..<256 {
        for t in 0..<12 {
            let length = 5 + i % 8
            ids.append(t < length ? Int64(1 + (i * 7 + t * 3) % 47) : 0)
        }
    }
    return Tensor(ids, shape: [256, 12])
}

/// Samples per second through the CLIP text tower of `clip-fashion` (a 2-layer pre-norm
/// Transformer, width 64, 4 heads, masked-mean pooling, projection to 128) on 256 captions,
/// in float32 or with every `Linear` dynamically quantized (`Quantizer.quantize(_:kernel: .dynamic)`).
func benchTextTower(int8: Bool) -> Double {
    manualSeed(0)
    let tower = TextEncoder(vocabularySize: 48, maxLength: 12, width: 64, depth: 2, heads: 4, dropout: 0.1, embeddingDim: 128)
    if int8 { Quantizer.quantize(tower, kernel: .dynamic) }
    tower.eval()
    let tokens = captionTokens()
    return bestRate(batch: 256) { withNoGrad { _ = tower(tokens) } }
}

/// Samples per second of a training loop over 28×28 images whose batches are augmented
/// (`Augment.affine`) by a `DataLoader`, with the next batch made on a background thread
/// (`prefetch`) or in line: how much of the augmentation the training step hides.
func benchLoader(prefetch: Bool) -> Double {
    manualSeed(0)
    let images = Tensor.randn([4096, 1, 28, 28]), labels = Tensor.randint(0, 10, [4096])
    let model = Sequential(Conv2d(1, 16, kernelSize: 3, padding: 1), ReLU(), MaxPool2d(2), Flatten(), Linear(16 * 14 * 14, 10))
    let optimizer = AdamW(model.parameters(), learningRate: 1e-3)
    let loader = DataLoader(count: 4096, batchSize: 128, seed: 0, dropLast: true, prefetch: prefetch) { [images, labels] indices in
        let index = Tensor(indices.map(Int64.init), shape: [indices.count])
        return [Augment.affine(images.indexSelect(dim: 0, index: index), degrees: 10, shift: 2, scale: 0.1),
                labels.indexSelect(dim: 0, index: index)]
    }
    var epoch = 0
    var batches = loader.epoch(0).makeIterator()
    return bestRate(batch: 128) {
        guard let batch = batches.next() else { epoch += 1; batches = loader.epoch(epoch).makeIterator(); return }
        let loss = F.crossEntropy(model(batch[0]), batch[1])
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
    }
}

/// 64 rows of token ids, `[CLS]` … `[SEP]`, 8 to 32 tokens long and padded to 32, with their
/// mask: the same rows as `minilm_inputs()` in bench/peer.py.
func miniLMInputs() -> (ids: Tensor, mask: Tensor) {
    var ids: [Int64] = [], mask: [Int64] = []
    for i in 0..<64 {
        let length = 8 + (i * 5) % 25
        for t in 0..<32 {
            let id: Int64 = t == 0 ? 101 : t == length - 1 ? 102 : t < length ? Int64(1996 + (i * 131 + t * 17) % 20_000) : 0
            ids.append(id)
            mask.append(t < length ? 1 : 0)
        }
    }
    return (Tensor(ids, shape: [64, 32]), Tensor(mask, shape: [64, 32]))
}

/// Sentences per second through all-MiniLM-L6-v2 at batch 64 × 32 tokens.
/// - Throws: when the model is not installed.
func benchMiniLM() throws -> Double {
    let encoder = try SentenceEncoder.pretrained("all-MiniLM-L6-v2")
    encoder.eval()
    let (ids, mask) = miniLMInputs()
    return bestRate(batch: 64) { withNoGrad { _ = encoder(ids: ids, mask: mask) } }
}

/// Images per second through EfficientNet-Lite0's logits at batch 32.
/// - Throws: when the model is not installed.
func benchEfficientNet() throws -> Double {
    let model = try EfficientNetLite.pretrained()
    model.eval()
    manualSeed(0)
    let images = Tensor.randn([32, 3, EfficientNetLite.imageSize, EfficientNetLite.imageSize])
    return bestRate(batch: 32) { withNoGrad { _ = model(images) } }
}

if benchDevice != .cpu {
    guard Runtime.isCUDAAvailable else {
        FileHandle.standardError.write("TorchBench: --device \(benchDevice): no CUDA device here (libtorch \(Runtime.libtorchVersion), CUDA build: \(Runtime.isCUDABuild))\n".data(using: .utf8)!)
        exit(2)
    }
    var gpu: [String: Any] = ["device": benchDevice.description, "libtorch": Runtime.libtorchVersion,
                              "cuda_runtime": Runtime.cudaRuntimeVersion ?? "none"]
    for precision in [Precision.float32, .bfloat16] {
        try Runtime.resetPeakMemory(on: benchDevice)
        for batch in [256, 16] {
            gpu["train_b\(batch)_\(precision.rawValue)"] = ["value": benchTrain(batch, on: benchDevice, precision: precision), "unit": "samples/s"]
            gpu["infer_b\(batch)_\(precision.rawValue)"] = ["value": benchInfer(batch, on: benchDevice, precision: precision), "unit": "samples/s"]
        }
        gpu["gpu_peak_bytes_\(precision.rawValue)"] = ["value": try Runtime.memory(on: benchDevice).peakAllocated, "unit": "bytes"]
    }
    let data = try JSONSerialization.data(withJSONObject: gpu, options: [.prettyPrinted, .sortedKeys])
    if let out = option("--out") { try data.write(to: URL(fileURLWithPath: out)) } else { print(String(decoding: data, as: UTF8.self)) }
    exit(0)
}

if arguments.contains("--pretrained") {
    // Diagnostic: the two pretrained entries alone (bench/peer.py --pretrained has the same).
    print(String(format: "minilm_b64_l32 %.1f sentences/s  efficientnet_lite0_b32 %.2f images/s", try benchMiniLM(), try benchEfficientNet()))
    exit(0)
}

if let folder = option("--export-pretrained") {
    // Diagnostic: MiniLM and EfficientNet-Lite0 as TorchScript (minilm.pt, efficientnet.pt) for
    // bench/torchscript.py, which times them in libtorch's JIT against Lab's eager numbers.
    let minilm = try SentenceEncoder.pretrained("all-MiniLM-L6-v2"), efficientnet = try EfficientNetLite.pretrained()
    try ONNXExport.graph(minilm, inputs: minilm.onnxInputs, outputs: minilm.onnxOutputs).writeTorchScript(to: folder + "/minilm.pt")
    try ONNXExport.graph(efficientnet, inputs: efficientnet.onnxInputs, outputs: efficientnet.onnxOutputs)
        .writeTorchScript(to: folder + "/efficientnet.pt")
    exit(0)
}

if let rankText = option("--dist-rank"), let rank = Int(rankText), let port = option("--dist-port").flatMap(Int.init) {
    // `make bench`'s distributed figures, Lab's side (bench/dist_bench.py starts two of these,
    // and bench/dist_peer.py under torchrun for PyTorch's): allreduce of 1, 10 and 100 MB of
    // float32, and data-parallel training of the reference model at 128 samples per rank
    // with Lab's mechanism: rank 0's weights broadcast, gradients averaged in 25 MiB buckets
    // after every backward() (the hook `lab run --nproc` installs). Fixed step counts: every
    // rank must make the same collectives.
    let world = option("--dist-world").flatMap(Int.init) ?? 2
    let group = try ProcessGroup(port: port, rank: rank, worldSize: world, timeout: .seconds(300))
    var out: [String: Double] = [:]
    for (megabytes, reps) in [(1, 40), (10, 12), (100, 4)] {
        let t = Tensor.ones([megabytes * (1 << 20) / 4])
        for _ in 0..<2 { try group.allReduce([t]) }
        var times: [Double] = []
        for _ in 0..<reps {
            try group.barrier()
            let start = now()
            try group.allReduce([t])
            times.append(now() - start)
        }
        out["allreduce_\(megabytes)mb_ms"] = times.sorted()[times.count / 2] * 1e3
    }
    manualSeed(0)
    let model = CLIP()
    try group.broadcastState(of: model)
    let parameters = model.parameters()
    AutogradHooks.afterBackward = { try! group.averageGradients(parameters) }
    let optimizer = AdamW(parameters, learningRate: 1e-3)
    manualSeed(UInt64(1 + rank))
    let (images, tokens) = inputs(128)
    func step() { optimizer.zeroGrad(); model.loss(images, tokens).backward(); optimizer.step() }
    for _ in 0..<3 { step() }
    var best = 0.0
    for _ in 0..<3 {
        try group.barrier()
        let start = now()
        for _ in 0..<20 { step() }
        best = max(best, Double(20 * 128 * world) / (now() - start))
    }
    out["ddp_train_b256_2ranks"] = best
    // The same steps without the averaging: the compute part of a step, for the projection.
    AutogradHooks.afterBackward = nil
    var bestLocal = 0.0
    for _ in 0..<3 {
        let start = now()
        for _ in 0..<20 { step() }
        bestLocal = max(bestLocal, Double(20 * 128) / (now() - start))
    }
    out["ddp_compute_b128_per_rank"] = bestLocal
    out["gradient_mb"] = Double(parameters.map(\.count).reduce(0, +) * 4) / Double(1 << 20)
    try group.barrier()
    if rank == 0, let path = option("--out") {
        let data = try JSONSerialization.data(withJSONObject: ["lab": out], options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }
    exit(0)
}

if let folder = option("--export-serve") {
    // `make bench`'s serving model: clip-fashion's CLIP (same towers and sizes, seeded
    // weights: throughput does not depend on training) as a TorchScript export that both
    // `lab serve` and bench/serve_peer.py load.
    manualSeed(0)
    let names = FashionMNIST.classNames
    let tokenizer = Tokenizer(training: names.flatMap { ["a photo of a \($0)", "a black and white photo of a \($0)"] })
    let clip = Multimodal.CLIP(image: ImageEncoder(imageSize: 28, channels: [32, 64], embeddingDim: 128),
                    text: TextEncoder(vocabularySize: tokenizer.count, maxLength: 12, width: 64, depth: 2, heads: 4, dropout: 0.1, embeddingDim: 128))
    try ModelExport.write(clip, format: .torchscript, to: URL(fileURLWithPath: folder), metadata: ["lab.bench": "serve"],
                          tokenizer: tokenizer.exportDescription, images: .unitInterval)
    exit(0)
}

if arguments.contains("--efficientnet-parts") {
    // Diagnostic: milliseconds per part of EfficientNet-Lite0 at batch 32 (bench/efficientnet_parts.py is PyTorch's).
    let model = try EfficientNetLite.pretrained()
    model.eval()
    manualSeed(0)
    let x = Tensor.randn([32, 3, EfficientNetLite.imageSize, EfficientNetLite.imageSize])
    func best(_ f: () -> Tensor) -> (Double, Tensor) {
        var out = f(), fastest = 1e9
        for _ in 0..<3 { let s = now(); out = f(); fastest = min(fastest, now() - s) }
        return (fastest * 1e3, out)
    }
    withNoGrad {
        var (ms, h) = best { F.relu6(model.stemNorm(model.stem(MBConvBlock.samePadded(x, kernelSize: 3, stride: 2)))) }
        var line = String(format: "stem %.0f", ms)
        for (i, block) in model.blocks.enumerated() {
            let input = h
            (ms, h) = best { block(input) }
            line += String(format: " b%d %.0f", i, ms)
        }
        let last = h
        (ms, h) = best { F.relu6(model.headNorm(model.head(last))) }
        print(line + String(format: " head %.0f (ms)", ms))
    }
    exit(0)
}

if arguments.contains("--loader") {
    let eager = benchLoader(prefetch: false), ahead = benchLoader(prefetch: true)
    print(String(format: "in line %.0f samples/s  prefetching %.0f samples/s  %.2f×", eager, ahead, ahead / eager))
    exit(0)
}

if arguments.contains("--ffn") {
    // Diagnostic: the feed-forward and text-tower entries alone (bench/peer.py has the same).
    let float = benchTextTower(int8: false), int8 = benchTextTower(int8: true)
    print(String(format: "text tower, batch 256  float32 %.0f samples/s  int8 %.0f samples/s  int8/float32 %.2f×", float, int8, int8 / float))
    for width in [64, 256, 512] {
        let float = benchFeedForward(width: width, int8: false), int8 = benchFeedForward(width: width, int8: true)
        print(String(format: "d=%d  float32 %.0f rows/s  int8 %.0f rows/s  int8/float32 %.2f×", width, float, int8, int8 / float))
    }
    exit(0)
}

if arguments.contains("--parts") {
    // Diagnostic: milliseconds per part of one training step at batch 256 (bench/parts.py is PyTorch's).
    let model = CLIP()
    let optimizer = AdamW(model.parameters(), learningRate: 1e-3)
    let (images, tokens) = inputs(256)
    func t(_ f: () -> Void) -> Double {
        for _ in 0..<2 { f() }
        var best = 1e9
        for _ in 0..<5 { let s = now(); for _ in 0..<10 { f() }; best = min(best, (now() - s) / 10) }
        return best * 1e3
    }
    let parts = [
        t { _ = model.image(images) }, t { model.image(images).sum().backward() },
        t { _ = model.text(tokens) }, t { model.text(tokens).sum().backward() },
        t { optimizer.zeroGrad(); model.loss(images, tokens).backward(); optimizer.step() }, t { optimizer.step() },
    ]
    print(String(format: "img fwd %.1f fwd+bwd %.1f | txt fwd %.1f fwd+bwd %.1f | full %.1f | opt %.1f",
                 parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]))
    exit(0)
}
var results: [String: Any] = [:]
@MainActor func record(_ key: String, _ value: Double, _ unit: String) {
    results[key] = ["value": value, "unit": unit]
    FileHandle.standardError.write("\(key): \(String(format: "%.3f", value)) \(unit)\n".data(using: .utf8)!)
}
for batch in [256, 16] { record("train_b\(batch)", benchTrain(batch), "samples/s") }
for batch in [256, 16] { record("infer_b\(batch)", benchInfer(batch), "samples/s") }
for width in [64, 256, 512] {
    record("ffn_d\(width)_float32", benchFeedForward(width: width, int8: false), "samples/s")
    record("ffn_d\(width)_int8", benchFeedForward(width: width, int8: true), "samples/s")
}
record("clip_text_b256_float32", benchTextTower(int8: false), "samples/s")
record("clip_text_b256_int8", benchTextTower(int8: true), "samples/s")
for (key, unit, bench) in [("minilm_b64_l32", "sentences/s", benchMiniLM), ("efficientnet_lite0_b32", "images/s", benchEfficientNet)] {
    do { record(key, try bench(), unit) } catch {
        FileHandle.standardError.write("\(key): skipped: \(error)\n".data(using: .utf8)!)
    }
}
record("loader_augment_inline", benchLoader(prefetch: false), "samples/s")
record("loader_augment_prefetch", benchLoader(prefetch: true), "samples/s")
record("add_64x64", benchAdd(boxed: false), "us/op")
record("add_64x64_boxed", benchAdd(boxed: true), "us/op")

var swiftVersion = "unknown"
#if swift(>=6.3)
swiftVersion = "6.3+"
#elseif swift(>=6.0)
swiftVersion = "6.x"
#endif
results["versions"] = ["libtorch": Runtime.libtorchVersion, "swift": swiftVersion]
results["threads"] = ["intra": Runtime.threads, "interop": Runtime.interopThreads]

let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
if let out = option("--out") {
    try data.write(to: URL(fileURLWithPath: out))
} else {
    print(String(decoding: data, as: UTF8.self))
}
