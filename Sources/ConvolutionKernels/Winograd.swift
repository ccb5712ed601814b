/// Winograd's minimal filtering F(2 x 2, 3 x 3) (Lavin and Gray, 2016) for 3 x 3 convolutions of
/// stride 1 and padding 1: each 2 x 2 block of outputs is
///
///     Y = A^T [ (G g G^T) .* (B^T d B) ] A
///
/// where g is the 3 x 3 filter, d the 4 x 4 input patch around the block, .* the elementwise product,
/// and (rows as written)
///
///     B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
///     A^T = [1 1 1 0; 0 1 -1 -1].
///
/// Summed over input channels, the 16 products become 16 matrix products (filters x channels times
/// channels x blocks, run by `DirectConvolution.run`): 16 multiplications per 4 outputs and channel
/// instead of 36. U = G g G^T is computed once per filter by the caller; this file transforms the
/// inputs (V = B^T d B) and the products (Y), on planes in the padded layout `DirectConvolution` reads:
/// row stride pw = W + 1, with (y, x) at (y + 1) pw + x + 1, so that grid row r (r = y + 1) and grid
/// column s (s = x + 1) sit at r pw + s, the zero rows and columns included.
///
/// Block (i, j) (outputs 2i, 2i + 1 x 2j, 2j + 1) reads grid rows 2i ..< 2i + 4 and columns
/// 2j ..< 2j + 4. The W / 2 blocks of a row are one vector (`WinogradHalf`): the even and odd grid
/// columns of a row are the even and odd halves of a vector of W values.
public enum Winograd {
    /// Whether the transforms handle an H x W map: H even and W = 8 or 16. The transforms cost in
    /// proportion to the channels and the products to channels x filters, so Winograd pays where both
    /// are many; on wide maps the direct kernels also waste less (one padding column in W + 1).
    /// Measured on CIFAR ResNet-56's layers (one core): 8 x 8 with 64 channels 1.65x faster than the
    /// direct kernels, 16 x 16 with 32 channels 1.25x faster, 32 x 32 with 16 channels 1.35x slower.
    public static func handles(height: Int, width: Int) -> Bool { height % 2 == 0 && (width == 8 || width == 16) }

    /// How many images share one set of products (their blocks side by side in each matrix's rows): an
    /// 8 x 8 map has 16 blocks and a 16 x 16 map 64, so three images make 48 or 192 columns, whole tiles
    /// of 3 vectors of 16 for `DirectConvolution.run` (one image of 8 x 8 fills a single vector, whose
    /// tile of 8 filters does one multiply-add per load). Measured on the trained ResNet-56 (batch 64,
    /// 2 threads): 1.3x the images/s of one image at a time. (Winograd on its 32 x 32 maps, tried with
    /// this, ran at 0.5-0.8x the direct kernels' images/s: 16 channels are too few for the transforms.)
    public static let imagesPerProduct = 3

    /// V = B^T d B for every 2 x 2 block of one padded plane (`plane` at grid position 0): element
    /// xi = 4a + b of block (i, j) goes to v[xi matrixStride + i (W / 2) + j].
    public static func transformInput(_ plane: UnsafePointer<Float>, height: Int, width: Int,
                                      into v: UnsafeMutablePointer<Float>, matrixStride: Int) {
        precondition(handles(height: height, width: width), "Winograd transforms handle maps of width 8 or 16 and even height")
        if width == 16 {
            input(SIMD8<Float>.self, plane, height: height, into: v, matrixStride: matrixStride)
        } else {
            input(SIMD4<Float>.self, plane, height: height, into: v, matrixStride: matrixStride)
        }
    }

    /// For one filter: Y = A^T m A of every block, m's element xi of block (i, j) at
    /// m[xi matrixStride + i (W / 2) + j], finished as the layer's output and stored in the padded
    /// plane `out` (at grid position 0), zero column included:
    /// out(y, x) = max(floor, Y(y, x) + shift + offsets(y, x) + residual(y, x)) (offsets and residual
    /// planes in the same layout, or nil). The zero rows above and below are the caller's.
    public static func transformOutput(_ m: UnsafePointer<Float>, matrixStride: Int, height: Int, width: Int, shift: Float, floor: Float,
                                       offsets: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
        let finish = Finish(shift: shift, floor: floor, offsets: offsets, residual: residual, out: out)
        precondition(handles(height: height, width: width), "Winograd transforms handle maps of width 8 or 16 and even height")
        if width == 16 {
            output(SIMD8<Float>.self, m, matrixStride: matrixStride, height: height, finish)
        } else {
            output(SIMD4<Float>.self, m, matrixStride: matrixStride, height: height, finish)
        }
    }

    /// What becomes of a row of Y: out(y, x) = max(floor, Y(y, x) + shift + offsets(y, x) + residual(y, x)).
    struct Finish {
        let shift: Float
        let floor: Float
        let offsets: UnsafePointer<Float>?
        let residual: UnsafePointer<Float>?
        let out: UnsafeMutablePointer<Float>

        /// Stores the finished row `y` (Y's values in order) at `position`, in registers from Y to the store.
        @inline(__always)
        func callAsFunction<Row: KernelVector>(_ y: Row, at position: Int) {
            var value = y + Row(repeating: shift)
            if let offsets { value += UnsafeRawPointer(offsets + position).loadUnaligned(as: Row.self) }
            if let residual { value += UnsafeRawPointer(residual + position).loadUnaligned(as: Row.self) }
            UnsafeMutableRawPointer(out + position).storeBytes(of: value.atLeast(Row(repeating: floor)), as: Row.self)
        }
    }

