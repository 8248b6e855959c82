import Torch

// Evaluation in a joint embedding space: zero-shot classification from class prompts and
// cross-modal retrieval recall@k, as CLIP reports them (Radford et al. 2021,
// https://arxiv.org/abs/2103.00020, sections 3.1 and 3.2).
//
// Similarities are cosine similarities (both sides are L2-normalized here, so callers may
// pass raw tower outputs). Queries are processed `chunkSize` rows at a time: a chunk's
// similarities to every key, (chunk, N), is the largest matrix ever held, so 10k × 10k
// retrieval needs 1024 × 10k floats (40 MB) instead of 10k × 10k (400 MB).

/// The default number of query rows scored at once.
public let retrievalChunkSize = 1024

/// Zero-shot classification: each embedding's class is the class embedding it is most
/// similar to (CLIP embeds one prompt per class, "a photo of a {label}", or the mean of
/// several prompts' embeddings).
/// - Parameters:
///   - imageEmbeddings: (N, D) floating point.
///   - classTextEmbeddings: (C, D), row c the embedding of class c.
///   - chunkSize: rows scored at once.
/// - Returns: (N) int64 class indices in 0..<C.
public func zeroShotClassify(_ imageEmbeddings: Tensor, _ classTextEmbeddings: Tensor,
                             chunkSize: Int = retrievalChunkSize) -> Tensor {
    withNoGrad {
        let classes = classTextEmbeddings.normalized(dim: -1)  // (C, D)
        let predictions = imageEmbeddings.split(size: chunkSize, dim: 0).map { chunk in
            chunk.normalized(dim: -1).matmul(classes.T).argmax(dim: 1)  // (c, C) → (c)
        }
        return Tensor.cat(predictions, dim: 0)  // (N)
    }
}

/// The rank of each query's match among all keys: the number of keys strictly more similar
/// to query i than key i. Rank 0 means the match is retrieved first; ties count in the
/// query's favour.
/// - Parameters:
///   - queries: (N, D); query i's match is key i.
///   - keys: (N, D).
///   - chunkSize: query rows scored at once.
/// - Returns: (N) int64 ranks in 0..<N.
public func retrievalRanks(_ queries: Tensor, _ keys: Tensor, chunkSize: Int = retrievalChunkSize) -> Tensor {
    precondition(queries.size(0) == keys.size(0),
                 "retrievalRanks: \(queries.size(0)) queries but \(keys.size(0)) keys; query i's match is key i, so the counts must agree")
    precondition(chunkSize > 0, "retrievalRanks: chunkSize must be positive, got \(chunkSize)")
    return withNoGrad {
        let k = keys.normalized(dim: -1).T  // (D, N)
        var ranks: [Tensor] = []
        var start = 0
        for chunk in queries.split(size: chunkSize, dim: 0) {
            let rows = chunk.size(0)
            let similarities = chunk.normalized(dim: -1).matmul(k)  // (c, N)
            let matchIndex = Tensor.arange(Double(start), Double(start + rows), dtype: .int64).reshape(rows, 1)  // (c, 1)
            let matchScore = similarities.gather(dim: 1, index: matchIndex)  // (c, 1)
            ranks.append((similarities .> matchScore).sum(dim: 1))  // (c) int64
            start += rows
        }
        return Tensor.cat(ranks, dim: 0)  // (N)
    }
}

/// Recall@k: the fraction of queries whose match (query i ↔ key i) is among the k keys
/// most similar to it.
/// - Parameters:
///   - queries: (N, D).
///   - keys: (N, D).
///   - k: how many retrieved keys count, k ≥ 1.
///   - chunkSize: query rows scored at once; the result does not depend on it.
public func recallAtK(_ queries: Tensor, _ keys: Tensor, k: Int, chunkSize: Int = retrievalChunkSize) -> Double {
    recallAtK(ranks: retrievalRanks(queries, keys, chunkSize: chunkSize), k: k)
}

/// Recall@k from ranks computed once by ``retrievalRanks(_:_:chunkSize:)``.
public func recallAtK(ranks: Tensor, k: Int) -> Double {
    precondition(k >= 1, "recallAtK: k must be at least 1, got \(k)")
    return (ranks .< Double(k)).to(.float64).mean().item()
}

/// Recall@k in both directions between two paired sets of embeddings (a→b: each a
/// retrieves among the b; b→a the reverse), for several k from one ranking each way.
/// - Parameters:
///   - a, b: (N, D), row i of `a` paired with row i of `b`.
///   - ks: the k to report, e.g. [1, 5, 10].
/// - Returns: recall@k by k for each direction.
public func bidirectionalRecall(_ a: Tensor, _ b: Tensor, ks: [Int], chunkSize: Int = retrievalChunkSize)
    -> (aToB: [Int: Double], bToA: [Int: Double]) {
    let forward = retrievalRanks(a, b, chunkSize: chunkSize)
    let backward = retrievalRanks(b, a, chunkSize: chunkSize)
    var aToB: [Int: Double] = [:], bToA: [Int: Double] = [:]
    for k in ks {
        aToB[k] = recallAtK(ranks: forward, k: k)
        bToA[k] = recallAtK(ranks: backward, k: k)
    }
    return (aToB, bToA)
}

/// Class-level recall@k: the share of queries whose k nearest keys include at least one key
/// of the query's class. When captions describe a class rather than one image (templated
/// captions, say), exact-pair recall is dominated by ties and near-duplicates; this asks the
/// question a reader means: "does retrieval find the right kind of thing?"
/// - Parameters:
///   - queries: (N, D); keys: (M, D).
///   - queryLabels: (N) int64; keyLabels: (M) int64.
///   - ks: the k to report.
/// - Returns: recall by k.
public func classRecall(_ queries: Tensor, _ keys: Tensor, queryLabels: Tensor, keyLabels: Tensor, ks: [Int],
                        chunkSize: Int = retrievalChunkSize) -> [Int: Double] {
    withNoGrad {
        let k = ks.max() ?? 1
        let normalizedKeys = keys.normalized(dim: -1)                                   // (M, D)
        var hits = [Int: Double](uniqueKeysWithValues: ks.map { ($0, 0) })
        for (chunk, labels) in zip(queries.split(size: chunkSize, dim: 0), queryLabels.split(size: chunkSize, dim: 0)) {
            let top = chunk.normalized(dim: -1).matmul(normalizedKeys.T).topk(k, dim: 1).indices   // (c, k)
            let retrieved = keyLabels.indexSelect(dim: 0, index: top.flatten()).reshape(top.shape)  // (c, k)
            let same = retrieved .== labels.unsqueeze(1)                                    // (c, k) bool
            for kk in ks {
                hits[kk]! += same[.all, 0..<kk].any(dims: [1]).to(.float64).sum().item()
            }
        }
        let n = Double(queries.size(0))
        return hits.mapValues { $0 / n }
    }
}
