/// A restricted unpickler for PyTorch checkpoints and CIFAR-10 python batches: the protocol 2-5 opcodes
/// those files use, and only the globals of `AllowedGlobal` for the vocabulary it reads. Nothing in the
/// file is ever executed: REDUCE applies one of a few known constructors, every other global is refused
/// by name before anything is built.
///
/// Bounds: every length is checked against the bytes left, memo references must exist, tuples nest
/// at most `maximumTupleDepth` deep, and lists and dicts (which pickle can nest without limit) are
/// emptied one by one when the unpickler ends, so that no deep structure is ever freed recursively.
struct Unpickler {
    struct Failure: Error {
        let message: String
        let offset: Int
    }

    static let maximumTupleDepth = 64

    /// What a file may contain.
    enum Vocabulary {
        /// A PyTorch state dict: tensors of storages named by persistent ids; Python 2 strings are text.
        case stateDict
        /// A CIFAR-10 python batch: a dict of lists, strings and one uint8 numpy array; Python 2 strings
        /// are bytes (as `pickle.load(file, encoding="bytes")` reads them).
        case imageBatch
    }

    private let bytes: UnsafeRawBufferPointer
    private(set) var position: Int
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    /// Every storage the persistent ids named, in order.
    private(set) var storages: [StorageReference] = []
    /// The element type of each root storage named so far: a storage has one, and its size is checked for it.
    private var storageTypes: [String: ScalarType] = [:]
    private let containers: ContainerRegistry
    private let vocabulary: Vocabulary

    /// An unpickler over `bytes` starting at `position`; the containers it creates are registered in
    /// `containers`, which empties them when it is released.
    init(_ bytes: UnsafeRawBufferPointer, at position: Int, containers: ContainerRegistry, vocabulary: Vocabulary = .stateDict) {
        self.bytes = bytes
        self.position = position
        self.containers = containers
        self.vocabulary = vocabulary
    }

    /// Runs to the STOP opcode and returns the value it leaves; `position` is then just past STOP.
    mutating func load() throws(Failure) -> PickleValue {
        while true {
            let offset = position
            let opcode = try byte()
            if opcode == 0x2E { // STOP
                guard let value = stack.popLast(), !isMark(value) else { throw Failure(message: "ends with an empty stack", offset: offset) }
                return value
            }
            if try scalar(opcode, at: offset) { continue }
            if try stackOrMemo(opcode, at: offset) { continue }
            if try container(opcode, at: offset) { continue }
            guard try object(opcode, at: offset) else {
                throw Failure(message: "uses pickle opcode 0x\(String(opcode, radix: 16)), which a state dict does not need", offset: offset)
            }
        }
    }

    /// The protocol, framing, mark, memo and stack opcodes; false for another opcode.
    private mutating func stackOrMemo(_ opcode: UInt8, at offset: Int) throws(Failure) -> Bool {
        func fail(_ message: String) -> Failure { Failure(message: message, offset: offset) }
        switch opcode {
        case 0x80: // PROTO
            let version = try byte()
            guard (2...5).contains(version) else { throw fail("uses pickle protocol \(version), not 2 to 5") }
        case 0x95: // FRAME: an advisory length; the opcodes follow in line.
            _ = try integer(8)
        case 0x28: // MARK
            marks.append(stack.count)
        case 0x71: // BINPUT
            memo[Int(try byte())] = try top(offset)
        case 0x72: // LONG_BINPUT
            memo[try integer(4)] = try top(offset)
        case 0x94: // MEMOIZE
            memo[memo.count] = try top(offset)
        case 0x68, 0x6A: // BINGET, LONG_BINGET
            let index = opcode == 0x68 ? Int(try byte()) : try integer(4)
            guard let value = memo[index] else { throw fail("refers to memo entry \(index), which does not exist") }
            stack.append(value)
        case 0x30: // POP
            guard stack.popLast() != nil else { throw fail("pops an empty stack") }
        case 0x31: // POP_MARK
            _ = try popToMark()
        case 0x32: // DUP
            stack.append(try top(offset))
        default:
            return false
        }
        return true
    }

