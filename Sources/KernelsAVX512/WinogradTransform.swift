import ConvolutionKernels

/// Winograd's transforms (see `Winograd`): the inputs' V = B^T d B and the products' Y = A^T m A.
enum WinogradTransform {
    /// V = B^T d B for every 2 x 2 block of one padded plane (`plane` at grid position 0): element
    /// xi = 4a + b of block (i, j) goes to v[xi matrixStride + i (W / 2) + j].
    static func transformInput(_ plane: UnsafePointer<Float>, height: Int, width: Int,
                               into v: UnsafeMutablePointer<Float>, matrixStride: Int) {
        precondition(Winograd.handles(height: height, width: width), "Winograd transforms handle maps of width 8 or 16 and even height")
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
    static func transformOutput(_ m: UnsafePointer<Float>, matrixStride: Int, height: Int, width: Int, shift: Float, floor: Float,
                                offsets: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
        let finish = Finish(shift: shift, floor: floor, offsets: offsets, residual: residual, out: out)
        precondition(Winograd.handles(height: height, width: width), "Winograd transforms handle maps of width 8 or 16 and even height")
        if width == 16 {
            output(SIMD8<Float>.self, m, matrixStride: matrixStride, height: height, finish)
        } else {
            output(SIMD4<Float>.self, m, matrixStride: matrixStride, height: height, finish)
        }
    }

    /// What becomes of a row of Y: out(y, x) = max(floor, Y(y, x) + shift + offsets(y, x) + residual(y, x)).
    private struct Finish {
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
    private static func input<Half: WinogradHalf>(_: Half.Type, _ plane: UnsafePointer<Float>, height: Int,
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
    private static func output<Half: WinogradHalf>(_: Half.Type, _ m: UnsafePointer<Float>, matrixStride: Int, height: Int, _ finish: Finish) {
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
fileprivate protocol WinogradHalf: SIMD where Scalar == Float {
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
