import Torch

/// Images with one caption each, the captions also as token ids: one split of a captioned
/// image data set (``CaptionedFashion``).
public struct CaptionedImages: Codable {
    /// (N, C, H, W) float32.
    public var images: Tensor
    /// (N) int64 class indices.
    public var labels: Tensor
    /// One caption per image.
    public var captions: [String]
    /// (N, L) int64: the captions tokenized and padded to L.
    public var tokens: Tensor

    /// The images, labels, captions and tokens, which must agree in number (a precondition).
    public init(images: Tensor, labels: Tensor, captions: [String], tokens: Tensor) {
        precondition(images.size(0) == labels.size(0) && labels.size(0) == captions.count && captions.count == tokens.size(0),
                     "CaptionedImages: \(images.size(0)) images, \(labels.size(0)) labels, \(captions.count) captions and \(tokens.size(0)) token rows must agree")
        self.images = images
        self.labels = labels
        self.captions = captions
        self.tokens = tokens
    }

    /// N, the number of images.
    public var count: Int { labels.size(0) }

    /// The examples whose label is one of `classes`, in their order, each label replaced by
    /// its position in `classes` (so `selecting(classes: [5, 6])` has labels 0 and 1).
    public func selecting(classes: [Int]) -> CaptionedImages {
        let all = labels.asArray(Int.self)
        let kept = all.indices.filter { classes.contains(all[$0]) }
        let index = Tensor(kept.map(Int64.init))
        return CaptionedImages(images: images.indexSelect(dim: 0, index: index),
                               labels: Tensor(kept.map { Int64(classes.firstIndex(of: all[$0])!) }),
                               captions: kept.map { captions[$0] }, tokens: tokens.indexSelect(dim: 0, index: index))
    }
}
