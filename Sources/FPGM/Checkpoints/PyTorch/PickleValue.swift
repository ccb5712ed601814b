/// A value built by the restricted unpickler: only what a PyTorch state dict is made of.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer wider than 64 bits, as its little-endian two's-complement bytes (the legacy magic number).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A global on the allow-list, not yet called.
    case global(AllowedGlobal)
    /// A storage named by a persistent id: (element type, key, element count).
    case storage(StorageReference)
    /// A tensor: a view of a storage.
    case tensor(TensorReference)
    /// The marker pushed by MARK.
    case mark

    /// A short name of the value's kind, for error messages.
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global: return "global"
        case .storage: return "storage"
        case .tensor: return "tensor"
        case .mark: return "mark"
        }
    }
}

/// A list; a reference, because pickle appends to lists after they were stored in the memo.
final class PickleList {
    var items: [PickleValue] = []
}

/// A dict (plain or OrderedDict) with its entries in insertion order; a reference, like `PickleList`.
final class PickleDict {
    var entries: [(key: PickleValue, value: PickleValue)] = []

    /// The value of a string key.
    subscript(key: String) -> PickleValue? {
        entries.last { if case let .string(k) = $0.key { return k == key } else { return false } }?.value
    }
}

/// The globals a state dict needs; everything else is refused by name.
enum AllowedGlobal: Equatable {
    case orderedDict
    case rebuildTensor
    case rebuildTensorV2
    case rebuildParameter
    case storageType(ScalarType)

    /// The global `module.name`, when it is allowed.
    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch", _):
            let types: [String: ScalarType] = [
                "FloatStorage": .float32, "DoubleStorage": .float64, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
                "LongStorage": .int64, "IntStorage": .int32, "ShortStorage": .int16, "CharStorage": .int8,
                "ByteStorage": .uint8, "BoolStorage": .bool,
            ]
            guard let type = types[name] else { return nil }
            self = .storageType(type)
        default: return nil
        }
    }
}

/// A storage as a persistent id names it.
struct StorageReference {
    let dtype: ScalarType
    let key: String
    let count: Int
    /// For legacy storage views: the root storage's key and this view's offset into it, in elements.
    let view: (rootKey: String, offset: Int)?
}

/// A tensor as `_rebuild_tensor` describes it: a strided view of a storage, in elements.
struct TensorReference {
    let storage: StorageReference
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}