    @inline(__always)
    static func input<Half: WinogradHalf>(_: Half.Type, _ plane: UnsafePointer<Float>, height: Int,
                                          into v: UnsafeMutablePointer<Float>, matrixStride: Int) {
        let lanes = Half.scalarCount, pw = 2 * lanes + 1
        /// d B for grid row r: its four columns (d0 - d2, d1 + d2, d2 - d1, d1 - d3) of every block.
        @inline(__always) func rowTransform(_ r: Int) -> (Half, Half, Half, Half) {
            let (d0, d1) = Half.deinterleaving(plane + r * pw), (d2, d3) = Half.deinterleaving(plane + r * pw + 2)
            return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
        }
        @inline(__always) func store(_ value: Half, _ xi: Int, _ target: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(target + xi * matrixStride).storeBytes(of: value, as: Half.self)
        }
        var (u0, u1) = (rowTransform(0), rowTransform(1))
        for i in 0..<(height / 2) {
            let (u2, u3) = (rowTransform(2 * i + 2), rowTransform(2 * i + 3)), target = v + i * lanes
            // B^T applied down the columns: rows u0 - u2, u1 + u2, u2 - u1, u1 - u3.
            store(u0.0 - u2.0, 0, target); store(u0.1 - u2.1, 1, target); store(u0.2 - u2.2, 2, target); store(u0.3 - u2.3, 3, target)
            store(u1.0 + u2.0, 4, target); store(u1.1 + u2.1, 5, target); store(u1.2 + u2.2, 6, target); store(u1.3 + u2.3, 7, target)
            store(u2.0 - u1.0, 8, target); store(u2.1 - u1.1, 9, target); store(u2.2 - u1.2, 10, target); store(u2.3 - u1.3, 11, target)
            store(u1.0 - u3.0, 12, target); store(u1.1 - u3.1, 13, target); store(u1.2 - u3.2, 14, target); store(u1.3 - u3.3, 15, target)
            (u0, u1) = (u2, u3)
        }
    }

    @inline(__always)
    static func output<Half: WinogradHalf>(_: Half.Type, _ m: UnsafePointer<Float>, matrixStride: Int, height: Int, _ finish: Finish) {
        let lanes = Half.scalarCount, width = 2 * lanes, pw = width + 1
        for i in 0..<(height / 2) {
            let source = m + i * lanes
            func element(_ a: Int, _ b: Int) -> Half { UnsafeRawPointer(source + (4 * a + b) * matrixStride).loadUnaligned(as: Half.self) }
            // A^T m, column by column: the sum of rows 0, 1 and 2 (s), and the difference 1 - 2 - 3 (d).
            // (Plain values rather than arrays: an array here went through memory in pieces too small
            // for the wider loads that read it back.)
            @inline(__always) func column(_ b: Int) -> (s: Half, d: Half) {
                let (m0, m1, m2, m3) = (element(0, b), element(1, b), element(2, b), element(3, b))
                return (m0 + m1 + m2, m1 - m2 - m3)
            }
            let (c0, c1, c2, c3) = (column(0), column(1), column(2), column(3))
            let top = (2 * i + 1) * pw + 1, bottom = top + pw
            finish(Half.interleaving(c0.s + c1.s + c2.s, c1.s - c2.s - c3.s), at: top)
            finish(Half.interleaving(c0.d + c1.d + c2.d, c1.d - c2.d - c3.d), at: bottom)
            finish.out[top + width] = 0
            finish.out[bottom + width] = 0
        }
    }
}

/// The blocks of one row of a map of W values: W / 2 lanes, whose values come from the even and odd
/// columns (SIMD4 for W = 8, SIMD8 for W = 16). A conformance spells its lanes out so that they
/// compile to shuffles.
protocol WinogradHalf: SIMD where Scalar == Float {
    /// A whole row: twice the lanes.
    associatedtype Row: KernelVector
    /// The even and the odd values of the 2 scalarCount floats at p.
    static func deinterleaving(_ p: UnsafePointer<Float>) -> (even: Self, odd: Self)
    /// even[0], odd[0], even[1], odd[1], ...
    static func interleaving(_ even: Self, _ odd: Self) -> Row
}

extension SIMD4: WinogradHalf where Scalar == Float {
    @inline(__always) static func deinterleaving(_ p: UnsafePointer<Float>) -> (even: Self, odd: Self) {
        let a = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
        return (Self(a[0], a[2], a[4], a[6]), Self(a[1], a[3], a[5], a[7]))
    }

    @inline(__always) static func interleaving(_ e: Self, _ o: Self) -> SIMD8<Float> {
        SIMD8(e[0], o[0], e[1], o[1], e[2], o[2], e[3], o[3])
    }
}

extension SIMD8: WinogradHalf where Scalar == Float {
    @inline(__always) static func deinterleaving(_ p: UnsafePointer<Float>) -> (even: Self, odd: Self) {
        let a = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
        return (Self(a[0], a[2], a[4], a[6], a[8], a[10], a[12], a[14]), Self(a[1], a[3], a[5], a[7], a[9], a[11], a[13], a[15]))
    }

    @inline(__always) static func interleaving(_ e: Self, _ o: Self) -> SIMD16<Float> {
        SIMD16(e[0], o[0], e[1], o[1], e[2], o[2], e[3], o[3], e[4], o[4], e[5], o[5], e[6], o[6], e[7], o[7])
    }
}
