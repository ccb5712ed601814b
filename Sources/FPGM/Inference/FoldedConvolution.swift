import ConvolutionKernels
import Foundation

/// A convolution followed by its batch normalisation in inference mode, folded into one affine map:
///
///     BN(W * x)_o = s_o (W_o * x) + t_o,   s_o = gamma_o / sqrt(var_o + eps),   t_o = beta_o - mean_o s_o,
///
/// computed as (s_o W_o) * x + t_o, plus, when some input channels were removed because they were
/// constant, a fixed map per output channel (`offsets`) holding their contribution.
/// The convolution itself runs one of two ways: on processors with AVX-512, 3 x 3 convolutions of
/// padding 1 and stride 1 or 2 go to `DirectConvolution` (`convolveDirectly`; by `Winograd` on the maps
/// it handles), which finishes the outputs itself and writes them padded; everything else unfolds the
/// input's patches into a (C k^2) x (N H' W') matrix and multiplies it by the (O) x (C k^2) filter
/// matrix with OpenBLAS's SGEMM (a 1x1 convolution of stride 1 needs no unfolding), then finishes the
/// outputs (`finish`) densely.
struct FoldedConvolution: Sendable {
    let outChannels: Int
    let inChannels: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    /// Row o holds s_o W_o, flattened over (input channel, row, column).
    let weights: [Float]
    /// t_o.
    let shifts: [Float]
    /// A map per output channel (channels outChannels, batch 1, H' x W') added to each image's output,
    /// in the layout of the output, or nil.
    let offsets: FeatureMaps?
    /// The weights as `DirectConvolution` reads them (filters padded to a multiple of 4 with zeros), for
    /// 3 x 3 convolutions on processors with AVX-512; nil where OpenBLAS computes the layer.
    let packedWeights: [Float]?
    /// U = G g G^T (see `Winograd`) of each 3 x 3 filter g, as 16 matrices [xi][filter][channel] packed
    /// for `DirectConvolution.run` (filters padded to a multiple of 4 with zeros), for the layers of
    /// stride 1 among those of `packedWeights` whose maps `Winograd` handles; nil for the others.
    let winogradWeights: [Float]?
    /// For each (input channel c, ky, kx), in that order: the phase plane it reads (c s^2 + a s + b), and
    /// its offset (di + 1, dj + 1) there (see `convolveDirectly`).
    let directTaps: [(plane: Int, row: Int, column: Int)]
    /// The architecture's name of the convolution, where a network built it ("" for a partial one).
    var layer = ""

    /// Folds `weight` ([O, C, k, k]) with the batch norm `norm` that follows it; `inputOffsets`
    /// ([O, H', W']), when given, is added to the convolution's output before the batch norm. The layer
    /// reads maps of side `inputSide`.
    init(weight: Tensor, norm: BatchNormTensors, stride: Int, padding: Int, inputSide: Int, inputOffsets: Tensor?) {
        let outChannels = weight.shape[0], length = weight.count / max(1, outChannels)
        let scales = (0..<outChannels).map(norm.scale)
        var folded = weight.scalars
        for o in 0..<outChannels {
            for i in (o * length)..<((o + 1) * length) { folded[i] = Float(Double(folded[i]) * scales[o]) }
        }
        let offsets = inputOffsets.map { raw in
            let plane = raw.count / max(1, outChannels)
            return FeatureMaps(channels: outChannels, batch: 1, height: raw.shape[1], width: raw.shape[2],
                               values: raw.scalars.enumerated().map { index, value in Float(Double(value) * scales[index / plane]) })
        }
        self.init(outChannels: outChannels, inChannels: weight.shape[1], kernel: weight.shape[2], stride: stride, padding: padding,
                  weights: folded, shifts: (0..<outChannels).map(norm.shift), offsets: offsets, inputSide: inputSide)
    }

