/// The direct convolution kernel's operands (the kernel itself is `ConvolutionKernelSet.convolve`).
///
/// A convolution of stride 1 over zero-padded input planes is a sum of shifted planes: for an output
/// position q on the padded grid (row stride `pw`, so q = y pw + x), out_o(q) = sum_d w_od x(q + s_d), where
/// d runs over (input channel c, kernel row ky, kernel column kx) and the displacement s_d is
/// c (channel stride) + ky pw + kx.
/// The kernel keeps a tile of filters x positions in registers and runs over d; the weights
/// are packed so that the tile's filters for one d are adjacent ([filter block][d][filter in block]).
/// The same kernel multiplies Winograd's matrices (d = channel, displacement = the channel's row).
public enum DirectConvolution {
    /// What becomes of filter o's sum at grid position q before it is stored (the batch norm's shift,
    /// the offsets of removed input channels, the shortcut, the ReLU, and the zeros of the next layer's
    /// padding):
    ///
    ///     out[destinations[o] + q] = mask[q] max(floor, sum + shifts[o] + offsets[o offsetStride + q] + residual[destinations[o] + q])
    ///
    /// for the first `filters` filters (the zero filters that round the count up to 4 are not stored).
    /// `mask[q]` is 1 where q is a position of the map and 0 where it is padding.
    public struct Epilogue {
        public var filters: Int
        public var shifts: UnsafePointer<Float>
        public var floor: Float
        public var destinations: UnsafePointer<Int>
        public var mask: UnsafePointer<Float>
        public var residual: UnsafePointer<Float>?
        public var offsets: UnsafePointer<Float>?
        public var offsetStride: Int

        public init(filters: Int, shifts: UnsafePointer<Float>, floor: Float, destinations: UnsafePointer<Int>, mask: UnsafePointer<Float>,
                    residual: UnsafePointer<Float>?, offsets: UnsafePointer<Float>?, offsetStride: Int) {
            self.filters = filters
            self.shifts = shifts
            self.floor = floor
            self.destinations = destinations
            self.mask = mask
            self.residual = residual
            self.offsets = offsets
            self.offsetStride = offsetStride
        }
    }

    /// Where the sums go: as they are, filter o's row at out + o rowStride (every filter, the zero ones
    /// included), or finished by an `Epilogue`.
    public enum Store {
        case raw(rowStride: Int)
        case finished(Epilogue)
    }

    /// `weights` ([filters][depth], filters a multiple of 4) in the order the kernel reads: blocks of 8
    /// filters (then one of 4 if needed), each [d][filter in block].
    public static func pack(_ weights: [Float], filters: Int, depth: Int) -> [Float] {
        precondition(filters % 4 == 0 && weights.count == filters * depth, "pack needs filters x depth weights, filters a multiple of 4")
        return [Float](unsafeUninitializedCapacity: weights.count) { packed, initialized in
            weights.withUnsafeBufferPointer { weights in
                for o in 0..<filters {
                    let row = weights.baseAddress! + o * depth, at = packed.baseAddress! + packedIndex(filter: o, d: 0, filters: filters, depth: depth)
                    let size = blockSize(of: o, filters: filters)
                    for d in 0..<depth { at[d * size] = row[d] }
                }
            }
            initialized = weights.count
        }
    }

    /// Where `pack` puts weight (filter, d): in filter's block (of `blockSize` filters, starting at
    /// `first`), at first depth + d size + (filter - first).
    public static func packedIndex(filter: Int, d: Int, filters: Int, depth: Int) -> Int {
        let first = filter < filters / 8 * 8 ? filter / 8 * 8 : filters / 8 * 8
        return first * depth + d * blockSize(of: filter, filters: filters) + filter - first
    }

    /// The size of filter's block: 8, or 4 for the last block when filters is not a multiple of 8.
    static func blockSize(of filter: Int, filters: Int) -> Int { filter < filters / 8 * 8 ? 8 : 4 }
}
