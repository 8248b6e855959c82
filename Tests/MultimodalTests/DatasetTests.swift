import Foundation
import Testing
@testable import Multimodal
import Torch

@Suite(.serialized) struct DatasetTests {
    @Test func fashionMNISTLoadsBothSplits() throws {
        let test = try FashionMNIST.load(.test)
        #expect(test.images.shape == [10_000, 1, 28, 28] && test.labels.shape == [10_000])
        #expect(test.images.dtype == .float32 && test.labels.dtype == .int64)
        #expect(test.images.min().item() >= 0 && test.images.max().item() <= 1)
        // Ten classes of 1,000 test images each.
        let counts = (0..<10).map { (test.labels .== $0).to(.int64).sum().item() }
        #expect(counts == [Double](repeating: 1000, count: 10))
        #expect(test.labels[0].item(Int.self) == 9, "the first test image is an ankle boot")
        let small = try FashionMNIST.load(.train, limit: 512)
        #expect(small.count == 512 && small.classNames[7] == "Sneaker")
    }

    @Test func aMissingDataSetNamesThePackage() {
        #expect(throws: MultimodalError.missingFile(
            path: "/nonexistent/train-images-idx3-ubyte.gz",
            hint: "Fashion-MNIST is not installed; run `sudo apt-get install dataset-fashion-mnist` (scripts/install-deps does), or set LAB_FASHION_MNIST to a folder with its four .gz files")) {
            try FashionMNIST.load(.train, directory: "/nonexistent")
        }
    }

    @Test func anEnvironmentVariableNamesAnotherFolder() throws {
        let folder = NSTemporaryDirectory() + "fashion-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder); unsetenv("LAB_FASHION_MNIST") }
        for name in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
            try FileManager.default.createSymbolicLink(atPath: "\(folder)/\(name)", withDestinationPath: "/usr/share/datasets/fashion-mnist/\(name)")
        }
        setenv("LAB_FASHION_MNIST", folder, 1)
        #expect(FashionMNIST.defaultDirectory == folder)
        #expect(try FashionMNIST.load(.test, limit: 3).labels.asArray(Int.self) == [9, 2, 1])
        #expect(throws: MultimodalError.self) { try FashionMNIST.load(.train, limit: 3) }   // not linked there
        unsetenv("LAB_FASHION_MNIST")
        #expect(FashionMNIST.defaultDirectory == "/usr/share/datasets/fashion-mnist")
    }

    @Test func aDamagedIDXFileIsAClearError() throws {
        let path = NSTemporaryDirectory() + "bad-\(getpid()).idx"
        try Data([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]).write(to: URL(fileURLWithPath: path))
        #expect(throws: MultimodalError.corruptFile(path: path, reason: "2 value bytes, the header says 5")) { try IDX.read(path) }
    }
}

@Suite struct DigitsTests {
    @Test func digitsLoadFromTheShippedFile() throws {
        let digits = try Digits.load()
        #expect(digits.images.shape == [1797, 1, 8, 8] && digits.labels.shape == [1797])
        #expect(digits.images.max().item() == 1 && digits.images.min().item() == 0)
        #expect(digits.labels[0].item(Int.self) == 0 && digits.labels[1].item(Int.self) == 1)
        // The first image, the digit 0: pixel (0, 2) of its first row is 5/16.
        #expect(digits.images[0, 0, 0, 2].item(Float.self) == 5.0 / 16)
        #expect(try Digits.load(limit: 10).count == 10)
    }
}