    /// `offsets`: dense maps. `inputSide`: the side of the maps the layer reads, where known; Winograd's
    /// weights are made only for a side it handles. `direct`: use `DirectConvolution` where it applies
    /// (3 x 3, padding 1, stride 1 or 2); the default is whether this processor has it.
    init(outChannels: Int, inChannels: Int, kernel: Int, stride: Int, padding: Int, weights: [Float], shifts: [Float], offsets: FeatureMaps?,
         inputSide: Int?, direct: Bool = FoldedConvolution.directKernels) {
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.weights = weights
        self.shifts = shifts
        let direct = kernel == 3 && padding == 1 && stride <= 2 && direct
        self.offsets = offsets.map { $0.relaid(PlaneLayout(height: $0.height, width: $0.width, padded: direct)) }
        if direct {
            let depth = inChannels * kernel * kernel, filters = (outChannels + 3) / 4 * 4
            packedWeights = DirectConvolution.pack(weights + [Float](repeating: 0, count: (filters - outChannels) * depth),
                                                   filters: filters, depth: depth)
            winogradWeights = stride == 1 && inputSide.map { Winograd.handles(height: $0, width: $0) } == true
                ? Self.winogradTransformed(weights, outChannels: outChannels, inChannels: inChannels, filters: filters) : nil
            /// (k - padding) = s offset + phase, with phase in 0..<s.
            func split(_ k: Int) -> (phase: Int, offset: Int) {
                let shifted = k - padding, phase = (shifted % stride + stride) % stride
                return (phase, (shifted - phase) / stride)
            }
            directTaps = (0..<inChannels).flatMap { c in
                (0..<(kernel * kernel)).map { tap in
                    let (a, di) = split(tap / kernel), (b, dj) = split(tap % kernel)
                    return (plane: c * stride * stride + a * stride + b, row: di + 1, column: dj + 1)
                }
            }
        } else {
            packedWeights = nil
            winogradWeights = nil
            directTaps = []
        }
    }

