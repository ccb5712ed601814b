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
    /// A numpy array rebuilt by `_reconstruct`, its state set by BUILD.
    case numpyArray(NumpyArray)
    /// A numpy dtype (only u1 is built).
    case numpyDType(String)
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
        case .numpyArray: return "numpy array"
        case .numpyDType: return "numpy dtype"
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

    /// The value of a key given as a text or as a byte string (Python 3 and Python 2 pickles).
    func value(textOrBytes key: String) -> PickleValue? {
        entries.last {
            switch $0.key {
            case let .string(k): k == key
            case let .bytes(k): k.elementsEqual(key.utf8)
            default: false
            }
        }?.value
    }
}

/// The globals a state dict or an image batch needs; everything else is refused by name.
enum AllowedGlobal: Equatable {
    case orderedDict
    case rebuildTensor
    case rebuildTensorV2
    case rebuildParameter
    case storageType(ScalarType)
    case numpyReconstruct
    case numpyArrayType
    case numpyDType

    /// The global `module.name`, when the vocabulary allows it.
    init?(module: String, name: String, vocabulary: Unpickler.Vocabulary) {
        if vocabulary == .imageBatch {
            switch (module, name) {
            case ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"): self = .numpyReconstruct
            case ("numpy", "ndarray"): self = .numpyArrayType
            case ("numpy", "dtype"): self = .numpyDType
            default: return nil
            }
            return
        }
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

/// A numpy array as a python batch stores it: shape, dtype and its bytes (nil until BUILD sets them).
struct NumpyArray {
    let shape: [Int]
    let dtype: String
    let bytes: [UInt8]?
}

/// numpy's pickled states: an ndarray's (version, shape, dtype, is_fortran, raw bytes) and a dtype's
/// (version, byte order, ...).
enum NumpyArrayState {
    /// The array with its state set; its bytes must be exactly the product of its shape (one byte each).
    static func built(_ array: NumpyArray, state: PickleValue, at offset: Int) throws(Unpickler.Failure) -> NumpyArray {
        func fail(_ message: String) -> Unpickler.Failure { Unpickler.Failure(message: message, offset: offset) }
        guard array.bytes == nil, case let .tuple(fields) = state, fields.count == 5,
              case let .tuple(shapeValues) = fields[1], case let .numpyDType(dtype) = fields[2] else {
            throw fail("sets a numpy array's state to something other than (version, shape, dtype, fortran, data)")
        }
        guard case .bool(false) = fields[3] else { throw fail("stores a numpy array in Fortran order") }
        let shape = try shapeValues.map { value throws(Unpickler.Failure) -> Int in
            guard case let .int(extent) = value, extent >= 0 else { throw fail("gives a numpy array a negative or non-integer extent") }
            return extent
        }
        guard let count = Tensor.elementCount(of: shape) else { throw fail("gives a numpy array the overflowing shape \(shape)") }
        let bytes: [UInt8]
        switch fields[4] {
        case let .bytes(raw): bytes = raw
        default: throw fail("stores a numpy array's data as a \(fields[4].kind), not as bytes")
        }
        guard bytes.count == count else {
            throw fail("stores \(bytes.count) bytes for a numpy array of shape \(shape), which needs \(count)")
        }
        return NumpyArray(shape: shape, dtype: dtype, bytes: bytes)
    }

    /// A u1 dtype's state: byte order '|' (not applicable) or '<' / '=' for one-byte values.
    static func checkDTypeState(_ state: PickleValue, at offset: Int) throws(Unpickler.Failure) {
        guard case let .tuple(fields) = state, fields.count >= 2 else {
            throw Unpickler.Failure(message: "sets a numpy dtype's state to something other than (version, byte order, ...)", offset: offset)
        }
        let order: String? = switch fields[1] {
        case let .string(text): text
        case let .bytes(raw): String(decoding: raw, as: UTF8.self)
        default: nil
        }
        guard let order, ["|", "<", "=", ">"].contains(order) else {
            throw Unpickler.Failure(message: "gives a numpy dtype the byte order \(fields[1].kind), not one of | < = >", offset: offset)
        }
    }
}
