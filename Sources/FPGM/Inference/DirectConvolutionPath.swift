import ConvolutionKernels

/// The `DirectConvolution` path of `FoldedConvolution`: 3 x 3 convolutions of padding 1 over padded
/// phase planes, by the direct kernel or, on the maps it handles, by Winograd F(2 x 2, 3 x 3).
extension FoldedConvolution {
    /// U = G g G^T for each filter o and channel c (g = weights[o][c], 3 x 3), with G =
    /// [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]: element xi = 4a + b as matrix xi's (o, c), each matrix
    /// packed for `ConvolutionKernelSet.convolve` with `filters` rows (the rows past outChannels zero).
    static func winogradTransformed(_ weights: [Float], outChannels: Int, inChannels: Int, filters: Int) -> [Float] {
        /// G applied to three values: (x0, (x0 + x1 + x2) / 2, (x0 - x1 + x2) / 2, x2).
        func expand(_ x0: Double, _ x1: Double, _ x2: Double) -> (Double, Double, Double, Double) {
            (x0, (x0 + x1 + x2) / 2, (x0 - x1 + x2) / 2, x2)
        }
        let size = filters * inChannels
        var packed = [Float](repeating: 0, count: 16 * size)
        packed.withUnsafeMutableBufferPointer { packed in
            weights.withUnsafeBufferPointer { weights in
                for o in 0..<outChannels {
                    for c in 0..<inChannels {
                        let g = weights.baseAddress! + (o * inChannels + c) * 9
                        let at = packed.baseAddress! + DirectConvolution.packedIndex(filter: o, d: c, filters: filters, depth: inChannels)
                        func weight(_ row: Int, _ column: Int) -> Double { Double(g[3 * row + column]) }
                        // G g, column by column; then row a of (G g) G^T is G applied to row a of G g.
                        let (left, middle, right) = (expand(weight(0, 0), weight(1, 0), weight(2, 0)), expand(weight(0, 1), weight(1, 1), weight(2, 1)),
                                                     expand(weight(0, 2), weight(1, 2), weight(2, 2)))
                        func store(_ a: Int, _ row: (Double, Double, Double, Double)) {
                            (at[4 * a * size], at[(4 * a + 1) * size], at[(4 * a + 2) * size], at[(4 * a + 3) * size]) =
                                (Float(row.0), Float(row.1), Float(row.2), Float(row.3))
                        }
                        store(0, expand(left.0, middle.0, right.0))
                        store(1, expand(left.1, middle.1, right.1))
                        store(2, expand(left.2, middle.2, right.2))
                        store(3, expand(left.3, middle.3, right.3))
                    }
                }
            }
        }
        return packed
    }

