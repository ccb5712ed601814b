/// The weight gradient of a 3 x 3 convolution of stride 1 and padding 1, on planes in the padded layout
/// `DirectConvolution` reads (row stride pw = W + 1, the map's (y, x) at origin + y pw + x, origin = pw + 1):
///
///     dW[o][c][ky][kx] = sum_n sum_(y, x) dY_o,n(y, x) X_c,n(y + ky - 1, x + kx - 1)
///                      = sum_n sum_q dY_o,n(origin + q) X_c,n(q + ky pw + kx),
///
/// with q = y pw + x over the padded grid: dY is zero at the padding column and below the map, so the
/// grid positions that are not positions of the map add nothing. For one channel and one kernel row ky,
/// the kernel keeps the sums of several filters x the 3 columns kx in registers and reads each vector of
/// dY and of X once per step.
enum FilterGradient {
    /// The grid positions the sums run over for maps of `height` rows of row stride `rowStride`:
    /// height rowStride rounded up to a multiple of 16. The planes must hold zeros (dY) or finite
    /// values (X) as far as these positions read: dY to origin + positions, X to positions + 2 pw + 2.
    static func positions(height: Int, rowStride: Int) -> Int { (height * rowStride + 15) / 16 * 16 }

    /// dW[o][c][tap] (o in 0..<filters, c in 0..<channels, tap = 3 ky + kx) summed over `images` images:
    /// channel c of image n is the plane at x + c xChannelStride + n planeStride, filter o's gradient of
    /// image n the plane at dy + o dyChannelStride + n planeStride; both padded with row stride
    /// `rowStride`. Overwrites `into` ([filters][channels][9]). The images go in blocks whose planes fit
    /// in the second-level cache; each block's sums (over its images, then positions) are added to dW in
    /// a fixed order, so the result depends only on the inputs and `wideRegisters`: 8 filters x 3
    /// columns of vectors of 16 (24 of AVX-512's 32 registers), or 4 filters x 3 columns of vectors of 8
    /// (12 of AVX2's 16).
    static func compute(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, filters: Int, channels: Int, images: Int,
                        dyChannelStride: Int, xChannelStride: Int, planeStride: Int, rowStride: Int, height: Int,
                        into dw: UnsafeMutablePointer<Float>) {
        let origin = rowStride + 1, filterStride = channels * 9
        let blockImages = max(1, 262_144 / max(1, (channels + filters) * planeStride))
        dw.update(repeating: 0, count: filters * filterStride)
        for firstImage in stride(from: 0, to: images, by: blockImages) {
            let block = Block(images: min(blockImages, images - firstImage), planeStride: planeStride, channelStride: dyChannelStride,
                              count: positions(height: height, rowStride: rowStride))
            let dyBlock = dy + firstImage * planeStride + origin, xBlock = x + firstImage * planeStride
            for c in 0..<channels {
                for ky in 0..<3 {
                    let xRow = xBlock + c * xChannelStride + ky * rowStride
                    var first = 0
                    while first < filters {
                        let out = dw + first * filterStride + c * 9 + 3 * ky, gradients = dyBlock + first * dyChannelStride
                        if wideRegisters && filters - first >= 8 {
                            addFilters(SIMD16<Float>.self, eight: true, gradients, xRow, block, out, filterStride: filterStride)
                            first += 8
                        } else if !wideRegisters && filters - first >= 4 {
                            addFilters(SIMD8<Float>.self, eight: false, gradients, xRow, block, out, filterStride: filterStride)
                            first += 4
                        } else {
                            addOne(gradients, xRow, block, out)
                            first += 1
                        }
                    }
                }
            }
        }
    }

    /// A block of images and where its planes are.
    private struct Block {
        let images: Int
        let planeStride: Int
        let channelStride: Int
        /// Positions per plane, a multiple of 16.
        let count: Int

        /// Zeros the compiler cannot see as constants (see DirectKernel.block).
        func zero<Vector: KernelVector>() -> Vector { Vector(repeating: Float(bitPattern: UInt32(truncatingIfNeeded: count >> 62))) }
    }

