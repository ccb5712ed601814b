import Foundation

/// The element type a tensor was stored with; every reader converts to Float32 for the engine.
public enum ScalarType: String, Sendable, CaseIterable {
    case float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }
}

/// A tensor as a checkpoint stored it: its name in the file, its stored element type, and its values
/// converted to Float32.
public struct StoredTensor: Sendable, Equatable {
    public let name: String
    public let dtype: ScalarType
    public let tensor: Tensor
}

/// The container formats the readers understand.
public enum CheckpointFormat: String, Sendable {
    case torchLegacy = "torch-legacy"
    case torchZip = "torch-zip"
    case safetensors, npz, npy
}

/// The tensors of one checkpoint file, in file order.
public struct Checkpoint: Sendable {
    public let format: CheckpointFormat
    public let tensors: [StoredTensor]
    /// String metadata (the safetensors `__metadata__` map; empty for other formats).
    public let metadata: [String: String]

    /// Reads a checkpoint, choosing the reader from the file's first bytes (and, for safetensors,
    /// from its header). Every length, offset and shape is checked against the file before use.
    public static func read(path: String) throws(CheckpointError) -> Checkpoint {
        let bytes = try FileBytes(path: path)
        if bytes.starts(with: NPYReader.magic) {
            return Checkpoint(format: .npy, tensors: [try NPYReader.read(bytes.all, name: bytes.stem, file: path)], metadata: [:])
        }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            let archive = try ZipArchive(path: path)
            return TorchReader.isTorchZip(archive) ? try TorchReader.readZip(archive, file: path) : try NPZReader.read(archive, path: path)
        }
        if bytes.starts(with: [0x80]) {
            return try TorchReader.readLegacy(bytes.all, file: path)
        }
        return try SafetensorsReader.read(bytes, file: path)
    }

    /// The tensor of the given name, with a leading `module.` ignored on either side.
    public func tensor(named name: String) -> StoredTensor? {
        tensors.first { Checkpoint.canonicalName($0.name) == Checkpoint.canonicalName(name) }
    }

    /// A state-dict name without the `module.` prefix that DataParallel adds.
    public static func canonicalName(_ name: String) -> String {
        name.hasPrefix("module.") ? String(name.dropFirst("module.".count)) : name
    }
}

/// A checkpoint that cannot be read: the file and what is wrong with it, as one sentence.
public typealias CheckpointError = FileError

/// A whole file in memory (mapped when the system allows), with bounds-checked access.
struct FileBytes {
    let all: Data
    let path: String

    init(path: String) throws(CheckpointError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CheckpointError(file: path, problem: "no such file")
        }
        guard !isDirectory.boolValue else { throw CheckpointError(file: path, problem: "is a directory, not a checkpoint file") }
        do {
            // An empty file is not mapped (Foundation leaks a buffer reading one).
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            all = size == 0 ? Data() : try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw CheckpointError(file: path, problem: "cannot be read (\(error.localizedDescription))")
        }
        self.path = path
    }

    func starts(with prefix: [UInt8]) -> Bool {
        all.count >= prefix.count && all.prefix(prefix.count).elementsEqual(prefix)
    }

    /// The file name without its directory and extension.
    var stem: String {
        URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    }
}