    /// The layer by `DirectConvolution`, for a 3 x 3 convolution of padding 1 and stride s (1 or 2), as
    /// a stride-1 convolution over phase planes: phase (a, b) of an input plane holds input(s i + a, s j + b)
    /// at (i, j) (stride 1 has the one phase (0, 0)), and tap (ky, kx) reads phase (a, b) =
    /// ((ky - 1) mod s, (kx - 1) mod s) at offset (di, dj) = (floor((ky - 1) / s), floor((kx - 1) / s)),
    /// which lies in {-1, 0, 1}. The phase planes have the padded layout of the output (`PlaneLayout`),
    /// where (i, j) sits at origin + i pw + j, so output position q = y pw + x reads offset (di, dj) at
    /// q + (di + 1) pw + dj + 1. A padded input of stride 1 is its own phase plane; any other input is
    /// copied into phase planes first. The input's `images` (all of them, unless it is its own phase
    /// plane) are convolved, image images.lowerBound + k into image k of `out`: filter o's result goes to
    /// channel rows[o] of `out` (in `layout`), and each of `constants` (channel: value) holds
    /// max(floor, value + residual), the padding's zeros written too.
    func convolveDirectly(_ input: FeatureMaps, images: Range<Int>, packedWeights: PinnedBuffer<Float>, rows: [Int], constants: [Int: Float],
                          floor: Float, residual: UnsafeBufferPointer<Float>?, offsets: UnsafeBufferPointer<Float>?,
                          into out: UnsafeMutableBufferPointer<Float>, layout: PlaneLayout, workspace: Workspace) {
        let planeStride = layout.planeStride, positions = layout.positions, pw = layout.rowStride, batch = images.count
        let winograd = winogradWeights.flatMap { Winograd.handles(height: layout.height, width: layout.width) ? $0 : nil }
        let copied = stride == 1 && input.layout == layout ? nil : phasePlanes(input, layout: layout)
        precondition(copied == nil || images == 0..<input.batch, "only an input that is its own phase plane can give some of its images")
        // 1 at the grid positions of the map, 0 at its padding column and past its last row.
        let mask = PinnedBuffer<Float>(count: positions) { mask in
            mask.initialize(repeating: 0, count: positions)
            for y in 0..<layout.height { (mask + y * pw).update(repeating: 1, count: layout.width) }
        }
        let displacements = winograd == nil ? directTaps.map { tap in tap.plane * input.batch * planeStride + tap.row * pw + tap.column } : []
        let constantChannels = constants.sorted { $0.key < $1.key }
        input.values.withUnsafeBufferPointer { given in
            let operands = DirectOperands(weights: winograd ?? packedWeights, planes: copied?.buffer ?? given, displacements: PinnedBuffer(displacements),
                                          shifts: shifts, mask: mask, destinations: PinnedBuffer(rows.map { $0 * batch * planeStride }),
                                          residual: residual, offsets: offsets, out: out)
            operands.assertExtents(of: self, inputBatch: input.batch, batch: batch, layout: layout, winograd: winograd != nil)
            let filters = (outChannels + 3) / 4 * 4, depth = inChannels * kernel * kernel
            var image = 0
            while image < batch {
                let start = image * planeStride + layout.origin, source = images.lowerBound + image
                let count = winograd == nil ? 1 : min(Winograd.imagesPerProduct, batch - image)
                if winograd != nil {
                    convolveByWinograd(operands, images: count, first: image, from: source, channelStride: input.batch * planeStride, layout: layout,
                                       filters: filters, floor: floor, workspace: workspace)
                } else {
                    let epilogue = DirectConvolution.Epilogue(
                        filters: outChannels, shifts: operands.shifts.pointer, floor: floor, destinations: operands.destinations.pointer,
                        mask: mask.pointer, residual: operands.residual.map { $0 + start }, offsets: operands.offsets.map { $0 + layout.origin },
                        offsetStride: planeStride)
                    Self.kernels.convolve(packed: operands.weights.pointer, filters: filters, depth: depth, x: operands.planes + source * planeStride,
                                          displacements: operands.displacements.pointer, count: positions, out: operands.out + start,
                                          store: .finished(epilogue))
                }
                for done in image..<(image + count) {
                    finishPlanes(image: done, constants: constantChannels, destinations: operands.destinations.buffer, floor: floor,
                                 mask: mask.pointer, residual: operands.residual, out: operands.out, layout: layout,
                                 channelStride: batch * planeStride)
                }
                image += count
            }
        }
    }

    /// The input copied into phase planes in `layout` (see `convolveDirectly`): plane (c, phase) of an
    /// image starts at ((c phases + phase) batch + image) planeStride.
    func phasePlanes(_ input: FeatureMaps, layout: PlaneLayout) -> PinnedBuffer<Float> {
        let phases = stride * stride, planeStride = layout.planeStride
        return PinnedBuffer(count: inChannels * phases * input.batch * planeStride) { target in
            input.values.withUnsafeBufferPointer { source in
                for c in 0..<inChannels {
                    for phase in 0..<phases {
                        let a = phase / stride, b = phase % stride
                        let rows = min(layout.height, (input.height - a + stride - 1) / stride)
                        let columns = min(layout.width, (input.width - b + stride - 1) / stride)
                        for image in 0..<input.batch {
                            Self.kernels.fillPlane(source.baseAddress! + input.rowStart(channel: c, image: image, row: a) + b,
                                                   rowStep: stride * input.layout.rowStride, columnStep: stride, rows: rows, columns: columns,
                                                   into: target + ((c * phases + phase) * input.batch + image) * planeStride,
                                                   stride: layout.rowStride, length: planeStride)
                        }
                    }
                }
            }
        }
    }

