/// Eight consecutive values loaded as one SIMD vector (no alignment needed), widened to Float64:
/// the building block of the engine's Float64-accumulating loops.
@inline(__always)
func wideLoad(_ pointer: UnsafePointer<Float>) -> SIMD8<Double> {
    SIMD8<Double>(UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self))
}

@inline(__always)
func wideLoad(_ pointer: UnsafePointer<Double>) -> SIMD8<Double> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Double>.self)
}

/// out[i] = a[i] + b[i] for i in 0..<count, eight lanes at a time (out may be a or b).
@inline(__always)
func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        let sum = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self) + UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + i).storeBytes(of: sum, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count {
        out[i] = a[i] + b[i]
        i += 1
    }
}
