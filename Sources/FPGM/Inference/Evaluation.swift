import Dispatch

/// Top-1 accuracy of a network on labelled images: image n counts as correct when
/// argmax_k logits_nk = label_n (ties to the lower class), with the count per class and the binomial
/// standard error sqrt(p (1 - p) / n) of the fraction p.
public struct Evaluation: Sendable, Equatable {
    public struct ClassCount: Sendable, Equatable {
        public let images: Int
        public let correct: Int
    }

    public let correct: Int
    /// Classes 0-9, in order.
    public let perClass: [ClassCount]
    /// The class predicted for each image.
    public let predictions: [Int]

    public var images: Int { predictions.count }
    public var top1: Double { images > 0 ? Double(correct) / Double(images) : 0 }
    public var standardError: Double { images > 0 ? (top1 * (1 - top1) / Double(images)).squareRoot() : 0 }
    /// Whether the network gives every image one class: then its accuracy is that class's share.
    public var predictsOneClass: Bool { Set(predictions).count == 1 }

    /// Predictions whose two largest logits are closer than this are decided again by `ExactPass`: the
    /// convolution kernels of different processors round differently, by about 1e-5 in a logit, so a
    /// closer call could go either way depending on the machine.
    public static let tieMargin: Float = 1e-3

    /// How many predictions `ExactPass` decided.
    public private(set) var exactlyDecided = 0

    /// The predictions of `network` on `images` (labelled), normalised with `normalization`, in chunks
    /// of `chunk` images so that at most that many normalised images are held at once. `weights` are the
    /// (masked) weights `network` computes: near ties (`tieMargin`) are decided by the Float64 pass
    /// through them, so that the counts are the same on every machine.
    public init(network: InferenceNetwork, weights: BoundWeights, images: ImageSet, normalization: Normalization, chunk: Int = 1024) {
        guard let labels = images.labels else { preconditionFailure("evaluation needs labelled images") }
        var predictions = [Int](), close = [Int]()
        predictions.reserveCapacity(images.count)
        for start in stride(from: 0, to: images.count, by: chunk) {
            let logits = network.logits(images.maps(start..<min(start + chunk, images.count), normalization: normalization))
            for (offset, row) in logits.enumerated() {
                let predicted = InferenceNetwork.predictedClass(row)
                if row.indices.contains(where: { $0 != predicted && row[predicted] - row[$0] < Self.tieMargin }) { close.append(start + offset) }
                predictions.append(predicted)
            }
        }
        if !close.isEmpty {
            let unfolded = InferenceNetwork(model: CompactModel(weights: weights), shortcut: network.shortcut, foldingBatchNorms: false)
            let norms = weights.batchNormsByConvolution
            let close = close
            var decided = [Int](repeating: 0, count: close.count)
            decided.withUnsafeMutableBufferPointer { buffer in
                nonisolated(unsafe) let slots = buffer
                DispatchQueue.concurrentPerform(iterations: close.count) { slot in
                    let index = close[slot]
                    let logits = ExactPass.logits(unfolded, norms: norms, image: images.maps(index..<(index + 1), normalization: normalization))
                    slots[slot] = logits.indices.max { logits[$0] < logits[$1] } ?? 0
                }
            }
            for (slot, index) in close.enumerated() { predictions[index] = decided[slot] }
        }
        self.init(predictions: predictions, labels: labels)
        exactlyDecided = close.count
    }

    /// The counts of `predictions` against `labels` (classes 0-9).
    public init(predictions: [Int], labels: [Int]) {
        precondition(predictions.count == labels.count, "one prediction per label")
        var perClass = [(images: Int, correct: Int)](repeating: (0, 0), count: 10)
        for (predicted, label) in zip(predictions, labels) {
            perClass[label].images += 1
            if predicted == label { perClass[label].correct += 1 }
        }
        self.predictions = predictions
        self.perClass = perClass.map { ClassCount(images: $0.images, correct: $0.correct) }
        correct = perClass.reduce(0) { $0 + $1.correct }
    }

    /// The accuracy of always answering the most frequent class of `labels`: the floor any network
    /// that ignores its input reaches.
    public static func majorityBaseline(_ labels: [Int]) -> (class: Int, top1: Double) {
        var counts = [Int](repeating: 0, count: 10)
        for label in labels { counts[label] += 1 }
        let best = counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) } ?? 0
        return (best, labels.isEmpty ? 0 : Double(counts[best]) / Double(labels.count))
    }
}
