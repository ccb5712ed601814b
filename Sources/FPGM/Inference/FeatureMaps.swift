import ConvolutionKernels

/// A batch of feature maps stored channel-major: one plane per (channel c, image n), in the order
/// (c, n), each laid out densely ((c batch + n) height + y) width + x) or with the zero padding the
/// direct convolution reads (`PlaneLayout`). With the channel outermost a convolution of the whole batch
/// is one matrix product (filters x unfolded patches) whose result is already in the dense layout, and
/// a per-channel operation (a constant channel) touches one contiguous run.
public struct FeatureMaps: Sendable, Equatable {
    public let channels: Int
    public let batch: Int
    public let height: Int
    public let width: Int
    /// Where each plane's values sit in `values`.
    public let layout: PlaneLayout
    /// The planes, (channel, image) at (channel batch + image) layout.planeStride.
    public var values: [Float]

    /// Dense maps: the value of channel c, image n, row y, column x at ((c batch + n) height + y) width + x.
    public init(channels: Int, batch: Int, height: Int, width: Int, values: [Float]) {
        self.init(channels: channels, batch: batch, layout: PlaneLayout(height: height, width: width, padded: false), values: values)
    }

    init(channels: Int, batch: Int, layout: PlaneLayout, values: [Float]) {
        precondition(values.count == channels * batch * layout.planeStride, "feature maps do not match their shape")
        self.channels = channels
        self.batch = batch
        height = layout.height
        width = layout.width
        self.layout = layout
        self.values = values
    }

    /// Maps of zeros.
    init(channels: Int, batch: Int, height: Int, width: Int, padded: Bool = false) {
        let layout = PlaneLayout(height: height, width: width, padded: padded)
        self.init(channels: channels, batch: batch, layout: layout, values: [Float](repeating: 0, count: channels * batch * layout.planeStride))
    }

    /// Values per channel: batch planes.
    var channelLength: Int { batch * layout.planeStride }

    /// The index in `values` of (row y, column 0) of channel c's map of image n.
    func rowStart(channel c: Int, image n: Int, row y: Int) -> Int { layout.rowStart(plane: c * batch + n, row: y) }

    /// Sets every position of channel c (all images) to value(index), the index of that position in `values`.
    mutating func fill(channel c: Int, _ value: (Int) -> Float) {
        for n in 0..<batch {
            for y in 0..<height {
                let start = rowStart(channel: c, image: n, row: y)
                for index in start..<(start + width) { values[index] = value(index) }
            }
        }
    }

    /// The same maps in `layout` (of the same height and width).
    func relaid(_ layout: PlaneLayout) -> FeatureMaps {
        guard layout != self.layout else { return self }
        precondition(layout.height == height && layout.width == width, "a layout of another size")
        var copy = FeatureMaps(channels: channels, batch: batch, layout: layout,
                               values: [Float](repeating: 0, count: channels * batch * layout.planeStride))
        for c in 0..<channels {
            for n in 0..<batch {
                for y in 0..<height {
                    let from = rowStart(channel: c, image: n, row: y), to = copy.rowStart(channel: c, image: n, row: y)
                    copy.values.replaceSubrange(to..<(to + width), with: values[from..<(from + width)])
                }
            }
        }
        return copy
    }

    /// The same maps, dense.
    public func dense() -> FeatureMaps { relaid(PlaneLayout(height: height, width: width, padded: false)) }

    /// The maps of images `range` only.
    func images(_ range: Range<Int>) -> FeatureMaps {
        var part = [Float]()
        part.reserveCapacity(channels * range.count * layout.planeStride)
        for channel in 0..<channels {
            let start = (channel * batch + range.lowerBound) * layout.planeStride
            part.append(contentsOf: values[start..<(start + range.count * layout.planeStride)])
        }
        return FeatureMaps(channels: channels, batch: range.count, layout: layout, values: part)
    }

    /// The maps of images `range` in the padded layout of `DirectConvolution` (written in one pass by the
    /// direct path's kernels).
    func paddedImages(_ range: Range<Int>) -> FeatureMaps {
        let padded = PlaneLayout(height: height, width: width, padded: true), planeStride = padded.planeStride
        let count = channels * range.count * planeStride, kernels = FoldedConvolution.kernels
        let part = [Float](unsafeUninitializedCapacity: count) { target, initialized in
            values.withUnsafeBufferPointer { source in
                for c in 0..<channels {
                    for (slot, image) in range.enumerated() {
                        kernels.fillPlane(source.baseAddress! + rowStart(channel: c, image: image, row: 0), rowStep: layout.rowStride,
                                          columnStep: 1, rows: height, columns: width,
                                          into: target.baseAddress! + (c * range.count + slot) * planeStride,
                                          stride: padded.rowStride, length: planeStride)
                    }
                }
            }
            initialized = count
        }
        return FeatureMaps(channels: channels, batch: range.count, layout: padded, values: part)
    }

