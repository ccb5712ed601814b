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
    /// convolution paths of different processors round differently (at most 1.2e-5 apart in a logit of
    /// the trained ResNet-56 on the shared test images, direct kernels against OpenBLAS's Prescott
    /// kernels), so a closer call could go either way depending on the machine; this is 20 times that.
    public static let tieMargin: Float = 2.5e-4

    /// How many predictions `ExactPass` decided.
    public private(set) var exactlyDecided = 0

    /// The predictions of `network` on `images` (labelled), normalised with `normalization`, in chunks
    /// of `chunk` images so that at most that many normalised images are held at once. `weights` are the
    /// (masked) weights `network` computes: near ties are decided exactly (`predictions(_:...)`).
    public init(network: InferenceNetwork, weights: BoundWeights, images: ImageSet, normalization: Normalization, chunk: Int = 1024) {
        guard let labels = images.labels else { preconditionFailure("evaluation needs labelled images") }
        var logits = [[Float]]()
        logits.reserveCapacity(images.count)
        for start in stride(from: 0, to: images.count, by: chunk) {
            logits += network.logits(images.maps(start..<min(start + chunk, images.count), normalization: normalization))
        }
        let decided = Self.predictions(logits, network: network, weights: weights, images: images, normalization: normalization)
        self.init(predictions: decided.classes, labels: labels)
        exactlyDecided = decided.exactly
    }

    /// The class of each row of `logits` (those of `network` on `images`): its largest logit, except
    /// where the two largest are closer than `tieMargin`; such an image is run again through `ExactPass`
    /// with `weights` (the masked weights `network` computes), and its class is the exact pass's, so that
    /// the classes are the same on every machine. Also returns how many were decided that way.
    public static func predictions(_ logits: [[Float]], network: InferenceNetwork, weights: BoundWeights, images: ImageSet,
                                   normalization: Normalization) -> (classes: [Int], exactly: Int) {
        var classes = logits.map(InferenceNetwork.predictedClass)
        let close = logits.indices.filter { n in
            logits[n].indices.contains { $0 != classes[n] && logits[n][classes[n]] - logits[n][$0] < tieMargin }
        }
        guard !close.isEmpty else { return (classes, 0) }
        let exact = ExactPass.logits(weights: weights, shortcut: network.shortcut, images: images, indices: close, normalization: normalization)
        for (index, row) in zip(close, exact) { classes[index] = row.indices.max { row[$0] < row[$1] } ?? 0 }
        return (classes, close.count)
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
