/// Convolution micro-kernels on 16-float vectors, compiled for AVX-512 on x86-64 (see Package.swift):
/// call them only where `DirectConvolution.isAvailable` says the processor has it.
///
/// A convolution of stride 1 over zero-padded input planes is a sum of shifted planes: for an output
/// position q on the padded grid (row stride `pw`, so q = y pw + x), out_o(q) = sum_d w_od x(q + s_d), where
/// d runs over (input channel c, kernel row ky, kernel column kx) and the displacement s_d is
/// c (channel stride) + ky pw + kx.
/// Each kernel keeps a block of filters x positions in registers and runs over d; the weights are packed
/// so that the block's filters for one d are adjacent ([filter block][d][filter in block]).
public enum DirectConvolution {
    /// Positions per call of the wide kernels.
    public static let positionsPerBlock = 48

    /// out[o][q] = sum_d w[o][d] x[q + displacements[d]] for the `filters` filters (a multiple of 4) and
    /// the positions q in 0..<count (a multiple of 8), `out` rows `outStride` apart. `packed` holds the
    /// weights as `pack` writes them; `x` must be readable up to the largest displacement + count.
    public static func run(packed: UnsafePointer<Float>, filters: Int, depth: Int, x: UnsafePointer<Float>,
                           displacements: UnsafePointer<Int>, count: Int, out: UnsafeMutablePointer<Float>, outStride: Int) {
        precondition(filters % 4 == 0 && count % 8 == 0, "filters must be a multiple of 4 and count of 8")
        var first = 0
        while first < filters {
            let eight = filters - first >= 8
            let w = packed + first * depth, rows = out + first * outStride
            var q = 0
            while q < count {
                let left = count - q
                switch (eight, left >= positionsPerBlock ? 3 : left >= 16 ? 1 : 0) {
                case (true, 3): block8x3(w, x + q, rows + q, depth: depth, displacements: displacements, outStride: outStride)
                case (true, 1): block8x1(w, x + q, rows + q, depth: depth, displacements: displacements, outStride: outStride)
                case (true, _): block8xHalf(w, x + q, rows + q, depth: depth, displacements: displacements, outStride: outStride)
                case (false, 3): block4x3(w, x + q, rows + q, depth: depth, displacements: displacements, outStride: outStride)
                case (false, 1): block4x1(w, x + q, rows + q, depth: depth, displacements: displacements, outStride: outStride)
                case (false, _): block4xHalf(w, x + q, rows + q, depth: depth, displacements: displacements, outStride: outStride)
                }
                q += left >= positionsPerBlock ? positionsPerBlock : left >= 16 ? 16 : 8
            }
            first += eight ? 8 : 4
        }
    }