    /// U = G g G^T for each filter o and channel c (g = weights[o][c], 3 x 3), with G =
    /// [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]: element xi = 4a + b as matrix xi's (o, c), each matrix
    /// packed for `DirectConvolution.run` with `filters` rows (the rows past outChannels zero).
    static func winogradTransformed(_ weights: [Float], outChannels: Int, inChannels: Int, filters: Int) -> [Float] {
        /// G applied to three values: (x0, (x0 + x1 + x2) / 2, (x0 - x1 + x2) / 2, x2).
        func expand(_ x0: Double, _ x1: Double, _ x2: Double) -> (Double, Double, Double, Double) {
            (x0, (x0 + x1 + x2) / 2, (x0 - x1 + x2) / 2, x2)
        }
        let size = filters * inChannels
        var matrices = [Float](repeating: 0, count: 16 * size)
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                let g = (o * inChannels + c) * 9
                func weight(_ row: Int, _ column: Int) -> Double { Double(weights[g + 3 * row + column]) }
                // G g, column by column; then row a of (G g) G^T is G applied to row a of G g.
                let (left, middle, right) = (expand(weight(0, 0), weight(1, 0), weight(2, 0)), expand(weight(0, 1), weight(1, 1), weight(2, 1)),
                                             expand(weight(0, 2), weight(1, 2), weight(2, 2)))
                func store(_ a: Int, _ row: (Double, Double, Double, Double)) {
                    let at = 4 * a * size + o * inChannels + c
                    (matrices[at], matrices[at + size], matrices[at + 2 * size], matrices[at + 3 * size]) =
                        (Float(row.0), Float(row.1), Float(row.2), Float(row.3))
                }
                store(0, expand(left.0, middle.0, right.0))
                store(1, expand(left.1, middle.1, right.1))
                store(2, expand(left.2, middle.2, right.2))
                store(3, expand(left.3, middle.3, right.3))
            }
        }
        return (0..<16).flatMap { xi in DirectConvolution.pack(Array(matrices[(xi * size)..<((xi + 1) * size)]), filters: filters, depth: inChannels) }
    }

    /// Whether this processor runs `DirectConvolution` (AVX-512 F, BW, VL and DQ on x86-64), unless
    /// `FPGM_CONVOLUTION=blas` asks for OpenBLAS everywhere.
    static let directKernels: Bool = {
        #if arch(x86_64)
        ProcessInfo.processInfo.environment["FPGM_CONVOLUTION"] != "blas"
            && ProcessorFeatures.flags.isSuperset(of: ProcessorFeatures.avx512.union(["fma"]))
        #else
        false
        #endif
    }()

    /// The side of the output for an input side `size`: floor((size + 2 padding - kernel) / stride) + 1.
    func outputSide(_ size: Int) -> Int { (size + 2 * padding - kernel) / stride + 1 }

    /// The layer applied to a batch: max(floor, conv + shift + offsets + residual), floor 0 for `relu`
    /// (-infinity otherwise). With `scatter`, output row o goes to channel scatter.kept[o] of a
    /// full-width result, and each removed channel c holds max(floor, constant_c + residual). The result
    /// is padded where `DirectConvolution` computed it (so that the next such layer reads it as it is),
    /// dense otherwise.
    func apply(_ input: FeatureMaps, relu: Bool, residual: FeatureMaps? = nil, scatter: ChannelScatter? = nil,
               workspace: Workspace = Workspace()) -> FeatureMaps {
        precondition(input.channels == inChannels, "a convolution of \(inChannels) input channels was given \(input.channels)")
        let layout = PlaneLayout(height: outputSide(input.height), width: outputSide(input.width), padded: packedWeights != nil)
        let channels = scatter?.width ?? outChannels, floor: Float = relu ? 0 : -.infinity
        precondition(residual.map { $0.channels == channels && $0.height == layout.height && $0.width == layout.width } ?? true,
                     "the residual does not fit")
        let residual = residual?.relaid(layout), rows = scatter?.kept ?? Array(0..<outChannels)
        let length = channels * input.batch * layout.planeStride
        var output = FeatureMaps(channels: channels, batch: input.batch, layout: layout,
                                 values: [Float](unsafeUninitializedCapacity: length) { _, count in count = length })
        let residualValues = residual?.values ?? [], offsetValues = offsets?.values ?? []
        output.values.withUnsafeMutableBufferPointer { out in
            residualValues.withUnsafeBufferPointer { residuals in
                offsetValues.withUnsafeBufferPointer { offsetMaps in
                    let residual = residuals.isEmpty ? nil : residuals.baseAddress!, offsets = offsetMaps.isEmpty ? nil : offsetMaps.baseAddress!
                    if let packedWeights {
                        convolveDirectly(input, packedWeights: packedWeights, rows: rows, constants: scatter?.constants ?? [:], floor: floor,
                                         residual: residual, offsets: offsets, into: out.baseAddress!, layout: layout, workspace: workspace)
                    } else {
                        let plane = layout.planeStride, raw = multiplyThroughBLAS(input.dense(), outHeight: layout.height, outWidth: layout.width)
                        raw.withUnsafeBufferPointer { values in
                            for o in 0..<outChannels {
                                for image in 0..<input.batch {
                                    let start = (rows[o] * input.batch + image) * plane
                                    Self.finish(values.baseAddress! + (o * input.batch + image) * plane, count: plane, shift: shifts[o],
                                                offsets: offsets.map { $0 + o * plane }, residual: residual.map { $0 + start }, floor: floor,
                                                into: out.baseAddress! + start)
                                }
                            }
                        }
                    }
                }
            }
        }
        if packedWeights == nil {
            for (channel, value) in scatter?.constants ?? [:] {
                output.fill(channel: channel) { index in max(value + (residual?.values[index] ?? 0), floor) }
            }
        }
        return output
    }

    /// out[i] = max(floor, raw[i] + shift + offsets[i] + residual[i]) for i in 0..<count (offsets,
    /// residual nil: none).
    static func finish(_ raw: UnsafePointer<Float>, count: Int, shift: Float, offsets: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
                       floor: Float, into out: UnsafeMutablePointer<Float>) {
        func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self) }
        let shifts = SIMD8<Float>(repeating: shift), floors = SIMD8<Float>(repeating: floor)
        var i = 0
        while i + 8 <= count {
            var value = load(raw + i) + shifts
            if let offsets { value += load(offsets + i) }
            if let residual { value += load(residual + i) }
            UnsafeMutableRawPointer(out + i).storeBytes(of: value.replacing(with: floors, where: value .< floors), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            out[i] = max(raw[i] + shift + (offsets?[i] ?? 0) + (residual?[i] ?? 0), floor)
            i += 1
        }
    }

    /// W x (the unfolded input), through OpenBLAS: [outChannels][batch H' W'].
    func multiplyThroughBLAS(_ input: FeatureMaps, outHeight: Int, outWidth: Int) -> [Float] {
        let columns = input.batch * outHeight * outWidth, depth = inChannels * kernel * kernel
        var output = [Float](unsafeUninitializedCapacity: outChannels * columns) { _, count in count = outChannels * columns }
        // Column blocks small enough (M N K <= 10^6) for OpenBLAS's unpacked small-matrix kernels, but at
        // least 64 wide (narrower blocks run slower than packing).
        let block = max(64, min(columns, 1_000_000 / max(1, outChannels * depth) / 16 * 16))
        let multiply = { (patches: UnsafePointer<Float>) in
            self.weights.withUnsafeBufferPointer { filters in
                output.withUnsafeMutableBufferPointer { result in
                    var first = 0
                    while first < columns {
                        let width = min(block, columns - first)
                        BLASRuntime.multiply(m: self.outChannels, n: width, k: depth, filters.baseAddress!, lda: depth, patches + first,
                                             ldb: columns, into: result.baseAddress! + first, ldc: columns)
                        first += width
                    }
                }
            }
        }
        if kernel == 1, stride == 1, padding == 0 {
            input.values.withUnsafeBufferPointer { multiply($0.baseAddress!) }
        } else {
            unfold(input, outHeight: outHeight, outWidth: outWidth).withUnsafeBufferPointer { multiply($0.baseAddress!) }
        }
        return output
    }

    /// The layer by `DirectConvolution`, for a 3 x 3 convolution of padding 1 and stride s (1 or 2), as
    /// a stride-1 convolution over phase planes: phase (a, b) of an input plane holds input(s i + a, s j + b)
    /// at (i, j) (stride 1 has the one phase (0, 0)), and tap (ky, kx) reads phase (a, b) =
    /// ((ky - 1) mod s, (kx - 1) mod s) at offset (di, dj) = (floor((ky - 1) / s), floor((kx - 1) / s)),
    /// which lies in {-1, 0, 1}. The phase planes have the padded layout of the output (`PlaneLayout`),
    /// where (i, j) sits at origin + i pw + j, so output position q = y pw + x reads offset (di, dj) at
    /// q + (di + 1) pw + dj + 1. A padded input of stride 1 is its own phase plane; any other input is
    /// copied into phase planes first. Filter o's result goes to channel rows[o] of `out` (in `layout`),
    /// and each of `constants` (channel: value) holds max(floor, value + residual), the padding's zeros
    /// written too.
    func convolveDirectly(_ input: FeatureMaps, packedWeights: [Float], rows: [Int], constants: [Int: Float], floor: Float,
                          residual: UnsafePointer<Float>?,
                          offsets: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>, layout: PlaneLayout, workspace: Workspace) {
        let pw = layout.rowStride, planeStride = layout.planeStride, positions = layout.positions
        let filters = packedWeights.count / (inChannels * kernel * kernel), depth = inChannels * kernel * kernel
        // Phase plane (c, phase) of an image starts at ((c phases + phase) batch + image) planeStride.
        let phases = stride * stride
        let planes = stride == 1 && input.layout == layout ? input.values
            : [Float](unsafeUninitializedCapacity: inChannels * phases * input.batch * planeStride) { target, count in
                input.values.withUnsafeBufferPointer { source in
                    for c in 0..<inChannels {
                        for phase in 0..<phases {
                            let a = phase / stride, b = phase % stride
                            let rows = min(layout.height, (input.height - a + stride - 1) / stride)
                            let columns = min(layout.width, (input.width - b + stride - 1) / stride)
                            for image in 0..<input.batch {
                                DirectConvolution.fillPlane(source.baseAddress! + input.rowStart(channel: c, image: image, row: a) + b,
                                                            rowStep: stride * input.layout.rowStride, columnStep: stride, rows: rows, columns: columns,
                                                            into: target.baseAddress! + ((c * phases + phase) * input.batch + image) * planeStride,
                                                            stride: pw, length: planeStride)
                            }
                        }
                    }
                }
                count = inChannels * phases * input.batch * planeStride
            }
        let winograd = winogradWeights.flatMap { Winograd.handles(height: layout.height, width: layout.width) ? $0 : nil }
        let displacements = winograd == nil ? directTaps.map { tap in tap.plane * input.batch * planeStride + tap.row * pw + tap.column } : []
        // 1 at the grid positions of the map, 0 at its padding column and past its last row.
        var mask = [Float](repeating: 0, count: positions)
        for y in 0..<layout.height { mask.replaceSubrange((y * pw)..<(y * pw + layout.width), with: repeatElement(1, count: layout.width)) }
        let destinations = rows.map { $0 * input.batch * planeStride }, constantChannels = constants.sorted { $0.key < $1.key }
        packedWeights.withUnsafeBufferPointer { w in
            planes.withUnsafeBufferPointer { x in
                displacements.withUnsafeBufferPointer { d in
                    shifts.withUnsafeBufferPointer { shifts in
                        mask.withUnsafeBufferPointer { mask in
                            destinations.withUnsafeBufferPointer { destinations in
                                var image = 0
                                while image < input.batch {
                                    let start = image * planeStride + layout.origin
                                    let images = winograd == nil ? 1 : min(Winograd.imagesPerProduct, input.batch - image)
                                    if let winograd {
                                        convolveByWinograd(winograd, images: images, planes: x.baseAddress! + image * planeStride,
                                                           channelStride: input.batch * planeStride, layout: layout, filters: filters, floor: floor,
                                                           destinations: destinations.baseAddress!, residual: residual.map { $0 + image * planeStride },
                                                           offsets: offsets, into: out + image * planeStride, workspace: workspace)
                                    } else {
                                        let epilogue = DirectConvolution.Epilogue(
                                            filters: outChannels, shifts: shifts.baseAddress!, floor: floor, destinations: destinations.baseAddress!,
                                            mask: mask.baseAddress!, residual: residual.map { $0 + start }, offsets: offsets.map { $0 + layout.origin },
                                            offsetStride: planeStride)
                                        DirectConvolution.run(packed: w.baseAddress!, filters: filters, depth: depth, x: x.baseAddress! + image * planeStride,
                                                              displacements: d.baseAddress!, count: positions, out: out + start, store: .finished(epilogue))
                                    }
                                    for done in image..<(image + images) {
                                        finishPlanes(image: done, constants: constantChannels, destinations: destinations, floor: floor, mask: mask.baseAddress!,
                                                     residual: residual, out: out, layout: layout, channelStride: input.batch * planeStride)
                                    }
                                    image += images
                                }
                            }
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
            DirectConvolution.finishConstant(value, floor: floor, count: layout.positions, mask: mask,
                                             residual: residual.map { $0 + start + channel * channelStride }, into: out + start + channel * channelStride)
        }
        let end = layout.origin + layout.height * layout.rowStride
        func clearAroundMap(_ destination: Int) {
            let plane = out + destination + image * layout.planeStride
            plane.update(repeating: 0, count: layout.origin)
            (plane + end).update(repeating: 0, count: layout.planeStride - end)
        }
        destinations.forEach(clearAroundMap)
        constants.forEach { clearAroundMap($0.key * channelStride) }
    }

    /// `images` consecutive images of a stride-1 layer by `Winograd` F(2 x 2, 3 x 3): the inputs' transforms
    /// V (16 matrices of channels x blocks, the images' blocks side by side), the 16 products M = U V, and
    /// each filter's output transform, finished as `DirectConvolution.Epilogue` would (`planes`,
    /// `residual`, `out`: the first image's planes at grid position 0, images a plane apart, channels
    /// `channelStride` and destinations[o] apart; `offsets`: batch 1).
    func convolveByWinograd(_ weights: [Float], images: Int, planes: UnsafePointer<Float>, channelStride: Int, layout: PlaneLayout, filters: Int,
                            floor: Float, destinations: UnsafePointer<Int>, residual: UnsafePointer<Float>?, offsets: UnsafePointer<Float>?,
                            into out: UnsafeMutablePointer<Float>, workspace: Workspace) {
        // Rows of `images blocks` values, `width` apart (a multiple of 8, as `run` needs; the lanes past the
        // blocks zero); the 16 matrices 16 floats more than their rows apart, so that they do not all start
        // at the same offset in a 4 KiB page (loads from one and stores to another would look dependent).
        let blocks = layout.height / 2 * (layout.width / 2), used = images * blocks, width = (used + 7) / 8 * 8
        let inputStride = inChannels * width + 16, productStride = filters * width + 16
        let transformed = workspace.floats(16 * (inputStride + productStride)), products = transformed + 16 * inputStride
        for c in 0..<inChannels {
            for image in 0..<images {
                Winograd.transformInput(planes + c * channelStride + image * layout.planeStride, height: layout.height, width: layout.width,
                                        into: transformed + c * width + image * blocks, matrixStride: inputStride)
            }
        }
        if width > used {
            for xi in 0..<16 {
                for c in 0..<inChannels { (transformed + xi * inputStride + c * width + used).update(repeating: 0, count: width - used) }
            }
        }
        let rows = (0..<inChannels).map { $0 * width }
        weights.withUnsafeBufferPointer { u in
            for xi in 0..<16 {
                DirectConvolution.run(packed: u.baseAddress! + xi * filters * inChannels, filters: filters, depth: inChannels,
                                      x: transformed + xi * inputStride, displacements: rows, count: width,
                                      out: products + xi * productStride, store: .raw(rowStride: width))
            }
        }
        for o in 0..<outChannels {
            for image in 0..<images {
                let plane = destinations[o] + image * layout.planeStride
                Winograd.transformOutput(products + o * width + image * blocks, matrixStride: productStride, height: layout.height,
                                         width: layout.width, shift: shifts[o], floor: floor, offsets: offsets.map { $0 + o * layout.planeStride },
                                         residual: residual.map { $0 + plane }, into: out + plane)
            }
        }
    }

    /// The input's patches as a (C k^2) x (N H' W') matrix: row (c, ky, kx), column (n, y', x') holds
    /// input (c, n, y' stride + ky - padding, x' stride + kx - padding), or 0 outside the map.
    func unfold(_ input: FeatureMaps, outHeight: Int, outWidth: Int) -> [Float] {
        let plane = outHeight * outWidth, columns = input.batch * plane, count = inChannels * kernel * kernel * columns
        guard stride == 1, outHeight == input.height, outWidth == input.width else {
            return unfoldStrided(input, outHeight: outHeight, outWidth: outWidth)
        }
        let side = input.width
        return [Float](unsafeUninitializedCapacity: count) { target, initialized in
            input.values.withUnsafeBufferPointer { source in
                for c in 0..<inChannels {
                    for ky in 0..<kernel {
                        for kx in 0..<kernel {
                            let dy = ky - padding, dx = kx - padding, shift = dy * side + dx
                            // Output rows whose input row lies inside the map.
                            let firstRow = max(0, -dy), endRow = min(outHeight, outHeight - dy)
                            for image in 0..<input.batch {
                                let from = source.baseAddress! + (c * input.batch + image) * plane
                                let to = target.baseAddress! + ((c * kernel + ky) * kernel + kx) * columns + image * plane
                                // Rows above and below the map.
                                to.update(repeating: 0, count: firstRow * side)
                                (to + endRow * side).update(repeating: 0, count: (outHeight - endRow) * side)
                                guard firstRow < endRow else { continue }
                                // The rows inside, as one shifted copy (clipped to the input), then the columns that
                                // wrapped around from the neighbouring row set to 0.
                                let low = max(firstRow * side + shift, 0), high = min(endRow * side + shift, plane)
                                (to + firstRow * side).update(repeating: 0, count: low - shift - firstRow * side)
                                (to + low - shift).update(from: from + low, count: high - low)
                                (to + high - shift).update(repeating: 0, count: endRow * side - (high - shift))
                                if dx != 0 {
                                    let column = dx < 0 ? 0 : side - dx
                                    for y in firstRow..<endRow {
                                        for x in column..<(column + abs(dx)) { to[y * side + x] = 0 }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            initialized = count
        }
    }

    /// `unfold` for any stride, element by element.
    func unfoldStrided(_ input: FeatureMaps, outHeight: Int, outWidth: Int) -> [Float] {
        let plane = outHeight * outWidth, columns = input.batch * plane
        var patches = [Float](repeating: 0, count: inChannels * kernel * kernel * columns)
        input.values.withUnsafeBufferPointer { source in
            patches.withUnsafeMutableBufferPointer { target in
                for c in 0..<inChannels {
                    for ky in 0..<kernel {
                        for kx in 0..<kernel {
                            let row = ((c * kernel + ky) * kernel + kx) * columns
                            // Output columns x' whose input column x' stride + kx - padding lies inside the map.
                            let firstX = max(0, (padding - kx + stride - 1) / stride)
                            let lastX = min(outWidth - 1, (input.width - 1 + padding - kx) / stride)
                            guard firstX <= lastX else { continue }
                            for image in 0..<input.batch {
                                let sourceImage = (c * input.batch + image) * input.height * input.width
                                for y in 0..<outHeight {
                                    let inputY = y * stride + ky - padding
                                    guard inputY >= 0, inputY < input.height else { continue }
                                    let from = sourceImage + inputY * input.width - padding + kx
                                    let to = row + image * plane + y * outWidth
                                    for x in firstX...lastX { target[to + x] = source[from + x * stride] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return patches
    }
}

/// Scratch memory that one thread reuses from layer to layer (the Winograd transforms), so that a forward
/// pass does not map and unmap large blocks for every layer.
final class Workspace {
    private var storage: UnsafeMutablePointer<Float>?
    private var capacity = 0

    /// At least `count` floats, valid until the next call.
    func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            storage?.deallocate()
            storage = .allocate(capacity: count)
            capacity = count
        }
        return storage!
    }

    deinit { storage?.deallocate() }
}
