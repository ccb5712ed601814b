/// Square colour images of 8-bit values, image by image: value (image n, channel c, row y, column x)
/// at ((n 3 + c) side + y) side + x, the layout of a CIFAR-10 record without its label byte, with a
/// class 0-9 for each image where the images are labelled.
public struct ImageSet: Sendable, Equatable {
    public let side: Int
    public let pixels: [UInt8]
    /// One class per image, or nil for generated images.
    public let labels: [Int]?

    public init(side: Int, pixels: [UInt8], labels: [Int]?) {
        precondition(side > 0 && pixels.count % (3 * side * side) == 0, "pixels that are not whole images")
        precondition(labels.map { $0.count * 3 * side * side == pixels.count } ?? true, "one label per image")
        self.side = side
        self.pixels = pixels
        self.labels = labels
    }

    /// Values per image: 3 side^2.
    public var imageLength: Int { 3 * side * side }

    public var count: Int { pixels.count / imageLength }

    /// The first `n` images (all of them when there are fewer).
    public func prefix(_ n: Int) -> ImageSet {
        let kept = min(max(0, n), count)
        return ImageSet(side: side, pixels: Array(pixels[0..<(kept * imageLength)]), labels: labels.map { Array($0.prefix(kept)) })
    }

    /// The images of `parts` one after another; labelled when every part is.
    public static func concatenating(_ parts: [ImageSet]) -> ImageSet {
        let side = parts.first?.side ?? 32
        precondition(parts.allSatisfy { $0.side == side }, "images of one side")
        let labels = parts.allSatisfy { $0.labels != nil } ? parts.flatMap { $0.labels! } : nil
        return ImageSet(side: side, pixels: parts.flatMap(\.pixels), labels: labels)
    }

    /// How many images of each class 0-9 there are (all zero for unlabelled images).
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: 10)
        for label in labels ?? [] { counts[label] += 1 }
        return counts
    }

    /// Images `range` as the network reads them: x / 255 normalised per channel, (x / 255 - mean_c) / std_c,
    /// in the channel-major layout of `FeatureMaps`.
    public func maps(_ range: Range<Int>? = nil, normalization: Normalization) -> FeatureMaps {
        let range = range ?? 0..<count, plane = side * side
        var maps = FeatureMaps(channels: 3, batch: range.count, height: side, width: side)
        let mean = normalization.mean, std = normalization.std
        // The 256 values a byte can take, per channel: the same arithmetic, done once.
        let tables = (0..<3).map { c in (0..<256).map { (Float($0) / 255 - mean[c]) / std[c] } }
        maps.values.withUnsafeMutableBufferPointer { out in
            pixels.withUnsafeBufferPointer { bytes in
                for c in 0..<3 {
                    tables[c].withUnsafeBufferPointer { table in
                        for (slot, n) in range.enumerated() {
                            let from = (n * 3 + c) * plane, to = (c * range.count + slot) * plane
                            for p in 0..<plane { out[to + p] = table[Int(bytes[from + p])] }
                        }
                    }
                }
            }
        }
        return maps
    }
}

/// The per-channel statistics images are normalised with: those the weights were trained with.
public enum Normalization: String, Sendable, CaseIterable {
    /// ImageNet's mean (0.485, 0.456, 0.406) and deviation (0.229, 0.224, 0.225): akamaster's trainer.
    case imagenet
    /// CIFAR-10's mean (125.3, 123.0, 113.9) / 255 and deviation (63.0, 62.1, 66.7) / 255: the FPGM authors' code.
    case cifar

    public var mean: [Float] {
        switch self {
        case .imagenet: [0.485, 0.456, 0.406]
        case .cifar: [125.3 / 255, 123.0 / 255, 113.9 / 255]
        }
    }

    public var std: [Float] {
        switch self {
        case .imagenet: [0.229, 0.224, 0.225]
        case .cifar: [63.0 / 255, 62.1 / 255, 66.7 / 255]
        }
    }

    /// One phrase for reports: which statistics, and whose.
    public var summary: String {
        switch self {
        case .imagenet: "ImageNet mean (0.485, 0.456, 0.406) and deviation (0.229, 0.224, 0.225), as akamaster's weights were trained"
        case .cifar: "CIFAR-10 mean (125.3, 123.0, 113.9)/255 and deviation (63.0, 62.1, 66.7)/255, as in the FPGM authors' code"
        }
    }
}

/// Image data that cannot be read: the file (or address, or archive entry) and what is wrong with it.
public typealias DataError = FileError
