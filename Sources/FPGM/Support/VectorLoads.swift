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

/// sum_i x_i over `count` values, in eight Float64 lanes (the same order on every run).
@inline(__always)
func wideSum(_ x: UnsafePointer<Float>, count: Int) -> Double {
    var lanes = SIMD8<Double>(), i = 0
    while i + 8 <= count {
        lanes += wideLoad(x + i)
        i += 8
    }
    var total = lanes.sum()
    while i < count {
        total += Double(x[i])
        i += 1
    }
    return total
}

/// sum_i (x_i - mean)^2 over `count` values, in eight Float64 lanes.
@inline(__always)
func wideSquaredDeviations(_ x: UnsafePointer<Float>, count: Int, mean: Double) -> Double {
    var lanes = SIMD8<Double>(), i = 0
    let center = SIMD8<Double>(repeating: mean)
    while i + 8 <= count {
        let d = wideLoad(x + i) - center
        lanes += d * d
        i += 8
    }
    var total = lanes.sum()
    while i < count {
        let d = Double(x[i]) - mean
        total += d * d
        i += 1
    }
    return total
}

/// target[i] += source[i] for i in 0..<count, eight lanes at a time.
@inline(__always)
func accumulate(_ target: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        let sum = UnsafeRawPointer(target + i).loadUnaligned(as: SIMD8<Float>.self) + UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(target + i).storeBytes(of: sum, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count {
        target[i] += source[i]
        i += 1
    }
}