    /// Writes these maps densely as images first..<first + batch of a dense batch of `total` images at `out`
    /// (on the direct path, whose kernels copy the rows), plus the same positions of `addend` (a dense
    /// batch of the same shape) when given.
    func copyDensely(into out: UnsafeMutablePointer<Float>, first: Int, of total: Int, adding addend: UnsafePointer<Float>? = nil) {
        let plane = height * width, kernels = FoldedConvolution.kernels
        values.withUnsafeBufferPointer { source in
            for c in 0..<channels {
                for image in 0..<batch {
                    for y in 0..<height {
                        let from = source.baseAddress! + rowStart(channel: c, image: image, row: y), to = (c * total + first + image) * plane + y * width
                        if let addend { add(from, addend + to, into: out + to, count: width) } else { kernels.copy(from, to: out + to, count: width) }
                    }
                }
            }
        }
    }

    /// The max pooling of `pooling`.
    func maxPooled(_ pooling: NetworkGraph.MaxPooling) -> FeatureMaps {
        maxPooled(window: pooling.window, stride: pooling.stride, padding: pooling.padding)
    }

    /// Max pooling over `window` x `window` squares, `stride` apart, with `padding` rows and columns of
    /// -infinity around the map (PyTorch's MaxPool2d); the side becomes (side + 2 padding - window) / stride + 1.
    func maxPooled(window: Int, stride: Int, padding: Int) -> FeatureMaps {
        let values = dense().values
        let height = (self.height + 2 * padding - window) / stride + 1, width = (self.width + 2 * padding - window) / stride + 1
        var pooled = FeatureMaps(channels: channels, batch: batch, height: height, width: width)
        for map in 0..<(channels * batch) {
            let from = map * self.height * self.width, to = map * height * width
            for y in 0..<height {
                for x in 0..<width {
                    var largest = -Float.infinity
                    for iy in max(0, y * stride - padding)..<min(self.height, y * stride - padding + window) {
                        for ix in max(0, x * stride - padding)..<min(self.width, x * stride - padding + window) {
                            largest = max(largest, values[from + iy * self.width + ix])
                        }
                    }
                    pooled.values[to + y * width + x] = largest
                }
            }
        }
        return pooled
    }

    /// Global average pooling: for each image, the mean of each channel's map, as features[n][c].
    func averagePooled() -> [[Float]] {
        (0..<batch).map { image in
            (0..<channels).map { channel in
                var sum: Float = 0
                for y in 0..<height {
                    let start = rowStart(channel: channel, image: image, row: y)
                    for index in start..<(start + width) { sum += values[index] }
                }
                return sum / Float(height * width)
            }
        }
    }
}

/// Where the values of one map (one channel of one image) sit in its plane: (y, x) at
/// origin + y rowStride + x, the planes planeStride apart.
///
/// Dense: rowStride = width, origin 0, planeStride = height width. Padded (what `DirectConvolution`
/// reads and writes): rowStride pw = width + 1, so that one zero column serves as the right border of
/// each row and the left border of the next; a zero before the plane and a zero row above it (origin
/// pw + 1); a zero row below it; and zeros after it for the kernel's last reads, which run up to
/// 2 pw + 2 past the last of `positions` (the grid positions y pw + x, rounded up to whole vectors).
public struct PlaneLayout: Sendable, Equatable {
    public let height: Int
    public let width: Int
    public let padded: Bool
    public let rowStride: Int
    public let origin: Int
    public let planeStride: Int

    public init(height: Int, width: Int, padded: Bool) {
        self.height = height
        self.width = width
        self.padded = padded
        if padded {
            let pw = width + 1, positions = (height * pw + 7) / 8 * 8
            (rowStride, origin) = (pw, pw + 1)
            planeStride = (max(1 + (height + 2) * pw, positions + 2 * pw + 2 + 16) + 15) / 16 * 16
        } else {
            (rowStride, origin, planeStride) = (width, 0, height * width)
        }
    }

    /// The index of (row y, column 0) of plane `plane` (channel c of image n is plane c batch + n) among
    /// planes laid out one after another.
    func rowStart(plane: Int, row y: Int) -> Int { plane * planeStride + origin + y * rowStride }

    /// The grid positions q = y rowStride + x that a padded plane's kernels compute: height rows of pw,
    /// rounded up to a multiple of 8.
    var positions: Int { (height * rowStride + 7) / 8 * 8 }
}
