// A short training run of the engine: a two-layer network learns to separate two
// interleaved spirals. `make run` runs it until the experiment runner exists.
import Foundation
import Torch

if CommandLine.arguments.contains("--fail") {
    // Shows what an unhandled failing op does: the process stops with torch's message.
    _ = F.linear(Tensor.ones([2, 3]), weight: Tensor.ones([4, 5]))
}

manualSeed(0)
print("libtorch \(Runtime.libtorchVersion), \(Runtime.threads) intra-op threads")

// Two spirals of 500 points each: class k is r·(cos θ, sin θ) with θ = r·3π + kπ, plus noise.
let n = 500
let r = Tensor.linspace(0.05, 1, steps: n)                               // (n)
let spirals = (0..<2).map { k -> Tensor in
    let theta = r * (3 * Double.pi) + Double(k) * Double.pi
    return Tensor.stack([r * theta.cos(), r * theta.sin()], dim: 1)      // (n, 2)
}
let x = Tensor.cat(spirals) + Tensor.randn([2 * n, 2]) * 0.02            // (2n, 2)
let y = Tensor.cat([Tensor.zeros([n], dtype: .int64), Tensor.ones([n], dtype: .int64)])

let model = Sequential(Linear(2, 64), ReLU(), Linear(64, 64), ReLU(), Linear(64, 2))
let optimizer = AdamW(model.trainableParameters(), learningRate: 1e-2)
let scheduler = LRScheduler(optimizer, schedule: CosineWithWarmup(warmupSteps: 20, totalSteps: 300))

let start = Date()
for step in 0..<300 {
    let loss = F.crossEntropy(model(x), y)
    optimizer.zeroGrad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    if step % 50 == 0 || step == 299 {
        print(String(format: "step %3d  loss %.4f  lr %.5f", step, loss.item(), optimizer.learningRate))
    }
}
model.eval()
let accuracy = withNoGrad { (model(x).argmax(dim: 1) .== y).to(.float32).mean().item() }
print(String(format: "accuracy on the training points %.1f%%, %.2f s", accuracy * 100, Date().timeIntervalSince(start)))