    /// The planes of one image that the products did not write: each of `constants` (channel: value)
    /// holding max(floor, value + residual) at the map's positions, and the zero rows above and below the
    /// map in every channel (`destinations` and the constants').
    func finishPlanes(image: Int, constants: [(key: Int, value: Float)], destinations: UnsafeBufferPointer<Int>, floor: Float,
                      mask: UnsafePointer<Float>, residual: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, layout: PlaneLayout,
                      channelStride: Int) {
        let start = image * layout.planeStride + layout.origin
        for (channel, value) in constants {
            Self.kernels.finishConstant(value, floor: floor, count: layout.positions, mask: mask,
                                             residual: residual.map { $0 + start + channel * channelStride }, into: out + start + channel * channelStride)
        }
        let end = layout.origin + layout.height * layout.rowStride
        func clearAroundMap(_ destination: Int) {
            let plane = out + destination + image * layout.planeStride
            Self.kernels.clear(plane, count: layout.origin)
            Self.kernels.clear(plane + end, count: layout.planeStride - end)
        }
        destinations.forEach(clearAroundMap)
        constants.forEach { clearAroundMap($0.key * channelStride) }
    }

    /// `images` consecutive images of a stride-1 layer by `Winograd` F(2 x 2, 3 x 3), from input image
    /// `source` into output image `first`: the inputs' transforms V (16 matrices of channels x blocks,
    /// the images' blocks side by side), the 16 products M = U V, and each filter's output transform,
    /// finished as `DirectConvolution.Epilogue` would (the operands' planes: images a plane apart,
    /// channels `channelStride` apart; residual and output: destinations[o] apart; offsets: batch 1).
    func convolveByWinograd(_ operands: DirectOperands, images: Int, first: Int, from source: Int, channelStride: Int, layout: PlaneLayout,
                            filters: Int, floor: Float, workspace: Workspace) {
        let planes = operands.planes + source * layout.planeStride, out = operands.out
        let residual = operands.residual, offsets = operands.offsets
        // Rows of `images blocks` values, `width` apart (a multiple of 8, as `run` needs; the lanes past the
        // blocks zero); the 16 matrices 16 floats more than their rows apart, so that they do not all start
        // at the same offset in a 4 KiB page (loads from one and stores to another would look dependent).
        let blocks = layout.height / 2 * (layout.width / 2), used = images * blocks, width = (used + 7) / 8 * 8
        let inputStride = inChannels * width + 16, productStride = filters * width + 16
        let transformed = workspace.floats(16 * (inputStride + productStride)), products = transformed + 16 * inputStride
        for c in 0..<inChannels {
            for image in 0..<images {
                Self.kernels.winogradInput(planes + c * channelStride + image * layout.planeStride, height: layout.height, width: layout.width,
                                           into: transformed + c * width + image * blocks, matrixStride: inputStride)
            }
        }
        if width > used {
            for xi in 0..<16 {
                for c in 0..<inChannels { (transformed + xi * inputStride + c * width + used).update(repeating: 0, count: width - used) }
            }
        }
        let rows = (0..<inChannels).map { $0 * width }
        for xi in 0..<16 {
            Self.kernels.convolve(packed: operands.weights.pointer + xi * filters * inChannels, filters: filters, depth: inChannels,
                                  x: transformed + xi * inputStride, displacements: rows, count: width,
                                  out: products + xi * productStride, store: .raw(rowStride: width))
        }
        for o in 0..<outChannels {
            for image in 0..<images {
                let plane = operands.destinations[o] + (first + image) * layout.planeStride
                Self.kernels.winogradOutput(products + o * width + image * blocks, matrixStride: productStride, height: layout.height,
                                            width: layout.width, shift: shifts[o], floor: floor, offsets: offsets.map { $0 + o * layout.planeStride },
                                            residual: residual.map { $0 + plane }, into: out + plane)
            }
        }
    }
}

