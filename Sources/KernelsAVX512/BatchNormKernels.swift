import ConvolutionKernels

/// The loops of batch normalisation in training, over one channel's run of values, as compiled for
/// this module's processor (see `BatchNormKernelSet`). Sums accumulate in Float64 lanes, each lane
/// adding its values in order, and the lanes are added in a fixed tree; every other value is computed
/// lane by lane. Nothing depends on the vector registers, so every set gives the same bits.
public enum BatchNormKernels: BatchNormKernelSet {
    public static func statistics(_ z: UnsafePointer<Float>, count: Int) -> (mean: Double, variance: Double) {
        guard count > 0 else { return (0, 0) }
        var sums = Lanes(), i = 0
        while i + 32 <= count {
            sums.add(widened(z + i), widened(z + i + 8), widened(z + i + 16), widened(z + i + 24))
            i += 32
        }
        var sum = sums.total
        for j in i..<count { sum += Double(z[j]) }
        let mean = sum / Double(count), center = SIMD8<Double>(repeating: mean)
        var squares = Lanes()
        i = 0
        while i + 32 <= count {
            let (a, b, c, d) = (widened(z + i) - center, widened(z + i + 8) - center, widened(z + i + 16) - center, widened(z + i + 24) - center)
            squares.add(a * a, b * b, c * c, d * d)
            i += 32
        }
        var deviations = squares.total
        for j in i..<count {
            let d = Double(z[j]) - mean
            deviations += d * d
        }
        return (mean, deviations / Double(count))
    }

    public static func normalize(_ z: UnsafePointer<Float>, count: Int, mean: Float, inverseDeviation: Float, gamma: Float, beta: Float,
                                 residual: UnsafePointer<Float>?, floor: Float, normalized: UnsafeMutablePointer<Float>,
                                 into out: UnsafeMutablePointer<Float>) {
        let (m, s, g, b, f) = (Vector(repeating: mean), Vector(repeating: inverseDeviation), Vector(repeating: gamma), Vector(repeating: beta),
                               Vector(repeating: floor))
        var i = 0
        while i + Vector.scalarCount <= count {
            let h = (load(z + i) - m) * s
            var y = g * h + b
            if let residual { y += load(residual + i) }
            store(h, normalized + i)
            store(y.replacing(with: f, where: y .< f), out + i)
            i += Vector.scalarCount
        }
        while i < count {
            let h = (z[i] - mean) * inverseDeviation
            var y = gamma * h + beta
            if let residual { y += residual[i] }
            normalized[i] = h
            out[i] = y < floor ? floor : y
            i += 1
        }
    }

    public static func gradientSums(_ dy: UnsafePointer<Float>, normalized zhat: UnsafePointer<Float>, count: Int,
                                    rectified: UnsafePointer<Float>?, masked: UnsafeMutablePointer<Float>) -> (sum: Double, dot: Double) {
        var (sum, dot) = (SIMD8<Double>(), SIMD8<Double>()), (sum2, dot2) = (SIMD8<Double>(), SIMD8<Double>()), i = 0
        while i + 16 <= count {
            var g = load(dy + i)
            if let rectified {
                g.replace(with: 0, where: load(rectified + i) .<= 0)
                store(g, masked + i)
            }
            let (low, high) = (SIMD8<Double>(g.lowHalf), SIMD8<Double>(g.highHalf))
            sum += low
            sum2 += high
            dot += low * widened(zhat + i)
            dot2 += high * widened(zhat + i + 8)
            i += 16
        }
        var (totalSum, totalDot) = (horizontal(sum + sum2), horizontal(dot + dot2))
        while i < count {
            let g = rectified.map { $0[i] > 0 ? dy[i] : 0 } ?? dy[i]
            if rectified != nil { masked[i] = g }
            totalSum += Double(g)
            totalDot += Double(g) * Double(zhat[i])
            i += 1
        }
        return (totalSum, totalDot)
    }

