/// Convolution micro-kernels on 16-float vectors (8-float at the end of a row of positions), compiled for
/// AVX-512 on x86-64 (see Package.swift): call them only on processors that have it (the engine checks
/// /proc/cpuinfo's flags first).
///
/// A convolution of stride 1 over zero-padded input planes is a sum of shifted planes: for an output
/// position q on the padded grid (row stride `pw`, so q = y pw + x), out_o(q) = sum_d w_od x(q + s_d), where
/// d runs over (input channel c, kernel row ky, kernel column kx) and the displacement s_d is
/// c (channel stride) + ky pw + kx.
/// The kernel (`block`) keeps a tile of filters x positions in registers and runs over d; the weights
/// are packed so that the tile's filters for one d are adjacent ([filter block][d][filter in block]).
public enum DirectConvolution {
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
                // Tiles of 48 positions (3 vectors of 16), then of 16, then of 8 for the last positions.
                let step = count - q >= 48 ? 48 : count - q >= 16 ? 16 : 8
                let (x, out) = (x + q, rows + q)
                switch (eight, step) {
                case (true, 48): block(Tile<8, 3, SIMD16<Float>>.self, w, x, out, depth: depth, displacements: displacements, outStride: outStride)
                case (true, 16): block(Tile<8, 1, SIMD16<Float>>.self, w, x, out, depth: depth, displacements: displacements, outStride: outStride)
                case (true, _): block(Tile<8, 1, SIMD8<Float>>.self, w, x, out, depth: depth, displacements: displacements, outStride: outStride)
                case (false, 48): block(Tile<4, 3, SIMD16<Float>>.self, w, x, out, depth: depth, displacements: displacements, outStride: outStride)
                case (false, 16): block(Tile<4, 1, SIMD16<Float>>.self, w, x, out, depth: depth, displacements: displacements, outStride: outStride)
                case (false, _): block(Tile<4, 1, SIMD8<Float>>.self, w, x, out, depth: depth, displacements: displacements, outStride: outStride)
                }
                q += step
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

    /// `F` filters x `J` vectors of positions (a `Tile`): the accumulators stay in registers once the
    /// call is specialized and its loops unrolled (8 x 3 vectors of 16 floats take 24 of AVX-512's 32).
    typealias Tile<let F: Int, let J: Int, Vector: SIMD> = InlineArray<F, InlineArray<J, Vector>> where Vector.Scalar == Float

    @inline(__always)
    static func block<let F: Int, let J: Int, Vector: SIMD>(_ tile: Tile<F, J, Vector>.Type, _ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                                         _ out: UnsafeMutablePointer<Float>, depth: Int,
                                                         displacements: UnsafePointer<Int>, outStride: Int) where Vector.Scalar == Float {
        var sums = Tile<F, J, Vector>(repeating: InlineArray(repeating: Vector()))
        for d in 0..<depth {
            let p = x + displacements[d], f = w + d * F
            var inputs = InlineArray<J, Vector>(repeating: Vector())
            for j in 0..<J { inputs[j] = UnsafeRawPointer(p + j * Vector.scalarCount).loadUnaligned(as: Vector.self) }
            for o in 0..<F {
                let weight = Vector(repeating: f[o])
                for j in 0..<J { sums[o][j].addProduct(weight, inputs[j]) }
            }
        }
        for o in 0..<F {
            for j in 0..<J {
                UnsafeMutableRawPointer(out + o * outStride + j * Vector.scalarCount).storeBytes(of: sums[o][j], as: Vector.self)
            }
        }
    }
}