/// The pointers of one `convolveDirectly` call. The buffers made for it are held here, so the pointers
/// stay valid while it lives; the extents the kernels read and write are checked in debug builds.
struct DirectOperands {
    /// The packed filters (`DirectConvolution.pack`), or Winograd's 16 packed matrices U.
    let weights: PinnedBuffer<Float>
    /// The input's phase planes.
    let planes: UnsafePointer<Float>
    let planeCount: Int
    /// Each tap's displacement into `planes` (the direct kernel; none for Winograd).
    let displacements: PinnedBuffer<Int>
    let shifts: PinnedBuffer<Float>
    let mask: PinnedBuffer<Float>
    /// Where filter o's planes start in `out`.
    let destinations: PinnedBuffer<Int>
    let residual: UnsafePointer<Float>?
    let residualCount: Int
    let offsets: UnsafePointer<Float>?
    let offsetCount: Int
    let out: UnsafeMutablePointer<Float>
    let outCount: Int

    init(weights: PinnedBuffer<Float>, planes: UnsafeBufferPointer<Float>, displacements: PinnedBuffer<Int>, shifts: PinnedBuffer<Float>,
         mask: PinnedBuffer<Float>, destinations: PinnedBuffer<Int>, residual: UnsafeBufferPointer<Float>?,
         offsets: UnsafeBufferPointer<Float>?, out: UnsafeMutableBufferPointer<Float>) {
        self.weights = weights
        self.planes = planes.baseAddress!
        planeCount = planes.count
        self.displacements = displacements
        self.shifts = shifts
        self.mask = mask
        self.destinations = destinations
        self.residual = residual?.baseAddress
        residualCount = residual?.count ?? 0
        self.offsets = offsets?.baseAddress
        offsetCount = offsets?.count ?? 0
        self.out = out.baseAddress!
        outCount = out.count
    }

    /// What `ConvolutionKernelSet.convolve` and Winograd's transforms require of the extents: the weights hold
    /// every packed filter; each of the `inputBatch` images' planes is readable up to the largest
    /// displacement + the positions (Winograd: every channel's plane); every filter's destination plane
    /// for the `batch` output images, the residual's and the offsets' lie inside their buffers.
    func assertExtents(of convolution: FoldedConvolution, inputBatch: Int, batch: Int, layout: PlaneLayout, winograd: Bool) {
        let filters = (convolution.outChannels + 3) / 4 * 4, planeStride = layout.planeStride
        assert(weights.count == (winograd ? 16 * filters * convolution.inChannels : filters * convolution.inChannels * 9),
               "the packed weights of \(convolution.layer) have \(weights.count) values")
        if winograd {
            assert(convolution.inChannels * inputBatch * planeStride <= planeCount, "the phase planes of \(convolution.layer) are too short")
        } else {
            let reach = (inputBatch - 1) * planeStride + (displacements.buffer.max() ?? 0) + layout.positions
            assert(reach <= planeCount, "\(convolution.layer) reads \(reach) floats of phase planes holding \(planeCount)")
        }
        assert(mask.count == layout.positions && shifts.count == convolution.outChannels, "mask or shifts of \(convolution.layer) mis-sized")
        assert((destinations.buffer.max() ?? 0) + batch * planeStride <= outCount, "\(convolution.layer) writes past its output")
        assert(residual == nil || residualCount == outCount, "the residual of \(convolution.layer) does not match its output")
        assert(offsets == nil || offsetCount >= convolution.outChannels * planeStride, "the offsets of \(convolution.layer) are too short")
    }
}
