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

    /// sum_o(q) = sum_d w[o][d] x[q + displacements[d]] for the filters of `packed` (a multiple of 4, in
    /// the order `pack` writes them) and the positions q in 0..<count (a multiple of 8), stored into
    /// `out` as `store` says. `x` must be readable up to the largest displacement + count.
    public static func run(packed: UnsafePointer<Float>, filters: Int, depth: Int, x: UnsafePointer<Float>,
                           displacements: UnsafePointer<Int>, count: Int, out: UnsafeMutablePointer<Float>, store: Store) {
        precondition(filters % 4 == 0 && count % 8 == 0, "filters must be a multiple of 4 and count of 8")
        // Position tiles outside, filter blocks inside: a tile's inputs are read from memory once and then
        // stay in the first-level cache for every block of filters.
        var q = 0
        while q < count {
            // Tiles of 48 positions (3 vectors of 16), then of 16, then of 8 for the last positions.
            let step = count - q >= 48 ? 48 : count - q >= 16 ? 16 : 8
            var first = 0
            while first < filters {
                let eight = filters - first >= 8
                let w = packed + first * depth
                let at = Position(filter: first, q: q)
                switch (eight, step) {
                case (true, 48): block(Tile<8, 3, SIMD16<Float>>.self, w, x + q, depth: depth, displacements: displacements, at, out, store)
                case (true, 16): block(Tile<8, 1, SIMD16<Float>>.self, w, x + q, depth: depth, displacements: displacements, at, out, store)
                case (true, _): block(Tile<8, 1, SIMD8<Float>>.self, w, x + q, depth: depth, displacements: displacements, at, out, store)
                case (false, 48): block(Tile<4, 3, SIMD16<Float>>.self, w, x + q, depth: depth, displacements: displacements, at, out, store)
                case (false, 16): block(Tile<4, 1, SIMD16<Float>>.self, w, x + q, depth: depth, displacements: displacements, at, out, store)
                case (false, _): block(Tile<4, 1, SIMD8<Float>>.self, w, x + q, depth: depth, displacements: displacements, at, out, store)
                }
                first += eight ? 8 : 4
            }
            q += step
        }
    }

    /// The epilogue of a channel whose filter was removed and that holds the constant `value`:
    /// out[q] = mask[q] max(floor, value + residual[q]) for q in 0..<count (a multiple of 8).
    public static func finishConstant(_ value: Float, floor: Float, count: Int, mask: UnsafePointer<Float>, residual: UnsafePointer<Float>?,
                                      into out: UnsafeMutablePointer<Float>) {
        precondition(count % 8 == 0, "count must be a multiple of 8")
        func load<Vector: KernelVector>(_ pointer: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self) }
        func finish<Vector: KernelVector>(_: Vector.Type, _ q: Int) {
            var sum = Vector(repeating: value)
            if let residual { sum += load(residual + q) }
            let result: Vector = sum.atLeast(Vector(repeating: floor)) * load(mask + q)
            UnsafeMutableRawPointer(out + q).storeBytes(of: result, as: Vector.self)
        }
        var q = 0
        while q + 16 <= count { finish(SIMD16<Float>.self, q); q += 16 }
        if q < count { finish(SIMD8<Float>.self, q) }
    }

    /// Fills one zero-padded plane of `length` floats with rows `stride` apart: a zero, a zero row, then
    /// `rows` rows whose first `columns` values are source[y rowStep + x columnStep] and the rest zero,
    /// then zeros to the end (the zero row below and the slack).
    public static func fillPlane(_ source: UnsafePointer<Float>, rowStep: Int, columnStep: Int, rows: Int, columns: Int,
                                 into plane: UnsafeMutablePointer<Float>, stride: Int, length: Int) {
        clear(plane, count: 1 + stride)
        for y in 0..<rows {
            let from = source + y * rowStep, to = plane + 1 + (y + 1) * stride
            if columnStep == 1 {
                copy(from, to: to, count: columns)
            } else {
                for x in 0..<columns { to[x] = from[x * columnStep] }
            }
            clear(to + columns, count: stride - columns)
        }
        let end = 1 + (rows + 1) * stride
        clear(plane + end, count: length - end)
    }

    /// Copies `count` floats in vectors of 16, then 8, then one by one: the rows of feature maps are
    /// short, and a call to memmove per row costs more than the copy.
    @inlinable
    public static func copy(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            UnsafeMutableRawPointer(target + i).storeBytes(of: UnsafeRawPointer(source + i).loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
            i += 16
        }
        if i + 8 <= count {
            UnsafeMutableRawPointer(target + i).storeBytes(of: UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { target[i] = source[i]; i += 1 }
    }

    /// Sets `count` floats to zero, in vectors as `copy` does.
    @inlinable
    public static func clear(_ target: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            UnsafeMutableRawPointer(target + i).storeBytes(of: SIMD16<Float>(), as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { target[i] = 0; i += 1 }
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
    typealias Tile<let F: Int, let J: Int, Vector: KernelVector> = InlineArray<F, InlineArray<J, Vector>> where Vector.Scalar == Float

    /// A tile's first filter and first position.
    struct Position {
        let filter: Int
        let q: Int
    }

    @inline(__always)
    static func block<let F: Int, let J: Int, Vector: KernelVector>(_ tile: Tile<F, J, Vector>.Type, _ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                                         depth: Int, displacements: UnsafePointer<Int>, _ at: Position,
                                                         _ out: UnsafeMutablePointer<Float>, _ store: Store) where Vector.Scalar == Float {
        // Zeros the compiler cannot see as constants (depth >> 62 is 0 for any count of floats in memory):
        // with constant zeros it clears the tile with memset and loads the accumulators back from memory,
        // which stalls until the memset's stores complete (a quarter of the time of a depth-32 product).
        let zero = Vector(repeating: Float(bitPattern: UInt32(truncatingIfNeeded: depth >> 62)))
        var sums = Tile<F, J, Vector>(repeating: InlineArray(repeating: zero))
        for d in 0..<depth {
            let p = x + displacements[d], f = w + d * F
            var inputs = InlineArray<J, Vector>(repeating: Vector())
            for j in 0..<J { inputs[j] = UnsafeRawPointer(p + j * Vector.scalarCount).loadUnaligned(as: Vector.self) }
            for o in 0..<F {
                let weight = Vector(repeating: f[o])
                for j in 0..<J { sums[o][j].addProduct(weight, inputs[j]) }
            }
        }
        func write(_ value: Vector, _ pointer: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector.self) }
        guard case let .finished(epilogue) = store else {
            guard case let .raw(rowStride) = store else { return }
            for o in 0..<F {
                for j in 0..<J { write(sums[o][j], out + (at.filter + o) * rowStride + at.q + j * Vector.scalarCount) }
            }
            return
        }
        func load(_ pointer: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self) }
        let floor = Vector(repeating: epilogue.floor)
        for o in 0..<F where at.filter + o < epilogue.filters {
            let filter = at.filter + o, destination = epilogue.destinations[filter] + at.q
            let shift = Vector(repeating: epilogue.shifts[filter]), offsets = epilogue.offsets.map { $0 + filter * epilogue.offsetStride + at.q }
            for j in 0..<J {
                let lane = j * Vector.scalarCount
                var value = sums[o][j] + shift
                if let offsets { value += load(offsets + lane) }
                if let residual = epilogue.residual { value += load(residual + destination + lane) }
                write(value.atLeast(floor) * load(epilogue.mask + at.q + lane), out + destination + lane)
            }
        }
    }
}

/// The vectors the kernels run on. `atLeast` is written for each concrete type, where the compiler
/// turns it into one compare and one blend (generic code compares lane by lane).
protocol KernelVector: SIMD where Scalar == Float {
    /// max(self, floor) lane by lane.
    func atLeast(_ floor: Self) -> Self
}

extension SIMD16: KernelVector where Scalar == Float {
    @inline(__always) func atLeast(_ floor: Self) -> Self { replacing(with: floor, where: self .< floor) }
}

extension SIMD8: KernelVector where Scalar == Float {
    @inline(__always) func atLeast(_ floor: Self) -> Self { replacing(with: floor, where: self .< floor) }
}
