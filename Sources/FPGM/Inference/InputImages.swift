import Foundation

/// Batches of square colour images (32 x 32 for CIFAR networks, 224 x 224 for ImageNet ones),
/// normalised per channel as the networks were trained: (x - mean_c) / std_c with mean
/// (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225), x in [0, 1].
public enum InputImages {
    static let mean: [Float] = [0.485, 0.456, 0.406]
    static let std: [Float] = [0.229, 0.224, 0.225]
    /// Bytes per image in a CIFAR-10 binary batch: one label byte, then the red, green and blue planes.
    public static let recordLength = 1 + 3 * 32 * 32

    /// The generated images `text` names, `pattern:N` or `smooth:N` (N from 1 to `limit`); nil when
    /// `text` names none (a file, then); fails with a sentence when N is not a count in range.
    public static func generated(_ text: String, limit: Int = 100_000, side: Int = 32) throws(InputImagesError) -> FeatureMaps? {
        let kinds: [(prefix: String, make: (Int) -> FeatureMaps)] = [("pattern:", { pattern(count: $0, side: side) }),
                                                                     ("smooth:", { smooth(count: $0, side: side) })]
        guard let kind = kinds.first(where: { text.hasPrefix($0.prefix) }) else { return nil }
        guard let count = Int(text.dropFirst(kind.prefix.count)), (1...limit).contains(count) else {
            throw .count(text: text, expected: "\(kind.prefix)N with N from 1 to \(limit)")
        }
        return kind.make(count)
    }

    /// The images `text` names: `pattern:N` or `smooth:N` at `side` (N from 1 to `limit`), or else the
    /// CIFAR-10 batch file at `path(text)`, with its labels (for networks of 32 x 32 images). Fails with an
    /// `InputImagesError`, or with the file's own error.
    public static func read(_ text: String, side: Int, limit: Int = 100_000,
                            path: (String) throws -> String = { $0 }) throws -> (maps: FeatureMaps, labels: [Int]?) {
        if let images = try generated(text, limit: limit, side: side) { return (images, nil) }
        guard side == 32 else { throw InputImagesError.side(side) }
        let batch = try cifarBatch(path: path(text))
        return (batch.images, batch.labels)
    }

    /// The deterministic pattern of ../reference/forward-logits.json:
    /// x[n][c][h][w] = ((7 h + 13 w + 29 c + 61 n) mod 256) / 255, for n in 0..<count.
    public static func pattern(count: Int, side: Int = 32) -> FeatureMaps {
        images(count: count, side: side) { n, c, h, w in Float((7 * h + 13 * w + 29 * c + 61 * n) % 256) / 255 }
    }

    /// Smooth random colour images: per image and channel, a seeded 5 x 5 grid of values in [0, 1)
    /// interpolated bilinearly over the image (grid point k at pixel (side - 1) k / 4), rounded to
    /// 8-bit levels as a stored image would be. Unlike `pattern`, trained CIFAR networks assign them
    /// to several classes, which makes them a deterministic stand-in for photographs.
    public static func smooth(count: Int, seed: UInt64 = 0, side: Int = 32) -> FeatureMaps {
        var generator = SeededGenerator(seed: seed, stream: "smooth images")
        let grids = (0..<(count * 3)).map { _ in (0..<25).map { _ in generator.nextUniform() } }
        let positions = (0..<side).map { Double($0) * 4 / Double(side - 1) }
        return images(count: count, side: side) { n, c, h, w in
            let grid = grids[n * 3 + c]
            let row = min(Int(positions[h]), 3), column = min(Int(positions[w]), 3)
            let fy = positions[h] - Double(row), fx = positions[w] - Double(column)
            let value = grid[row * 5 + column] * (1 - fy) * (1 - fx) + grid[(row + 1) * 5 + column] * fy * (1 - fx)
                + grid[row * 5 + column + 1] * (1 - fy) * fx + grid[(row + 1) * 5 + column + 1] * fy * fx
            return Float((value * 255).rounded(.down)) / 255
        }
    }

    /// The images and labels of a CIFAR-10 binary batch file (each record: a label byte 0-9, then
    /// 3072 pixel bytes, channel by channel, row by row); fails when the file is not a whole number
    /// of records or a label is not 0-9.
    public static func cifarBatch(path: String) throws(CheckpointError) -> (images: FeatureMaps, labels: [Int]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError(file: path, problem: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist")
        }
        guard !data.isEmpty, data.count % recordLength == 0 else {
            throw CheckpointError(file: path, problem: "is \(data.count) bytes, not a whole number of CIFAR-10 records of \(recordLength) bytes (1 label byte + 3072 pixel bytes)")
        }
        let bytes = [UInt8](data), count = data.count / recordLength
        var labels = [Int]()
        for n in 0..<count {
            let label = Int(bytes[n * recordLength])
            guard label < 10 else { throw CheckpointError(file: path, problem: "record \(n) has label \(label), not 0-9") }
            labels.append(label)
        }
        let maps = images(count: count, side: 32) { n, c, h, w in Float(bytes[n * recordLength + 1 + (c * 32 + h) * 32 + w]) / 255 }
        return (maps, labels)
    }

    /// Normalised images whose raw value in [0, 1] is `value(n, c, h, w)`.
    static func images(count: Int, side: Int, _ value: (Int, Int, Int, Int) -> Float) -> FeatureMaps {
        var maps = FeatureMaps(channels: 3, batch: count, height: side, width: side)
        for c in 0..<3 {
            for n in 0..<count {
                for h in 0..<side {
                    for w in 0..<side {
                        maps.values[((c * count + n) * side + h) * side + w] = (value(n, c, h, w) - mean[c]) / std[c]
                    }
                }
            }
        }
        return maps
    }
}

/// A generated-images name that does not fit: the text, and what was expected.
/// Why `--input` or an `input:` argument names no images.
public enum InputImagesError: Error, CustomStringConvertible {
    /// `pattern:N` or `smooth:N` with N not a count in range: what was expected.
    case count(text: String, expected: String)
    /// A CIFAR-10 batch file for a network whose images have this side.
    case side(Int)

    public var description: String {
        switch self {
        case let .count(text, expected): "'\(text)' is not \(expected)"
        case let .side(side): "A CIFAR-10 batch file holds 32 x 32 images; this network takes \(side) x \(side) (use pattern:N or smooth:N)"
        }
    }
}
