import Foundation
import Lab

//: # Dropout and augmentation against overfitting, measured
//: The guide's advice for a model that fits its training data much better than new data:
//: add dropout (Srivastava et al. 2014, [JMLR 15](https://jmlr.org/papers/v15/srivastava14a.html))
//: and augment the inputs. We measure what each does to the *train–test gap* (training
//: accuracy minus test accuracy) and to test accuracy, on a setting built to overfit: a
//: small CNN (207,000 parameters) trained on only 2,000 Fashion-MNIST images for 30 epochs.
//:
//: Six configurations: dropout p = 0, 0.1, 0.3 (on the flattened convolutional features and
//: on the hidden layer) × augmentation off or on (small random rotations up to ±10°,
//: shifts up to ±2 pixels, scaling by 1 ± 0.1, drawn anew for every batch). Everything else
//: is the same. One run gives one seed; `lab run experiments/regularization.swift --seeds 3`
//: runs three and writes their comparison, every metric as mean ± 95% interval over the
//: seeds, to `seeds.md` and `seeds.html` beside this report.

struct Config: ExperimentConfig {
    /// Training images: few enough that the network can memorize them.
    var trainImages = 2000
    var epochs = 30
    var batchSize = 64
    var learningRate = 1e-3
    /// Test images (from the 10,000 of the test split).
    var testImages = 10000
}

struct Splits: Codable {
    var train: LabeledImages
    var test: LabeledImages
}

/// What one configuration reached.
struct Outcome: Codable {
    var dropout: Double
    var augment: Bool
    var trainAccuracy: Double
    var testAccuracy: Double
    var gap: Double { trainAccuracy - testAccuracy }
    var label: String { "dropout \(dropout), augmentation \(augment ? "on" : "off")" }
    var slug: String { "dropout_\(Int(dropout * 100))_augment_\(augment ? "on" : "off")" }
}

/// Conv(16) → pool → Conv(32) → pool → dropout → Linear(1568, 128) → ReLU → dropout → Linear(128, 10):
/// 207,000 parameters for 2,000 images.
func classifier(dropout: Double) -> Sequential {
    Sequential(Conv2d(1, 16, kernelSize: 3, padding: 1), ReLU(), MaxPool2d(2),
               Conv2d(16, 32, kernelSize: 3, padding: 1), ReLU(), MaxPool2d(2),
               Flatten(), Dropout(dropout), Linear(32 * 7 * 7, 128), ReLU(), Dropout(dropout), Linear(128, 10))
}

/// Accuracy in evaluation mode (dropout off), 1,000 images at a time.
func accuracy(_ model: Sequential, _ images: Tensor, _ labels: Tensor) -> Double {
    model.eval()
    return accuracy(logits: withNoGrad { Tensor.cat(images.split(size: 1000).map { model($0) }) }, targets: labels)
}

let settings: [(dropout: Double, augment: Bool)] = [0.0, 0.1, 0.3].flatMap { p in [(p, false), (p, true)] }

