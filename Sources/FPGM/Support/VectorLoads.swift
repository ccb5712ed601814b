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
