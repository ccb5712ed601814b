import Foundation

/// Bytes read in order, from memory or from a zip entry, so that readers copy data once, straight
/// into its final storage.
protocol ByteSource {
    /// The bytes not yet read.
    var remaining: Int { get }
    /// Fills `buffer` with the next `buffer.count` bytes; callers check `remaining` first.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(CheckpointError)
}

extension ByteSource {
    /// The next `count` elements of `dtype` as Float32: little-endian float32 is read straight into
    /// the result's storage, other types are decoded from a copy.
    mutating func readScalars(_ dtype: ScalarType, count: Int, bigEndian: Bool) throws(CheckpointError) -> [Float] {
        guard dtype == .float32 && !bigEndian else {
            let raw = try readBytes(count * dtype.byteWidth)
            return raw.withUnsafeBytes { dtype.decode($0, count: count, bigEndian: bigEndian) }
        }
        return try readArray(of: Float.self, count: count)
    }

    /// The next `count` bytes as an array.
    mutating func readBytes(_ count: Int) throws(CheckpointError) -> [UInt8] {
        try readArray(of: UInt8.self, count: count)
    }

    /// The next `count` elements of a plain type, read straight into a new array's storage.
    private mutating func readArray<Element: BitwiseCopyable>(of type: Element.Type, count: Int) throws(CheckpointError) -> [Element] {
        var error: CheckpointError?
        let elements = [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(CheckpointError) { try read(into: UnsafeMutableRawBufferPointer(buffer)) } catch let failure { error = failure }
            initialized = count
        }
        if let error { throw error }
        return elements
    }
}

/// Bytes of a `Data` value.
struct MemorySource: ByteSource {
    let data: Data
    let file: String
    private var position = 0

    init(data: Data, file: String) {
        self.data = data
        self.file = file
    }

    var remaining: Int { data.count - position }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(CheckpointError) {
        guard buffer.count <= remaining else { throw CheckpointError(file: file, problem: "ends early (truncated?)") }
        data.withUnsafeBytes { raw in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[position..<(position + buffer.count)]))
        }
        position += buffer.count
    }
}
