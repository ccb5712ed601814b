import Foundation

/// Which half of CIFAR-10: `test` is `test_batch`, `train` is `data_batch_1` .. `data_batch_5`.
public enum DataSplit: String, Sendable, CaseIterable {
    case test, train

    /// The batch files of the split, in order, without the binary layout's `.bin`.
    var batchNames: [String] { self == .test ? ["test_batch"] : (1...5).map { "data_batch_\($0)" } }
}

/// The images a data spec names, as `fpgm evaluate --data`, `--recalibrate`, `fpgm forward --input` and
/// the directives' `data:` take it:
/// - `pattern:N`, `smooth:N`: generated images at the network's side (`GeneratedImages`);
/// - `hub:cifar10/test`, `hub:cifar10/train`: CIFAR-10 found in `$FPGM_DATA_DIR`, then in the cache, or
///   downloaded (`HubData`);
/// - a batch file in either format (`CIFARBatch`);
/// - a folder: `cifar-10-batches-bin/` or `cifar-10-batches-py/`, or one holding either or an official archive;
/// - an official archive, `cifar-10-binary.tar.gz` or `cifar-10-python.tar.gz` (`TarArchive`).
/// A folder or archive holds both splits: a `:test` or `:train` suffix chooses one, `split` otherwise.
public struct ImageData: Sendable {
    public let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The images of `spec` (pattern and smooth images at `side`, N from 1 to `generatedLimit`); a file
    /// name goes through `path` first (a notebook's folder). Fails with an `ImageSpecError` when the
    /// spec itself is wrong, a `DataError` when the data cannot be read.
    public func load(_ spec: String, split: DataSplit, side: Int = 32, generatedLimit: Int = 100_000,
                     path: (String) throws -> String = { $0 }) throws -> ImageSet {
        if let images = try GeneratedImages.named(spec, side: side, limit: generatedLimit) { return images }
        guard side == 32 else { throw ImageSpecError.side(side) }
        if spec.hasPrefix("hub:") { return try HubData(environment: environment).load(spec) }
        var name = spec, chosen = split
        for candidate in DataSplit.allCases where spec.hasSuffix(":" + candidate.rawValue) {
            name = String(spec.dropLast(candidate.rawValue.count + 1))
            chosen = candidate
        }
        return try Self.images(at: try path(name), split: chosen)
    }

    /// The split's images at `path`: a batch file, a folder, or an archive.
    static func images(at path: String, split: DataSplit) throws(DataError) -> ImageSet {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw DataError(file: path, problem: "does not exist") }
        if isFolder.boolValue {
            guard let images = try folder(path, split: split) else {
                throw DataError(file: path, problem: "holds no CIFAR-10 batches (test_batch.bin or test_batch, cifar-10-batches-bin/, cifar-10-batches-py/, or an official .tar.gz archive)")
            }
            return images
        }
        if isArchive(path) { return try archive(path, split: split) }
        return try CIFARBatch.decode(try bytes(of: path), file: path)
    }

    /// The split's images in a folder, or nil when it holds none of the layouts.
    static func folder(_ path: String, split: DataSplit) throws(DataError) -> ImageSet? {
        let folder = URL(fileURLWithPath: path)
        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) }
        for suffix in [".bin", ""] where split.batchNames.contains(where: { exists($0 + suffix) }) {
            return ImageSet.concatenating(try split.batchNames.map { name throws(DataError) in
                let file = folder.appendingPathComponent(name + suffix).path
                guard exists(name + suffix) else { throw DataError(file: file, problem: "does not exist; the \(split.rawValue) split needs it") }
                return try CIFARBatch.decode(try bytes(of: file), file: file)
            })
        }
        for layout in ["cifar-10-batches-bin", "cifar-10-batches-py"] where exists(layout) {
            if let images = try self.folder(folder.appendingPathComponent(layout).path, split: split) { return images }
        }
        for archive in HubData.archives.map(\.file) where exists(archive) {
            return try self.archive(folder.appendingPathComponent(archive).path, split: split)
        }
        return nil
    }

    /// The split's batches inside an official archive (or any tar holding them under any one folder).
    static func archive(_ path: String, split: DataSplit) throws(DataError) -> ImageSet {
        let wanted = Set(split.batchNames.flatMap { [$0, $0 + ".bin"] })
        let files = try TarArchive.files(at: path) { wanted.contains(String($0.split(separator: "/").last ?? "")) }
        return ImageSet.concatenating(try split.batchNames.map { name throws(DataError) in
            guard let entry = files.first(where: { [name, name + ".bin"].contains(String($0.path.split(separator: "/").last ?? "")) }) else {
                throw DataError(file: path, problem: "holds no \(name) or \(name).bin entry; the \(split.rawValue) split needs it")
            }
            return try CIFARBatch.decode(entry.bytes, file: "\(path): \(entry.path)")
        })
    }

    static func isArchive(_ path: String) -> Bool { [".tar.gz", ".tgz", ".tar"].contains { path.hasSuffix($0) } }

    static func bytes(of path: String) throws(DataError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError(file: path, problem: "cannot be read") }
        return [UInt8](data)
    }
}

/// A data spec that is wrong in itself (exit 2), rather than data that cannot be read.
public enum ImageSpecError: Error, Equatable, CustomStringConvertible {
    /// `pattern:N` or `smooth:N` with N not a count in range: the text, and what was expected.
    case count(text: String, expected: String)
    /// CIFAR-10 images for a network whose images have this side.
    case side(Int)
    /// A `hub:` name that is not `hub:cifar10/test` or `hub:cifar10/train`.
    case unknownHub(String)

    public var description: String {
        switch self {
        case let .count(text, expected): "'\(text)' is not \(expected)"
        case let .side(side): "CIFAR-10 holds 32 x 32 images; this network takes \(side) x \(side) (use pattern:N or smooth:N)"
        case let .unknownHub(text): "'\(text)' names no hub data set (known: hub:cifar10/test, hub:cifar10/train)"
        }
    }
}
