import Foundation

/// Batches of 32 x 32 colour images, normalised per channel as the CIFAR-10 ResNets were trained:
/// (x - mean_c) / std_c with mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225), x in [0, 1].
public enum InputImages {
    static let mean: [Float] = [0.485, 0.456, 0.406]
    static let std: [Float] = [0.229, 0.224, 0.225]
    static let side = 32
    /// Bytes per image in a CIFAR-10 binary batch: one label byte, then the red, green and blue planes.
    public static let recordLength = 1 + 3 * 32 * 32

    /// The deterministic pattern of ../reference/forward-logits.json:
    /// x[n][c][h][w] = ((7 h + 13 w + 29 c + 61 n) mod 256) / 255, for n in 0..<count.
    public static func pattern(count: Int) -> FeatureMaps {
        images(count: count) { n, c, h, w in Float((7 * h + 13 * w + 29 * c + 61 * n) % 256) / 255 }
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
        let maps = images(count: count) { n, c, h, w in Float(bytes[n * recordLength + 1 + (c * side + h) * side + w]) / 255 }
        return (maps, labels)
    }

    /// Normalised images whose raw value in [0, 1] is `value(n, c, h, w)`.
    static func images(count: Int, _ value: (Int, Int, Int, Int) -> Float) -> FeatureMaps {
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