    /// One filter's sums against the three columns of a kernel row.
    private struct RowSums<Vector: KernelVector> {
        var left: Vector, middle: Vector, right: Vector

        init(_ zero: Vector) { (left, middle, right) = (zero, zero, zero) }

        /// Adds gradient x (the vectors at x + kx) for kx = 0, 1, 2.
        @inline(__always)
        mutating func add(_ gradient: Vector, _ x: UnsafePointer<Float>) {
            left.addProduct(gradient, load(x))
            middle.addProduct(gradient, load(x + 1))
            right.addProduct(gradient, load(x + 2))
        }

        /// out[kx] += the sum of column kx's lanes.
        @inline(__always)
        func add(into out: UnsafeMutablePointer<Float>) {
            out[0] += left.sum()
            out[1] += middle.sum()
            out[2] += right.sum()
        }
    }

    /// Four consecutive filters' `RowSums`, written out: as a loop over an array of sums the compiler
    /// keeps them in memory and multiplies lane by lane.
    private struct FourFilters<Vector: KernelVector> {
        var s0: RowSums<Vector>, s1: RowSums<Vector>, s2: RowSums<Vector>, s3: RowSums<Vector>

        init(_ zero: Vector) { (s0, s1, s2, s3) = (RowSums(zero), RowSums(zero), RowSums(zero), RowSums(zero)) }

        /// Adds the gradients at dy (the first filter's; the others `channelStride` apart) against x.
        @inline(__always)
        mutating func add(_ dy: UnsafePointer<Float>, channelStride cs: Int, _ x: UnsafePointer<Float>) {
            s0.add(load(dy), x)
            s1.add(load(dy + cs), x)
            s2.add(load(dy + 2 * cs), x)
            s3.add(load(dy + 3 * cs), x)
        }

        /// Adds the sums to out + o filterStride + kx for the four filters o.
        @inline(__always)
        func add(into out: UnsafeMutablePointer<Float>, filterStride: Int) {
            s0.add(into: out)
            s1.add(into: out + filterStride)
            s2.add(into: out + 2 * filterStride)
            s3.add(into: out + 3 * filterStride)
        }
    }

    @inline(__always)
    private static func load<Vector: KernelVector>(_ pointer: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self) }

    /// Adds the sums of 4 (or, with `eight`, 8) consecutive filters (dy at the first one's plane) against
    /// one kernel row of one channel (x at the row) over a block, sum_n sum_q dY_o,n(q) x_n(q + kx), to
    /// out + o filterStride + kx. Each vector of x is read once for all the filters.
    @inline(__always)
    private static func addFilters<Vector: KernelVector>(_: Vector.Type, eight: Bool, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                                 _ block: Block, _ out: UnsafeMutablePointer<Float>, filterStride: Int) {
        let zero: Vector = block.zero(), cs = block.channelStride
        var (low, high) = (FourFilters(zero), FourFilters(zero))
        for n in 0..<block.images {
            let xn = x + n * block.planeStride, dyn = dy + n * block.planeStride
            var q = 0
            while q < block.count {
                low.add(dyn + q, channelStride: cs, xn + q)
                if eight { high.add(dyn + q + 4 * cs, channelStride: cs, xn + q) }
                q += Vector.scalarCount
            }
        }
        low.add(into: out, filterStride: filterStride)
        if eight { high.add(into: out + 4 * filterStride, filterStride: filterStride) }
    }

    /// `addFilters` for one filter (the filters past the last multiple of 8 or 4).
    @inline(__always)
    private static func addOne(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ block: Block, _ out: UnsafeMutablePointer<Float>) {
        var sums = RowSums<SIMD16<Float>>(block.zero())
        for n in 0..<block.images {
            let xn = x + n * block.planeStride, dyn = dy + n * block.planeStride
            var q = 0
            while q < block.count {
                sums.add(load(dyn + q), xn + q)
                q += 16
            }
        }
        sums.add(into: out)
    }
}
