import Foundation

/// Reads one NumPy `.npy` array (format versions 1.0, 2.0 and 3.0): the magic `\x93NUMPY`, a version,
/// a little-endian header length (2 bytes in 1.0, 4 bytes after), a header that is a Python dict
/// literal with `descr`, `fortran_order` and `shape`, then the raw data.
enum NPYReader {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    /// Headers longer than this are refused before they are read.
    static let maximumHeaderLength = 1 << 20

    /// The array in `data` as a tensor named `name`; `file` names the file in errors.
    static func read(_ data: Data, name: String, file: String) throws(CheckpointError) -> StoredTensor {
        var source = MemorySource(data: data, file: file)
        return try read(from: &source, name: name, file: file)
    }

    /// The array at the start of `source`, read in order (see `ByteSource.readScalars`).
    static func read<Source: ByteSource>(from source: inout Source, name: String, file: String) throws(CheckpointError) -> StoredTensor {
        func fail(_ problem: String) -> CheckpointError {
            CheckpointError(file: file, problem: name.isEmpty ? problem : "array '\(name)' \(problem)")
        }
        guard source.remaining >= 10 else { throw fail("is not a .npy array (shorter than its signature)") }
        let prefix = try source.readBytes(8)
        guard prefix.prefix(6).elementsEqual(magic) else { throw fail("is not a .npy array (bad magic)") }
        let major = prefix[6]
        let lengthBytes: Int
        switch major {
        case 1: lengthBytes = 2
        case 2, 3: lengthBytes = 4
        default: throw fail("has unsupported format version \(major)")
        }
        guard source.remaining >= lengthBytes else { throw fail("is truncated in its header length") }
        let headerLength = try source.readBytes(lengthBytes).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard headerLength <= maximumHeaderLength else { throw fail("declares a header of \(headerLength) bytes, more than allowed") }
        guard headerLength <= source.remaining else {
            throw fail("declares a header of \(headerLength) bytes but only \(source.remaining) follow")
        }
        guard let headerText = String(bytes: try source.readBytes(headerLength), encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw fail("has a header that is not text")
        }
        let header: NPYHeader
        do { header = try NPYHeader(parsing: headerText) } catch { throw fail("has a malformed header (\(error.reason))") }
        guard let count = Tensor.elementCount(of: header.shape) else {
            throw fail("has a negative or overflowing shape \(header.shape)")
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: header.dtype.byteWidth)
        guard !overflow, byteCount <= source.remaining else {
            throw fail("declares shape \(header.shape) of \(header.dtype.rawValue), more data than the \(source.remaining) bytes present")
        }
        let scalars = try source.readScalars(header.dtype, count: count, bigEndian: header.bigEndian)
        // An empty array has no order to undo (and its other extents may be huge).
        guard header.fortranOrder, count > 0 else {
            return StoredTensor(name: name, dtype: header.dtype, tensor: Tensor(validShape: header.shape, scalars: scalars))
        }
        // Column-major data: axis j advances by the product of the extents before it (which cannot
        // overflow: their product, the element count, did not).
        var strides = [Int](), step = 1
        for extent in header.shape { strides.append(step); step *= extent }
        guard let tensor = Tensor(viewing: scalars, shape: header.shape, strides: strides, offset: 0) else {
            throw fail("has Fortran-ordered data that does not fill its shape")
        }
        return StoredTensor(name: name, dtype: header.dtype, tensor: tensor)
    }

}

/// The dict literal of a `.npy` header, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (16, 3), }`.
struct NPYHeader {
    let dtype: ScalarType
    let bigEndian: Bool
    let fortranOrder: Bool
    let shape: [Int]

    struct ParseError: Error { let reason: String }

    init(parsing text: String) throws(ParseError) {
        var scanner = LiteralScanner(text)
        guard case let .dict(entries) = try scanner.value() else { throw ParseError(reason: "not a dict") }
        guard case let .string(descr)? = entries["descr"] else { throw ParseError(reason: "no 'descr'") }
        guard case let .bool(fortran)? = entries["fortran_order"] else { throw ParseError(reason: "no 'fortran_order'") }
        guard case let .tuple(dims)? = entries["shape"] else { throw ParseError(reason: "no 'shape'") }
        let order = descr.first
        let code = String(descr.dropFirst())
        let types: [String: ScalarType] = ["f4": .float32, "f8": .float64, "f2": .float16, "i8": .int64, "i4": .int32,
                                           "i2": .int16, "i1": .int8, "u1": .uint8, "b1": .bool]
        guard let type = types[code], let order, "<>|=".contains(order) else {
            throw ParseError(reason: "unsupported dtype '\(descr)'")
        }
        dtype = type
        bigEndian = order == ">"
        fortranOrder = fortran
        shape = dims
    }
}

/// A scanner for the subset of Python literals a `.npy` header uses: dicts with string keys, strings,
/// booleans, integers and tuples of integers.
struct LiteralScanner {
    enum Value { case dict([String: Value]), string(String), bool(Bool), int(Int), tuple([Int]) }

    static let maximumDepth = 4
    private let characters: [Character]
    private var position = 0

    init(_ text: String) { characters = Array(text) }

    /// The next value; nesting deeper than `maximumDepth` is refused, so no header can exhaust the stack.
    mutating func value(depth: Int = 0) throws(NPYHeader.ParseError) -> Value {
        guard depth < LiteralScanner.maximumDepth else { throw .init(reason: "nested too deeply") }
        skipSpace()
        guard position < characters.count else { throw .init(reason: "unexpected end") }
        switch characters[position] {
        case "{":
            position += 1
            var entries = [String: Value]()
            while true {
                skipSpace()
                if peek("}") { position += 1; return .dict(entries) }
                guard case let .string(key) = try value(depth: depth + 1) else { throw .init(reason: "dict key is not a string") }
                skipSpace()
                guard peek(":") else { throw .init(reason: "expected ':'") }
                position += 1
                entries[key] = try value(depth: depth + 1)
                skipSpace()
                if peek(",") { position += 1 }
            }
        case "(":
            position += 1
            var items = [Int]()
            while true {
                skipSpace()
                if peek(")") { position += 1; return .tuple(items) }
                guard case let .int(item) = try value(depth: depth + 1) else { throw .init(reason: "shape entry is not an integer") }
                items.append(item)
                skipSpace()
                if peek(",") { position += 1 }
            }
        case "'", "\"":
            let quote = characters[position]
            position += 1
            var text = ""
            while position < characters.count, characters[position] != quote {
                text.append(characters[position]); position += 1
            }
            guard position < characters.count else { throw .init(reason: "unterminated string") }
            position += 1
            return .string(text)
        default:
            var word = ""
            while position < characters.count, characters[position].isLetter || characters[position].isNumber || characters[position] == "-" {
                word.append(characters[position]); position += 1
            }
            if word == "True" { return .bool(true) }
            if word == "False" { return .bool(false) }
            if word.hasSuffix("L") { word.removeLast() }
            guard let number = Int(word) else {
                let found = !word.isEmpty ? word : position < characters.count ? String(characters[position]) : "the end of the header"
                throw .init(reason: "unexpected '\(found)'")
            }
            return .int(number)
        }
    }

    private mutating func skipSpace() {
        while position < characters.count, characters[position].isWhitespace { position += 1 }
    }

    private func peek(_ character: Character) -> Bool {
        position < characters.count && characters[position] == character
    }
}
