import Foundation
import Testing
import Torch
@testable import Multimodal

/// Recall@k and zero-shot classification on cases whose answers are known by construction.
@Suite(.serialized) struct RetrievalTests {
    /// Unit vectors in the plane at the given angles (degrees): (N, 2).
    func circle(_ degrees: [Double]) -> Tensor {
        Tensor(degrees.flatMap { [cos($0 * .pi / 180), sin($0 * .pi / 180)] }, shape: [degrees.count, 2])
    }

    @Test func identityRetrievesEverythingFirst() {
        manualSeed(1)
        let x = Tensor.randn([50, 16])
        let recall = bidirectionalRecall(x, x, ks: [1, 5])
        #expect(recall.aToB == [1: 1.0, 5: 1.0])
        #expect(recall.bToA == [1: 1.0, 5: 1.0])
    }

    /// Queries at 0°, 10°, 30°, 60°; keys the same vectors reversed, so query i's match is the
    /// query at position 3−i. Counting the keys closer in angle than the match, by hand:
    /// query 0° (match 60°): 0°, 10°, 30° closer → rank 3; 10° (match 30°, 20° away): 10°, 0°
    /// → rank 2; 30° (match 10°, 20° away): 30° → rank 1; 60° (match 0°): 60°, 30°, 10° → rank 3.
    /// Ranks {3, 2, 1, 3}: recall@1 = 0, @2 = 1/4, @3 = 2/4, @4 = 1. The reverse direction has
    /// the same ranks by symmetry (keys 60°, 30°, 10°, 0° → ranks 3, 1, 2, 3).
    @Test func reversedKeysGiveTheHandComputedRecall() {
        let queries = circle([0, 10, 30, 60])
        let keys = circle([60, 30, 10, 0])
        #expect(retrievalRanks(queries, keys).asArray(Int.self) == [3, 2, 1, 3])
        #expect(retrievalRanks(keys, queries).asArray(Int.self) == [3, 1, 2, 3])
        let expected: [Int: Double] = [1: 0, 2: 0.25, 3: 0.5, 4: 1]
        for (k, value) in expected {
            #expect(recallAtK(queries, keys, k: k) == value, "queries → keys, recall@\(k)")
            #expect(recallAtK(keys, queries, k: k) == value, "keys → queries, recall@\(k)")
        }
        let both = bidirectionalRecall(queries, keys, ks: [1, 2, 3, 4])
        #expect(both.aToB == expected && both.bToA == expected)
    }

    @Test func chunkedEqualsUnchunked() {
        manualSeed(2)
        let a = Tensor.randn([300, 24])
        let b = a + Tensor.randn([300, 24]) * 2.0  // noisy pairs: recall well between 0 and 1
        let whole = retrievalRanks(a, b, chunkSize: 10_000)
        for chunk in [1, 7, 128] {
            #expect(retrievalRanks(a, b, chunkSize: chunk).asArray(Int.self) == whole.asArray(Int.self), "chunk \(chunk)")
        }
        let r1 = recallAtK(a, b, k: 1, chunkSize: 7)
        #expect(r1 > 0.05 && r1 < 0.95, "recall@1 \(r1) should be informative")
        for k in [1, 5, 10] {
            #expect(recallAtK(a, b, k: k, chunkSize: 7) == recallAtK(a, b, k: k, chunkSize: 10_000))
            #expect(recallAtK(b, a, k: k, chunkSize: 13) == recallAtK(b, a, k: k, chunkSize: 10_000))
        }
    }

    /// Three classes along the axes of 3-D space; each "image" is its class axis, scaled and
    /// nudged towards another class, so cosine similarity picks its class.
    @Test func zeroShotClassifiesAToySet() {
        let classes = Tensor([1, 0, 0, 0, 1, 0, 0, 0, 1] as [Float], shape: [3, 3])
        let labels = [2, 0, 1, 1, 0, 2, 2]
        let nudges = [1, 2, 0, 2, 1, 0, 1]
        var rows: [Float] = []
        for (label, nudge) in zip(labels, nudges) {
            var v: [Float] = [0, 0, 0]
            v[label] = 5
            v[nudge] = 2  // smaller than the class component, after normalization too
            rows += v
        }
        let images = Tensor(rows, shape: [labels.count, 3])
        let predictions = zeroShotClassify(images, classes * 3.0, chunkSize: 2)
        #expect(predictions.dtype == .int64)
        #expect(predictions.asArray(Int.self) == labels)
    }
}

@Suite struct ClassRecallTests {
    @Test func classRecallCountsAnyKeyOfTheQuerysClass() {
        // Queries along x and y; keys: two along x (class 0), one along y (class 1), one in between (class 1).
        let queries = Tensor([1, 0, 0, 1] as [Float], shape: [2, 2])
        let keys = Tensor([1, 0, 0.9, 0.1, 0, 1, 0.7, 0.7] as [Float], shape: [4, 2])
        let r = classRecall(queries, keys, queryLabels: Tensor([Int64(0), 1]), keyLabels: Tensor([Int64(0), 0, 1, 1]), ks: [1, 2])
        #expect(r[1] == 1.0 && r[2] == 1.0)
        // Swap the query labels: query 0 (along x) now wants class 1, found only at rank 3.
        let swapped = classRecall(queries, keys, queryLabels: Tensor([Int64(1), 0]), keyLabels: Tensor([Int64(0), 0, 1, 1]), ks: [1, 2, 3])
        #expect(swapped[1] == 0.0)
        #expect(swapped[3] == 1.0, "query 0 reaches class 1 at rank 3; query 1 (along y) reaches class 0 at rank 3")
    }
}