    public static func inputGradient(_ dy: UnsafePointer<Float>, normalized zhat: UnsafePointer<Float>, count: Int, scale: Float, meanDy: Float,
                                     meanDyZhat: Float, into dz: UnsafeMutablePointer<Float>) {
        inputGradientRun(dy, zhat, count: count, scale: scale, meanDy: meanDy, meanDyZhat: meanDyZhat, into: dz)
    }

    public static func paddedInputGradient(_ dy: UnsafePointer<Float>, normalized zhat: UnsafePointer<Float>, height: Int, width: Int, scale: Float,
                                           meanDy: Float, meanDyZhat: Float, into plane: UnsafeMutablePointer<Float>, rowStride: Int, length: Int) {
        clear(plane, count: 1 + rowStride)
        for y in 0..<height {
            let row = plane + 1 + (y + 1) * rowStride
            inputGradientRun(dy + y * width, zhat + y * width, count: width, scale: scale, meanDy: meanDy, meanDyZhat: meanDyZhat, into: row)
            clear(row + width, count: rowStride - width)
        }
        let end = 1 + (height + 1) * rowStride
        clear(plane + end, count: length - end)
    }

    /// dz = scale (dy - meanDy - zhat meanDyZhat) over `count` values, in vectors of 16, then 8, then one by one.
    @inline(__always)
    private static func inputGradientRun(_ dy: UnsafePointer<Float>, _ zhat: UnsafePointer<Float>, count: Int, scale: Float, meanDy: Float,
                                         meanDyZhat: Float, into dz: UnsafeMutablePointer<Float>) {
        let (s, a, b) = (Vector(repeating: scale), Vector(repeating: meanDy), Vector(repeating: meanDyZhat))
        var i = 0
        while i + Vector.scalarCount <= count {
            store(s * (load(dy + i) - a - load(zhat + i) * b), dz + i)
            i += Vector.scalarCount
        }
        if i + 8 <= count {
            let (s, a, b) = (s.lowHalf, a.lowHalf, b.lowHalf)
            let g = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD8<Float>.self), h = UnsafeRawPointer(zhat + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dz + i).storeBytes(of: s * (g - a - h * b), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            dz[i] = scale * (dy[i] - meanDy - zhat[i] * meanDyZhat)
            i += 1
        }
    }

    /// Sets `count` floats to zero.
    @inline(__always)
    private static func clear(_ target: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + Vector.scalarCount <= count {
            store(Vector(), target + i)
            i += Vector.scalarCount
        }
        while i < count {
            target[i] = 0
            i += 1
        }
    }

    /// The vectors of the elementwise loops (lane by lane, so their width changes no value).
    private typealias Vector = SIMD16<Float>

    /// Four vectors of eight Float64 lanes: lane k of vector v sums the values 32 j + 8 v + k.
    private struct Lanes {
        var a = SIMD8<Double>(), b = SIMD8<Double>(), c = SIMD8<Double>(), d = SIMD8<Double>()

        @inline(__always)
        mutating func add(_ x: SIMD8<Double>, _ y: SIMD8<Double>, _ z: SIMD8<Double>, _ w: SIMD8<Double>) {
            a += x
            b += y
            c += z
            d += w
        }

        /// ((a + b) + (c + d)), then its lanes by `horizontal`.
        var total: Double { horizontal((a + b) + (c + d)) }
    }

    /// The eight lanes added as a tree: halves, then halves of the sum, then the last two.
    @inline(__always)
    private static func horizontal(_ v: SIMD8<Double>) -> Double {
        let four = v.lowHalf + v.highHalf, two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    @inline(__always)
    private static func widened(_ pointer: UnsafePointer<Float>) -> SIMD8<Double> {
        SIMD8<Double>(UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self))
    }

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self) }

    @inline(__always)
    private static func store(_ vector: Vector, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: vector, as: Vector.self)
    }
}
