import Foundation

extension ScalarType {
    /// Converts `count` little-endian (or, with `bigEndian`, big-endian) elements of this type
    /// starting at `bytes` to Float32. The caller has checked that count * byteWidth bytes exist.
    /// Half and bfloat16 are widened exactly; 64-bit values round to the nearest Float32.
    func decode(_ bytes: UnsafeRawBufferPointer, count: Int, bigEndian: Bool = false) -> [Float] {
        let width = byteWidth
        func raw<T: FixedWidthInteger>(_ type: T.Type, _ i: Int) -> T {
            let value = bytes.loadUnaligned(fromByteOffset: i * width, as: T.self)
            return bigEndian ? T(bigEndian: value) : T(littleEndian: value)
        }
        switch self {
        case .float32:
            if !bigEndian {
                return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<(count * 4)]))
                    initialized = count
                }
            }
            return (0..<count).map { Float(bitPattern: raw(UInt32.self, $0)) }
        case .float64: return (0..<count).map { Float(Double(bitPattern: raw(UInt64.self, $0))) }
        case .float16: return (0..<count).map { Self.halfToFloat(raw(UInt16.self, $0)) }
        case .bfloat16: return (0..<count).map { Float(bitPattern: UInt32(raw(UInt16.self, $0)) << 16) }
        case .int64: return (0..<count).map { Float(Int64(bitPattern: raw(UInt64.self, $0))) }
        case .int32: return (0..<count).map { Float(Int32(bitPattern: raw(UInt32.self, $0))) }
        case .int16: return (0..<count).map { Float(Int16(bitPattern: raw(UInt16.self, $0))) }
        case .int8: return (0..<count).map { Float(Int8(bitPattern: bytes[$0])) }
        case .uint8: return (0..<count).map { Float(bytes[$0]) }
        case .bool: return (0..<count).map { bytes[$0] == 0 ? 0 : 1 }
        }
    }

    /// IEEE 754 binary16 to binary32: sign, 5-bit exponent (bias 15), 10-bit fraction;
    /// subnormals are normalised, infinities and NaNs kept.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = UInt32((h >> 10) & 0x1F)
        var fraction = UInt32(h & 0x3FF)
        switch exponent {
        case 0:
            guard fraction != 0 else { return Float(bitPattern: sign) }
            var e: UInt32 = 127 - 15 + 1
            while fraction & 0x400 == 0 { fraction <<= 1; e -= 1 }
            return Float(bitPattern: sign | (e << 23) | ((fraction & 0x3FF) << 13))
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (fraction << 13))
        default:
            return Float(bitPattern: sign | ((exponent + 127 - 15) << 23) | (fraction << 13))
        }
    }
}
