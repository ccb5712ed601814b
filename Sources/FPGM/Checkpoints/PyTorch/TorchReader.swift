import Foundation

/// Reads PyTorch checkpoints as `torch.load(..., weights_only=True)` would, through `Unpickler`:
///
/// - legacy files (torch 0.3 to 1.5): five pickles (magic number, protocol version 1001, system
///   information, the object, the list of storage keys), then each storage in key-list order as an
///   int64 element count followed by its raw little-endian elements;
/// - zip files (torch 1.6 and later): STORED entries under one top folder of any name: `data.pkl`
///   (the object), `data/<key>` (one storage each), `version` and an optional `byteorder`.
///
/// The state dict is the object itself or its `state_dict`, `model` or `net` entry; its tensors keep
/// their stored names (a `module.` prefix is dropped only when binding to an architecture). Other
/// scalar entries of the object (such as `best_prec1`) become metadata.
enum TorchReader {
    /// 0x1950a86a20f9469cfc6c, the legacy format's magic number, as pickle's little-endian LONG1 bytes.
    static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    // MARK: Legacy

    static func readLegacy(_ data: Data, file: String) throws(CheckpointError) -> Checkpoint {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: file, problem: problem) }
        let registry = ContainerRegistry()
        let result: Result<Checkpoint, CheckpointError> = data.withUnsafeBytes { raw in
            do throws(CheckpointError) {
                var unpickler = Unpickler(raw, at: 0, containers: registry)
                var number = 0
                func next(_ what: String) throws(CheckpointError) -> PickleValue {
                    number += 1
                    do { return try unpickler.load() } catch {
                        throw fail("\(error.message) at byte \(error.offset) (pickle \(number) of the legacy format, the \(what))")
                    }
                }
                guard case let .bigInt(magic) = try next("magic number"), magic == legacyMagic else {
                    throw fail("is not a PyTorch checkpoint (the legacy magic number is missing)")
                }
                guard case .int(1001) = try next("protocol version") else { throw fail("has a legacy protocol version other than 1001") }
                guard case let .dict(system) = try next("system information") else { throw fail("has no system information pickle") }
                var bigEndian = false
                if case .bool(false)? = system["little_endian"] { bigEndian = true }
                let object = try next("object")
                guard case let .list(keyList) = try next("storage key list") else { throw fail("has no storage key list") }
                var known = [String: ScalarType]()
                for storage in unpickler.storages { known[storage.view?.rootKey ?? storage.key] = storage.dtype }
                var position = unpickler.position
                var storages = [String: (offset: Int, count: Int)]()
                for item in keyList.items {
                    guard case let .string(key) = item else { throw fail("has a storage key that is not a string") }
                    guard let dtype = known[key] else { throw fail("lists storage '\(key)', which no tensor uses, so its size is unknown") }
                    guard raw.count - position >= 8 else { throw fail("ends before the size of storage '\(key)' (truncated?)") }
                    let count = Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: Int64.self)))
                    let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteWidth)
                    guard count >= 0, !overflow, bytes <= raw.count - position - 8 else {
                        throw fail("declares \(count) elements for storage '\(key)', more than the file holds (truncated?)")
                    }
                    storages[key] = (position + 8, count)
                    position += 8 + bytes
                }
                let stored = try tensors(of: object, file: file) { roots throws(CheckpointError) in
                    var decoded = [[Float]]()
                    for root in roots {
                        guard let storage = storages[root.key] else { throw fail("uses storage '\(root.key)', which is not in the file") }
                        decoded.append(root.dtype.decode(UnsafeRawBufferPointer(rebasing: raw[storage.offset...]), count: storage.count, bigEndian: bigEndian))
                    }
                    return decoded
                }
                return .success(Checkpoint(format: .torchLegacy, tensors: stored, metadata: metadata(of: object)))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    // MARK: Zip

    /// Whether a zip archive's entries look like a PyTorch file: one `<folder>/data.pkl`.
    static func isTorchZip(_ archive: ZipArchive) -> Bool {
        archive.entries.contains { $0.name.hasSuffix("/data.pkl") }
    }

    static func readZip(_ archive: ZipArchive, file: String) throws(CheckpointError) -> Checkpoint {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: file, problem: problem) }
        let pickles = archive.entries.filter { $0.name.hasSuffix("/data.pkl") }
        guard pickles.count == 1, let pickle = pickles.first,
              !pickle.name.dropLast("/data.pkl".count).contains("/") else {
            throw fail("holds \(pickles.count) 'data.pkl' entries where a PyTorch file has one, in its top folder")
        }
        let folder = String(pickle.name.dropLast("data.pkl".count))
        let entries = Dictionary(archive.entries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var bigEndian = false
        if let order = entries[folder + "byteorder"] {
            let text = try archive.reading(order) { (source: inout ZipArchive.EntrySource) throws(CheckpointError) in
                String(decoding: try source.readBytes(min(source.remaining, 16)), as: UTF8.self)
            }
            guard text == "little" || text == "big" else { throw fail("has byteorder '\(text)', neither 'little' nor 'big'") }
            bigEndian = text == "big"
        }
        let pickleBytes = try archive.reading(pickle) { (source: inout ZipArchive.EntrySource) throws(CheckpointError) in
            try source.readBytes(source.remaining)
        }
        let registry = ContainerRegistry()
        let unpickled: Result<PickleValue, Unpickler.Failure> = pickleBytes.withUnsafeBytes { raw in
            var unpickler = Unpickler(raw, at: 0, containers: registry)
            return Result { () throws(Unpickler.Failure) in try unpickler.load() }
        }
        let object: PickleValue
        switch unpickled {
        case let .success(value): object = value
        case let .failure(error): throw fail("\(error.message) at byte \(error.offset) of \(pickle.name)")
        }
        let stored = try tensors(of: object, file: file) { roots throws(CheckpointError) in
            var storageEntries = [ZipArchive.Entry]()
            for root in roots {
                let name = folder + "data/" + root.key
                guard let entry = entries[name] else { throw fail("uses storage '\(root.key)', but '\(name)' is missing") }
                let (bytes, overflow) = root.count.multipliedReportingOverflow(by: root.dtype.byteWidth)
                guard !overflow, entry.size == bytes else {
                    throw fail("has \(entry.size) bytes in '\(name)' for \(root.count) elements of \(root.dtype.rawValue)")
                }
                storageEntries.append(entry)
            }
            let types = Dictionary(roots.map { (folder + "data/" + $0.key, $0) }, uniquingKeysWith: { first, _ in first })
            return try archive.readInParallel(storageEntries) { (source: inout ZipArchive.EntrySource) throws(CheckpointError) in
                let root = types[source.entry.name]!
                return try source.readScalars(root.dtype, count: root.count, bigEndian: bigEndian)
            }
        }
        return Checkpoint(format: .torchZip, tensors: stored, metadata: metadata(of: object))
    }

    // MARK: State dict

    /// The dict holding the tensors: the object's `state_dict`, `model` or `net` entry when it is a
    /// dict, else the object itself.
    static func stateDict(of object: PickleValue) -> PickleDict? {
        guard case let .dict(top) = object else { return nil }
        for key in ["state_dict", "model", "net"] {
            if case let .dict(inner)? = top[key] { return inner }
        }
        return top
    }

    /// The state dict's tensors in order. `load` decodes the root storages the tensors use (each once,
    /// given its key, type and element count; results in the order given), which the tensors then view.
    static func tensors(of object: PickleValue, file: String,
                        load: ([StorageReference]) throws(CheckpointError) -> [[Float]]) throws(CheckpointError) -> [StoredTensor] {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: file, problem: problem) }
        guard let state = stateDict(of: object) else { throw fail("holds no dict of tensors (a state dict)") }
        var named = [(name: String, reference: TensorReference)]()
        var roots = [StorageReference](), rootIndex = [String: Int]()
        for (key, value) in state.entries {
            guard case let .tensor(reference) = value else { continue }
            guard case let .string(name) = key else { throw fail("has a tensor under a key that is not a string") }
            named.append((name, reference))
            let storage = reference.storage, rootKey = storage.view?.rootKey ?? storage.key
            if rootIndex[rootKey] == nil {
                rootIndex[rootKey] = roots.count
                roots.append(StorageReference(dtype: storage.dtype, key: rootKey, count: storage.count, view: nil))
            }
        }
        let decoded = try load(roots)
        var stored = [StoredTensor]()
        for (name, reference) in named {
            let storage = reference.storage
            let scalars = decoded[rootIndex[storage.view?.rootKey ?? storage.key]!]
            let offset = reference.offset + (storage.view?.offset ?? 0)
            guard let tensor = Tensor(viewing: scalars, shape: reference.shape, strides: reference.strides, offset: offset) else {
                throw fail("tensor '\(name)' reaches beyond its storage of \(scalars.count) elements")
            }
            stored.append(StoredTensor(name: name, dtype: storage.dtype, tensor: tensor))
        }
        return stored
    }

    /// The object's scalar entries (numbers, strings, booleans) as text, for a report's metadata.
    static func metadata(of object: PickleValue) -> [String: String] {
        guard case let .dict(top) = object else { return [:] }
        var metadata = [String: String]()
        for (key, value) in top.entries {
            guard case let .string(name) = key else { continue }
            switch value {
            case let .int(number): metadata[name] = String(number)
            case let .float(number): metadata[name] = "\(number)"
            case let .string(text): metadata[name] = text
            case let .bool(flag): metadata[name] = flag ? "true" : "false"
            default: continue
            }
        }
        return metadata
    }
}