    /// Fills one zero-padded plane of `length` floats with rows `stride` apart: a zero, a zero row, then
    /// `rows` rows whose first `columns` values are source[y rowStep + x columnStep] and the rest zero,
    /// then zeros to the end (the zero row below and the slack).
    public static func fillPlane(_ source: UnsafePointer<Float>, rowStep: Int, columnStep: Int, rows: Int, columns: Int,
                                 into plane: UnsafeMutablePointer<Float>, stride: Int, length: Int) {
        plane.update(repeating: 0, count: 1 + stride)
        for y in 0..<rows {
            let from = source + y * rowStep, to = plane + 1 + (y + 1) * stride
            var x = 0
            if columnStep == 1 {
                while x + 8 <= columns {
                    UnsafeMutableRawPointer(to + x).storeBytes(of: UnsafeRawPointer(from + x).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                    x += 8
                }
            }
            while x < columns { to[x] = from[x * columnStep]; x += 1 }
            while x < stride { to[x] = 0; x += 1 }
        }
        let end = 1 + (rows + 1) * stride
        (plane + end).update(repeating: 0, count: length - end)
    }

    /// `weights` ([filters][depth], filters a multiple of 4) in the order `run` reads: blocks of 8
    /// filters (then one of 4 if needed), each [d][filter in block].
    public static func pack(_ weights: [Float], filters: Int, depth: Int) -> [Float] {
        precondition(filters % 4 == 0 && weights.count == filters * depth, "pack needs filters x depth weights, filters a multiple of 4")
        var packed = [Float](repeating: 0, count: weights.count)
        var first = 0
        while first < filters {
            let size = filters - first >= 8 ? 8 : 4
            for d in 0..<depth {
                for o in 0..<size { packed[first * depth + d * size + o] = weights[(first + o) * depth + d] }
            }
            first += size
        }
        return packed
    }

    /// 8 filters x 48 positions.
    @inline(__always)
    static func block8x3(_ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, depth: Int,
                       displacements: UnsafePointer<Int>, outStride: Int) {
        var a0_0 = SIMD16<Float>(), a0_1 = SIMD16<Float>(), a0_2 = SIMD16<Float>()
        var a1_0 = SIMD16<Float>(), a1_1 = SIMD16<Float>(), a1_2 = SIMD16<Float>()
        var a2_0 = SIMD16<Float>(), a2_1 = SIMD16<Float>(), a2_2 = SIMD16<Float>()
        var a3_0 = SIMD16<Float>(), a3_1 = SIMD16<Float>(), a3_2 = SIMD16<Float>()
        var a4_0 = SIMD16<Float>(), a4_1 = SIMD16<Float>(), a4_2 = SIMD16<Float>()
        var a5_0 = SIMD16<Float>(), a5_1 = SIMD16<Float>(), a5_2 = SIMD16<Float>()
        var a6_0 = SIMD16<Float>(), a6_1 = SIMD16<Float>(), a6_2 = SIMD16<Float>()
        var a7_0 = SIMD16<Float>(), a7_1 = SIMD16<Float>(), a7_2 = SIMD16<Float>()
        for d in 0..<depth {
            let p = x + displacements[d], f = w + d * 8
            let x0 = UnsafeRawPointer(p + 0).loadUnaligned(as: SIMD16<Float>.self)
            let x1 = UnsafeRawPointer(p + 16).loadUnaligned(as: SIMD16<Float>.self)
            let x2 = UnsafeRawPointer(p + 32).loadUnaligned(as: SIMD16<Float>.self)
            let w0 = SIMD16<Float>(repeating: f[0])
            a0_0.addProduct(w0, x0)
            a0_1.addProduct(w0, x1)
            a0_2.addProduct(w0, x2)
            let w1 = SIMD16<Float>(repeating: f[1])
            a1_0.addProduct(w1, x0)
            a1_1.addProduct(w1, x1)
            a1_2.addProduct(w1, x2)
            let w2 = SIMD16<Float>(repeating: f[2])
            a2_0.addProduct(w2, x0)
            a2_1.addProduct(w2, x1)
            a2_2.addProduct(w2, x2)
            let w3 = SIMD16<Float>(repeating: f[3])
            a3_0.addProduct(w3, x0)
            a3_1.addProduct(w3, x1)
            a3_2.addProduct(w3, x2)
            let w4 = SIMD16<Float>(repeating: f[4])
            a4_0.addProduct(w4, x0)
            a4_1.addProduct(w4, x1)
            a4_2.addProduct(w4, x2)
            let w5 = SIMD16<Float>(repeating: f[5])
            a5_0.addProduct(w5, x0)
            a5_1.addProduct(w5, x1)
            a5_2.addProduct(w5, x2)
            let w6 = SIMD16<Float>(repeating: f[6])
            a6_0.addProduct(w6, x0)
            a6_1.addProduct(w6, x1)
            a6_2.addProduct(w6, x2)
            let w7 = SIMD16<Float>(repeating: f[7])
            a7_0.addProduct(w7, x0)
            a7_1.addProduct(w7, x1)
            a7_2.addProduct(w7, x2)
        }
        UnsafeMutableRawPointer(out + 0 * outStride + 0).storeBytes(of: a0_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 0 * outStride + 16).storeBytes(of: a0_1, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 0 * outStride + 32).storeBytes(of: a0_2, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 1 * outStride + 0).storeBytes(of: a1_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 1 * outStride + 16).storeBytes(of: a1_1, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 1 * outStride + 32).storeBytes(of: a1_2, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 2 * outStride + 0).storeBytes(of: a2_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 2 * outStride + 16).storeBytes(of: a2_1, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 2 * outStride + 32).storeBytes(of: a2_2, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 3 * outStride + 0).storeBytes(of: a3_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 3 * outStride + 16).storeBytes(of: a3_1, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 3 * outStride + 32).storeBytes(of: a3_2, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 4 * outStride + 0).storeBytes(of: a4_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 4 * outStride + 16).storeBytes(of: a4_1, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 4 * outStride + 32).storeBytes(of: a4_2, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 5 * outStride + 0).storeBytes(of: a5_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 5 * outStride + 16).storeBytes(of: a5_1, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 5 * outStride + 32).storeBytes(of: a5_2, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 6 * outStride + 0).storeBytes(of: a6_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 6 * outStride + 16).storeBytes(of: a6_1, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 6 * outStride + 32).storeBytes(of: a6_2, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 7 * outStride + 0).storeBytes(of: a7_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 7 * outStride + 16).storeBytes(of: a7_1, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 7 * outStride + 32).storeBytes(of: a7_2, as: SIMD16<Float>.self)
    }

    /// 8 filters x 16 positions.
    @inline(__always)
    static func block8x1(_ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, depth: Int,
                       displacements: UnsafePointer<Int>, outStride: Int) {
        var a0_0 = SIMD16<Float>()
        var a1_0 = SIMD16<Float>()
        var a2_0 = SIMD16<Float>()
        var a3_0 = SIMD16<Float>()
        var a4_0 = SIMD16<Float>()
        var a5_0 = SIMD16<Float>()
        var a6_0 = SIMD16<Float>()
        var a7_0 = SIMD16<Float>()
        for d in 0..<depth {
            let p = x + displacements[d], f = w + d * 8
            let x0 = UnsafeRawPointer(p + 0).loadUnaligned(as: SIMD16<Float>.self)
            let w0 = SIMD16<Float>(repeating: f[0])
            a0_0.addProduct(w0, x0)
            let w1 = SIMD16<Float>(repeating: f[1])
            a1_0.addProduct(w1, x0)
            let w2 = SIMD16<Float>(repeating: f[2])
            a2_0.addProduct(w2, x0)
            let w3 = SIMD16<Float>(repeating: f[3])
            a3_0.addProduct(w3, x0)
            let w4 = SIMD16<Float>(repeating: f[4])
            a4_0.addProduct(w4, x0)
            let w5 = SIMD16<Float>(repeating: f[5])
            a5_0.addProduct(w5, x0)
            let w6 = SIMD16<Float>(repeating: f[6])
            a6_0.addProduct(w6, x0)
            let w7 = SIMD16<Float>(repeating: f[7])
            a7_0.addProduct(w7, x0)
        }
        UnsafeMutableRawPointer(out + 0 * outStride + 0).storeBytes(of: a0_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 1 * outStride + 0).storeBytes(of: a1_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 2 * outStride + 0).storeBytes(of: a2_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 3 * outStride + 0).storeBytes(of: a3_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 4 * outStride + 0).storeBytes(of: a4_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 5 * outStride + 0).storeBytes(of: a5_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 6 * outStride + 0).storeBytes(of: a6_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 7 * outStride + 0).storeBytes(of: a7_0, as: SIMD16<Float>.self)
    }

    /// 4 filters x 48 positions.
    @inline(__always)
    static func block4x3(_ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, depth: Int,
                       displacements: UnsafePointer<Int>, outStride: Int) {
        var a0_0 = SIMD16<Float>(), a0_1 = SIMD16<Float>(), a0_2 = SIMD16<Float>()
        var a1_0 = SIMD16<Float>(), a1_1 = SIMD16<Float>(), a1_2 = SIMD16<Float>()
        var a2_0 = SIMD16<Float>(), a2_1 = SIMD16<Float>(), a2_2 = SIMD16<Float>()
        var a3_0 = SIMD16<Float>(), a3_1 = SIMD16<Float>(), a3_2 = SIMD16<Float>()
        for d in 0..<depth {
            let p = x + displacements[d], f = w + d * 4
            let x0 = UnsafeRawPointer(p + 0).loadUnaligned(as: SIMD16<Float>.self)
            let x1 = UnsafeRawPointer(p + 16).loadUnaligned(as: SIMD16<Float>.self)
            let x2 = UnsafeRawPointer(p + 32).loadUnaligned(as: SIMD16<Float>.self)
            let w0 = SIMD16<Float>(repeating: f[0])
            a0_0.addProduct(w0, x0)
            a0_1.addProduct(w0, x1)
            a0_2.addProduct(w0, x2)
            let w1 = SIMD16<Float>(repeating: f[1])
            a1_0.addProduct(w1, x0)
            a1_1.addProduct(w1, x1)
            a1_2.addProduct(w1, x2)
            let w2 = SIMD16<Float>(repeating: f[2])
            a2_0.addProduct(w2, x0)
            a2_1.addProduct(w2, x1)
            a2_2.addProduct(w2, x2)
            let w3 = SIMD16<Float>(repeating: f[3])
            a3_0.addProduct(w3, x0)
            a3_1.addProduct(w3, x1)
            a3_2.addProduct(w3, x2)
        }
        UnsafeMutableRawPointer(out + 0 * outStride + 0).storeBytes(of: a0_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 0 * outStride + 16).storeBytes(of: a0_1, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 0 * outStride + 32).storeBytes(of: a0_2, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 1 * outStride + 0).storeBytes(of: a1_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 1 * outStride + 16).storeBytes(of: a1_1, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 1 * outStride + 32).storeBytes(of: a1_2, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 2 * outStride + 0).storeBytes(of: a2_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 2 * outStride + 16).storeBytes(of: a2_1, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 2 * outStride + 32).storeBytes(of: a2_2, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 3 * outStride + 0).storeBytes(of: a3_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 3 * outStride + 16).storeBytes(of: a3_1, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 3 * outStride + 32).storeBytes(of: a3_2, as: SIMD16<Float>.self)
    }

    /// 4 filters x 16 positions.
    @inline(__always)
    static func block4x1(_ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, depth: Int,
                       displacements: UnsafePointer<Int>, outStride: Int) {
        var a0_0 = SIMD16<Float>()
        var a1_0 = SIMD16<Float>()
        var a2_0 = SIMD16<Float>()
        var a3_0 = SIMD16<Float>()
        for d in 0..<depth {
            let p = x + displacements[d], f = w + d * 4
            let x0 = UnsafeRawPointer(p + 0).loadUnaligned(as: SIMD16<Float>.self)
            let w0 = SIMD16<Float>(repeating: f[0])
            a0_0.addProduct(w0, x0)
            let w1 = SIMD16<Float>(repeating: f[1])
            a1_0.addProduct(w1, x0)
            let w2 = SIMD16<Float>(repeating: f[2])
            a2_0.addProduct(w2, x0)
            let w3 = SIMD16<Float>(repeating: f[3])
            a3_0.addProduct(w3, x0)
        }
        UnsafeMutableRawPointer(out + 0 * outStride + 0).storeBytes(of: a0_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 1 * outStride + 0).storeBytes(of: a1_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 2 * outStride + 0).storeBytes(of: a2_0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(out + 3 * outStride + 0).storeBytes(of: a3_0, as: SIMD16<Float>.self)
    }

    /// 8 filters x 8 positions.
    @inline(__always)
    static func block8xHalf(_ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, depth: Int,
                          displacements: UnsafePointer<Int>, outStride: Int) {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>(), a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()
        for d in 0..<depth {
            let p = x + displacements[d], f = w + d * 8
            let x0 = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
            a0.addProduct(SIMD8<Float>(repeating: f[0]), x0)
            a1.addProduct(SIMD8<Float>(repeating: f[1]), x0)
            a2.addProduct(SIMD8<Float>(repeating: f[2]), x0)
            a3.addProduct(SIMD8<Float>(repeating: f[3]), x0)
            a4.addProduct(SIMD8<Float>(repeating: f[4]), x0)
            a5.addProduct(SIMD8<Float>(repeating: f[5]), x0)
            a6.addProduct(SIMD8<Float>(repeating: f[6]), x0)
            a7.addProduct(SIMD8<Float>(repeating: f[7]), x0)
        }
        UnsafeMutableRawPointer(out + 0 * outStride).storeBytes(of: a0, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + 1 * outStride).storeBytes(of: a1, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + 2 * outStride).storeBytes(of: a2, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + 3 * outStride).storeBytes(of: a3, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + 4 * outStride).storeBytes(of: a4, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + 5 * outStride).storeBytes(of: a5, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + 6 * outStride).storeBytes(of: a6, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + 7 * outStride).storeBytes(of: a7, as: SIMD8<Float>.self)
    }

    /// 4 filters x 8 positions.
    @inline(__always)
    static func block4xHalf(_ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, depth: Int,
                          displacements: UnsafePointer<Int>, outStride: Int) {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        for d in 0..<depth {
            let p = x + displacements[d], f = w + d * 4
            let x0 = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
            a0.addProduct(SIMD8<Float>(repeating: f[0]), x0)
            a1.addProduct(SIMD8<Float>(repeating: f[1]), x0)
            a2.addProduct(SIMD8<Float>(repeating: f[2]), x0)
            a3.addProduct(SIMD8<Float>(repeating: f[3]), x0)
        }
        UnsafeMutableRawPointer(out + 0 * outStride).storeBytes(of: a0, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + 1 * outStride).storeBytes(of: a1, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + 2 * outStride).storeBytes(of: a2, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + 3 * outStride).storeBytes(of: a3, as: SIMD8<Float>.self)
    }
}