let experiment = Experiment("regularization", config: Config()) { lab in
    let data = lab.data("fashion") { ctx in
        let train = try FashionMNIST.load(.train, limit: ctx.smoke ? 256 : ctx.config.trainImages)
        let test = try FashionMNIST.load(.test, limit: ctx.smoke ? 256 : ctx.config.testImages)
        return Splits(train: train, test: test)
    }

    //: ## Training
    //: Adam at a constant learning rate, cross-entropy, the same number of steps for every
    //: configuration. Accuracies are measured in evaluation mode (dropout off) on the
    //: un-augmented training images and on the test images.
    var runs: [Step<Trained<Sequential, Outcome>>] = []
    for setting in settings {
        let name = "dropout-\(Int(setting.dropout * 100))-augment-\(setting.augment ? "on" : "off")"
        runs.append(lab.train(name, data, model: { _ in classifier(dropout: setting.dropout) }) { ctx, model, data -> Outcome in
            // Batches are indexed ahead on a background thread; the augmentation draws from
            // libtorch's generator, so it runs here, in order, to keep the run reproducible.
            let loader = DataLoader(tensors: [data.train.images, data.train.labels], batchSize: min(ctx.config.batchSize, data.train.count),
                                    seed: ctx.seed, dropLast: true)
            let training = Training(model, optimizer: Adam(model.trainableParameters(), learningRate: ctx.config.learningRate))
            for epoch in try ctx.epochs(ctx.smoke ? 2 : ctx.config.epochs, training: training, state: .nothing) {
                model.train()
                for batch in loader.epoch(epoch) {
                    let x = setting.augment ? Augment.affine(batch[0], degrees: 10, shift: 2, scale: 0.1) : batch[0]
                    training.step(F.crossEntropy(model(x), batch[1]))
                }
                if epoch % 5 == 4 {  // the curves: on the first 2,000 test images, to keep the cost down
                    ctx.log("train accuracy", accuracy(model, data.train.images, data.train.labels), step: epoch + 1)
                    ctx.log("test accuracy (2,000 images)", accuracy(model, data.test.images[0..<min(2000, data.test.count)],
                                                                 data.test.labels[0..<min(2000, data.test.count)]), step: epoch + 1)
                }
                try ctx.finished(epoch: epoch)
            }
            ctx.figure("accuracy", .lines(series: ["train accuracy", "test accuracy (2,000 images)"], yLabel: "accuracy", logScale: false))
            return Outcome(dropout: setting.dropout, augment: setting.augment,
                           trainAccuracy: accuracy(model, data.train.images, data.train.labels),
                           testAccuracy: accuracy(model, data.test.images, data.test.labels))
        })
    }

    //: ## The gap, side by side
    //: Train–test gap in accuracy points (training accuracy minus test accuracy, ×100) and
    //: test accuracy for each configuration, this seed. The chart's x axis is the dropout
    //: probability in percent.
    lab.eval("compare", runs) { ctx, runs in
        var rows: [[String]] = []
        for o in runs.map(\.result) {
            ctx.metric("gap_points_" + o.slug, 100 * o.gap)
            ctx.metric("test_accuracy_" + o.slug, o.testAccuracy)
            ctx.log("gap, augmentation \(o.augment ? "on" : "off")", 100 * o.gap, step: Int(o.dropout * 100))
            ctx.log("test accuracy, augmentation \(o.augment ? "on" : "off")", o.testAccuracy, step: Int(o.dropout * 100))
            rows.append([String(o.dropout), o.augment ? "on" : "off", String(format: "%.4f", o.trainAccuracy),
                         String(format: "%.4f", o.testAccuracy), String(format: "%.2f", 100 * o.gap)])
        }
        ctx.table("train–test gap", Table(columns: ["dropout", "augmentation", "train accuracy", "test accuracy", "gap (points)"],
                                          rows: rows))
        ctx.figure("gap", .lines(series: ["gap, augmentation off", "gap, augmentation on"],
                                 yLabel: "train − test accuracy (points)", logScale: false))
        ctx.figure("test accuracy", .lines(series: ["test accuracy, augmentation off", "test accuracy, augmentation on"],
                                           yLabel: "test accuracy", logScale: false))
    }

    //: ## What three seeds show
    //: From `lab run experiments/regularization.swift --seeds 3` (seeds 0, 1, 2; `seeds.md`
    //: beside this report has every metric), mean ± 95% interval, in accuracy points:
    //:
    //: | dropout | augmentation | train–test gap | test accuracy |
    //: | --- | --- | --- | --- |
    //: | 0 | off | 11.4 ± 0.8 | 84.7 ± 1.0 |
    //: | 0.1 | off | 11.3 ± 2.0 | 84.4 ± 1.0 |
    //: | 0.3 | off | 9.0 ± 1.3 | 84.8 ± 0.6 |
    //: | 0 | on | 4.9 ± 1.9 | 81.4 ± 1.3 |
    //: | 0.1 | on | 5.4 ± 1.2 | 81.8 ± 2.6 |
    //: | 0.3 | on | 5.1 ± 0.8 | 80.6 ± 3.1 |
    //:
    //: Augmentation halves the gap, from 11.4 to about 5 points, at every dropout rate.
    //: Dropout narrows it less: 0.3 takes it from 11.4 to 9.0 points without augmentation,
    //: and with augmentation it changes nothing measurable. So the advice holds for what it
    //: promises, a smaller gap. But the gap is not the goal: test accuracy did not rise. With
    //: augmentation it fell by 2.6 to 4.2 points; the gap closed because training accuracy fell
    //: (seed 0, dropout 0: from 96.4% to 85.0%), not because test accuracy rose. Dropout left
    //: test accuracy within the noise of three seeds. Two explanations fit and neither is tested
    //: here: Fashion-MNIST items are centred and upright, so rotated and shifted training
    //: images differ from every test image; and 30 epochs may be too few to fit augmented data,
    //: which is harder to fit. What the measurement supports is narrower than the advice: on
    //: a small training set, check test accuracy, not the gap, when choosing a regularizer.
}

Lab.main(experiment)