    /// The opcodes that push a number, a string, bytes, None or a boolean; false for another opcode.
    private mutating func scalar(_ opcode: UInt8, at offset: Int) throws(Failure) -> Bool {
        func fail(_ message: String) -> Failure { Failure(message: message, offset: offset) }
        switch opcode {
        case 0x4A: // BININT
            stack.append(.int(Int(Int32(truncatingIfNeeded: try integer(4)))))
        case 0x4B: // BININT1
            stack.append(.int(Int(try byte())))
        case 0x4D: // BININT2
            stack.append(.int(try integer(2)))
        case 0x8A, 0x8B: // LONG1, LONG4
            let length = opcode == 0x8A ? Int(try byte()) : try integer(4)
            let digits = try take(length)
            stack.append(Unpickler.long(digits))
        case 0x47: // BINFLOAT (big-endian)
            let raw = try take(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            stack.append(.float(Double(bitPattern: raw)))
        case 0x4E: stack.append(.none) // NONE
        case 0x88: stack.append(.bool(true)) // NEWTRUE
        case 0x89: stack.append(.bool(false)) // NEWFALSE
        case 0x58, 0x8C, 0x8D: // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
            let length = opcode == 0x8C ? Int(try byte()) : try integer(opcode == 0x58 ? 4 : 8)
            stack.append(.string(String(decoding: try take(length), as: UTF8.self)))
        case 0x54, 0x55: // BINSTRING, SHORT_BINSTRING (Python 2 str)
            let length = opcode == 0x55 ? Int(try byte()) : try integer(4)
            let raw = try take(length)
            stack.append(vocabulary == .imageBatch ? .bytes(Array(raw)) : .string(String(decoding: raw, as: UTF8.self)))
        case 0x42, 0x43, 0x8E: // BINBYTES, SHORT_BINBYTES, BINBYTES8
            let length = opcode == 0x43 ? Int(try byte()) : try integer(opcode == 0x42 ? 4 : 8)
            stack.append(.bytes(Array(try take(length))))
        default:
            return false
        }
        return true
    }

    /// The opcodes that make and fill dicts, lists and tuples; false for another opcode.
    private mutating func container(_ opcode: UInt8, at offset: Int) throws(Failure) -> Bool {
        func fail(_ message: String) -> Failure { Failure(message: message, offset: offset) }
        switch opcode {
        case 0x7D: // EMPTY_DICT
            stack.append(.dict(containers.dict()))
        case 0x5D: // EMPTY_LIST
            stack.append(.list(containers.list()))
        case 0x29: // EMPTY_TUPLE
            stack.append(.tuple([]))
        case 0x74: // TUPLE
            stack.append(try tuple(try popToMark(), at: offset))
        case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
            let count = Int(opcode - 0x84)
            guard stack.count >= count else { throw fail("builds a tuple from an empty stack") }
            let items = Array(stack.suffix(count))
            stack.removeLast(count)
            stack.append(try tuple(items, at: offset))
        case 0x73: // SETITEM
            guard stack.count >= 3, case let .dict(dict) = stack[stack.count - 3] else { throw fail("sets an item on something that is not a dict") }
            let value = stack.removeLast(), key = stack.removeLast()
            dict.entries.append((key, value))
        case 0x75: // SETITEMS
            let items = try popToMark()
            guard items.count % 2 == 0, case let .dict(dict)? = stack.last else { throw fail("sets items on something that is not a dict") }
            for pair in stride(from: 0, to: items.count, by: 2) { dict.entries.append((items[pair], items[pair + 1])) }
        case 0x61: // APPEND
            guard stack.count >= 2, case let .list(list) = stack[stack.count - 2] else { throw fail("appends to something that is not a list") }
            list.items.append(stack.removeLast())
        case 0x65: // APPENDS
            let items = try popToMark()
            guard case let .list(list)? = stack.last else { throw fail("appends to something that is not a list") }
            list.items.append(contentsOf: items)
        default:
            return false
        }
        return true
    }

    /// Globals, calls, object state and persistent ids (storages); false for another opcode.
    private mutating func object(_ opcode: UInt8, at offset: Int) throws(Failure) -> Bool {
        func fail(_ message: String) -> Failure { Failure(message: message, offset: offset) }
        switch opcode {
        case 0x63: // GLOBAL
            let module = try line(), name = try line()
            stack.append(.global(try allowed(module, name, at: offset)))
        case 0x93: // STACK_GLOBAL
            guard case let .string(name)? = stack.popLast(), case let .string(module)? = stack.popLast() else {
                throw fail("names a global without two strings")
            }
            stack.append(.global(try allowed(module, name, at: offset)))
        case 0x52: // REDUCE
            guard case let .tuple(arguments)? = stack.popLast(), case let .global(callable)? = stack.popLast() else {
                throw fail("calls something that is not an allowed global")
            }
            stack.append(try apply(callable, arguments, at: offset))
        case 0x62: // BUILD: a numpy array's or dtype's state, or an OrderedDict's `_metadata` (which is dropped).
            guard let state = stack.popLast(), let target = stack.last else { throw fail("sets the state of an empty stack") }
            if case let .numpyArray(array) = target {
                stack[stack.count - 1] = .numpyArray(try NumpyArrayState.built(array, state: state, at: offset))
                return true
            }
            if case .numpyDType = target {
                try NumpyArrayState.checkDTypeState(state, at: offset)
                return true
            }
            guard case .dict = target else { throw fail("sets the state of something that is not a dict") }
            guard case let .dict(attributes) = state,
                  attributes.entries.allSatisfy({ if case .string("_metadata") = $0.key { true } else { false } }) else {
                throw fail("sets object state other than a state dict's _metadata")
            }
        case 0x51: // BINPERSID
            guard vocabulary == .stateDict else { throw fail("names a persistent id, which an image batch does not have") }
            guard let id = stack.popLast() else { throw fail("loads a persistent id from an empty stack") }
            let reference = try storage(id, at: offset)
            let rootKey = reference.view?.rootKey ?? reference.key
            if let known = storageTypes[rootKey], known != reference.dtype {
                throw fail("reads storage '\(rootKey)' both as \(known) and as \(reference.dtype)")
            }
            storageTypes[rootKey] = reference.dtype
            storages.append(reference)
            stack.append(.storage(reference))
        default:
            return false
        }
        return true
    }

    // MARK: - Reading

    private mutating func byte() throws(Failure) -> UInt8 {
        guard position < bytes.count else { throw Failure(message: "ends in the middle of a pickle", offset: position) }
        defer { position += 1 }
        return bytes[position]
    }

    /// An unsigned little-endian integer of `width` bytes; 8-byte values above Int.max are refused.
    private mutating func integer(_ width: Int) throws(Failure) -> Int {
        let raw = try take(width).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard raw <= UInt64(Int.max) else { throw Failure(message: "holds a length or index of \(raw)", offset: position - width) }
        return Int(raw)
    }

    private mutating func take(_ count: Int) throws(Failure) -> UnsafeRawBufferPointer.SubSequence {
        guard count >= 0, count <= bytes.count - position else {
            throw Failure(message: "declares \(count) bytes where only \(bytes.count - position) remain", offset: position)
        }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    /// A newline-terminated text argument (GLOBAL), at most 256 bytes.
    private mutating func line() throws(Failure) -> String {
        let start = position
        while position < bytes.count, bytes[position] != 0x0A {
            guard position - start < 256 else { throw Failure(message: "holds a global name longer than 256 bytes", offset: start) }
            position += 1
        }
        guard position < bytes.count else { throw Failure(message: "ends in the middle of a global name", offset: start) }
        defer { position += 1 }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private func top(_ offset: Int) throws(Failure) -> PickleValue {
        guard let value = stack.last else { throw Failure(message: "stores an empty stack in the memo", offset: offset) }
        return value
    }

    private func isMark(_ value: PickleValue) -> Bool {
        if case .mark = value { return true }
        return false
    }

    private mutating func popToMark() throws(Failure) -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw Failure(message: "closes a mark that was never set", offset: position - 1) }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func tuple(_ items: [PickleValue], at offset: Int) throws(Failure) -> PickleValue {
        let depth = 1 + items.reduce(0) { deepest, item in
            if case let .tuple(inner) = item { return max(deepest, Unpickler.depth(of: inner)) }
            return deepest
        }
        guard depth <= Unpickler.maximumTupleDepth else { throw Failure(message: "nests tuples more than \(Unpickler.maximumTupleDepth) deep", offset: offset) }
        return .tuple(items)
    }

    /// The nesting depth of a tuple's items (tuples only; lists and dicts count as leaves).
    private static func depth(of items: [PickleValue]) -> Int {
        var deepest = 1, level = items, current = 1
        while !level.isEmpty {
            let next = level.flatMap { item -> [PickleValue] in
                if case let .tuple(inner) = item { return inner }
                return []
            }
            if next.isEmpty { break }
            current += 1
            deepest = current
            guard current <= maximumTupleDepth else { return current }
            level = next
        }
        return deepest
    }

    /// A little-endian two's-complement integer of LONG1/LONG4: Int when it fits, else its bytes.
    private static func long(_ digits: UnsafeRawBufferPointer.SubSequence) -> PickleValue {
        guard digits.count <= 8 else { return .bigInt(Array(digits)) }
        guard let last = digits.last else { return .int(0) }
        var value: UInt64 = last & 0x80 != 0 ? ~0 : 0
        for (index, digit) in digits.enumerated() {
            value &= ~(UInt64(0xFF) << (8 * UInt64(index)))
            value |= UInt64(digit) << (8 * UInt64(index))
        }
        return .int(Int(Int64(bitPattern: value)))
    }

    private func allowed(_ module: String, _ name: String, at offset: Int) throws(Failure) -> AllowedGlobal {
        guard let global = AllowedGlobal(module: module, name: name, vocabulary: vocabulary) else {
            let allowed = vocabulary == .stateDict ? "the globals of a state dict" : "numpy's ndarray, dtype and _reconstruct"
            throw Failure(message: "refuses to load the global '\(module).\(name)' (only \(allowed) are allowed)", offset: offset)
        }
        return global
    }

    // MARK: - Building

    private mutating func apply(_ callable: AllowedGlobal, _ arguments: [PickleValue], at offset: Int) throws(Failure) -> PickleValue {
        func fail(_ message: String) -> Failure { Failure(message: message, offset: offset) }
        switch callable {
        case .orderedDict:
            guard arguments.isEmpty else { throw fail("builds an OrderedDict from arguments") }
            return .dict(containers.dict())
        case .rebuildTensor, .rebuildTensorV2:
            guard arguments.count >= 4, case let .storage(storage) = arguments[0], case let .int(storageOffset) = arguments[1],
                  case let .tuple(sizeValues) = arguments[2], case let .tuple(strideValues) = arguments[3] else {
                throw fail("rebuilds a tensor from arguments that are not (storage, offset, size, stride)")
            }
            let shape = try sizeValues.map { value throws(Failure) -> Int in
                guard case let .int(extent) = value, extent >= 0 else { throw fail("rebuilds a tensor with a negative or non-integer size") }
                return extent
            }
            let strides = try strideValues.map { value throws(Failure) -> Int in
                guard case let .int(stride) = value, stride >= 0 else { throw fail("rebuilds a tensor with a negative or non-integer stride") }
                return stride
            }
            guard shape.count == strides.count, storageOffset >= 0 else { throw fail("rebuilds a tensor whose size and stride disagree") }
            guard let count = Tensor.elementCount(of: shape) else { throw fail("rebuilds a tensor of overflowing size \(shape)") }
            if count > 0 {
                var last = storageOffset
                for (extent, stride) in zip(shape, strides) {
                    let (step, overflow1) = (extent - 1).multipliedReportingOverflow(by: stride)
                    let (sum, overflow2) = last.addingReportingOverflow(step)
                    guard !overflow1, !overflow2 else { throw fail("rebuilds a tensor whose strides overflow") }
                    last = sum
                }
                guard last < storage.count else {
                    throw fail("rebuilds a tensor reaching element \(last) of a storage of \(storage.count)")
                }
            }
            return .tensor(TensorReference(storage: storage, offset: storageOffset, shape: shape, strides: strides))
        case .rebuildParameter:
            guard let first = arguments.first, case .tensor = first else { throw fail("rebuilds a parameter from something that is not a tensor") }
            return first
        case let .storageType(type):
            throw fail("calls the storage type \(type.rawValue) directly")
        case .numpyReconstruct:
            guard arguments.count == 3, case .global(.numpyArrayType) = arguments[0] else {
                throw fail("calls numpy's _reconstruct for something other than an ndarray")
            }
            return .numpyArray(NumpyArray(shape: [], dtype: "", bytes: nil))
        case .numpyDType:
            guard let first = arguments.first else { throw fail("builds a numpy dtype without a name") }
            let name: String
            switch first {
            case let .string(text): name = text
            case let .bytes(raw): name = String(decoding: raw, as: UTF8.self)
            default: throw fail("builds a numpy dtype from a \(first.kind)")
            }
            guard name == "u1" || name == "uint8" else {
                throw fail("builds a numpy array of dtype '\(name)'; an image batch holds bytes (u1) only")
            }
            return .numpyDType(name)
        case .numpyArrayType:
            throw fail("calls numpy.ndarray directly")
        }
    }

    /// A persistent id ('storage', type, key, location, count[, view]) as a storage reference.
    private func storage(_ id: PickleValue, at offset: Int) throws(Failure) -> StorageReference {
        func fail() -> Failure { Failure(message: "holds a persistent id that is not a storage", offset: offset) }
        guard case let .tuple(fields) = id, fields.count == 5 || fields.count == 6,
              case .string("storage") = fields[0], case let .global(.storageType(dtype)) = fields[1],
              case let .string(key) = fields[2], case let .int(count) = fields[4], count >= 0 else { throw fail() }
        var view: (String, Int)?
        if fields.count == 6, case let .tuple(viewFields) = fields[5] {
            guard viewFields.count == 3, case let .string(rootKey) = viewFields[0], case let .int(viewOffset) = viewFields[1],
                  viewOffset >= 0 else { throw fail() }
            view = (rootKey, viewOffset)
        }
        return StorageReference(dtype: dtype, key: key, count: count, view: view)
    }
}

/// Every list and dict an unpickler created; releasing the registry empties them one by one, so
/// that nested containers are freed iteratively (a pickle can nest them 100,000 deep, or in cycles).
final class ContainerRegistry {
    private var lists: [PickleList] = []
    private var dicts: [PickleDict] = []

    func list() -> PickleList {
        let list = PickleList()
        lists.append(list)
        return list
    }

    func dict() -> PickleDict {
        let dict = PickleDict()
        dicts.append(dict)
        return dict
    }

    deinit {
        for list in lists { list.items.removeAll() }
        for dict in dicts { dict.entries.removeAll() }
    }
}
