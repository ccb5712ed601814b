import ConvolutionKernels

/// The direct convolution kernel (see `DirectConvolution`) and the plane operations of its path, on
/// vectors of 16 floats, or of 8 where the registers are not wide (`wideRegisters`).
enum DirectKernel {
    /// sum_o(q) = sum_d w[o][d] x[q + displacements[d]] for the filters of `packed` (a multiple of 4, in
    /// the order `DirectConvolution.pack` writes them) and the positions q in 0..<count (a multiple of 8), stored into
    /// `out` as `store` says. `x` must be readable up to the largest displacement + count.
    static func run(packed: UnsafePointer<Float>, filters: Int, depth: Int, x: UnsafePointer<Float>,
                    displacements: UnsafePointer<Int>, count: Int, out: UnsafeMutablePointer<Float>, store: DirectConvolution.Store) {
        precondition(filters % 4 == 0 && count % 8 == 0, "filters must be a multiple of 4 and count of 8")
        // Position tiles outside, filter blocks inside: a tile's inputs are read from memory once and then
        // stay in the first-level cache for every block of filters.
        var q = 0
        while q < count {
            // AVX-512: tiles of 8 filters x 48 positions (3 vectors of 16), then of 16, then of 8 for the
            // last positions. AVX2: tiles of 4 filters x 24 positions (3 vectors of 8), then of 16, then of
            // 8; the halves of a block of 8 filters read their weights 8 apart.
            let step = wideRegisters ? (count - q >= 48 ? 48 : count - q >= 16 ? 16 : 8) : (count - q >= 24 ? 24 : count - q >= 16 ? 16 : 8)
            var first = 0
            while first < filters {
                let eight = filters - first >= 8, size = eight ? 8 : 4
                let w = packed + first * depth
                func tile<let F: Int, let J: Int, Vector: KernelVector>(_ shape: Tile<F, J, Vector>.Type, half: Int = 0) {
                    // AVX-512's tiles take whole blocks: their stride, F, is known when compiled.
                    block(shape, w + half, x + q, weightStride: wideRegisters ? F : size, depth: depth, displacements: displacements,
                          Position(filter: first + half, q: q), out, store)
                }
                if !wideRegisters {
                    for half in stride(from: 0, to: size, by: 4) {
                        switch step {
                        case 24: tile(Tile<4, 3, SIMD8<Float>>.self, half: half)
                        case 16: tile(Tile<4, 2, SIMD8<Float>>.self, half: half)
                        default: tile(Tile<4, 1, SIMD8<Float>>.self, half: half)
                        }
                    }
                } else {
                    switch (eight, step) {
                    case (true, 48): tile(Tile<8, 3, SIMD16<Float>>.self)
                    case (true, 16): tile(Tile<8, 1, SIMD16<Float>>.self)
                    case (true, _): tile(Tile<8, 1, SIMD8<Float>>.self)
                    case (false, 48): tile(Tile<4, 3, SIMD16<Float>>.self)
                    case (false, 16): tile(Tile<4, 1, SIMD16<Float>>.self)
                    case (false, _): tile(Tile<4, 1, SIMD8<Float>>.self)
                    }
                }
                first += size
            }
            q += step
        }
    }

    /// The epilogue of a channel whose filter was removed and that holds the constant `value`:
    /// out[q] = mask[q] max(floor, value + residual[q]) for q in 0..<count (a multiple of 8).
    static func finishConstant(_ value: Float, floor: Float, count: Int, mask: UnsafePointer<Float>, residual: UnsafePointer<Float>?,
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
    static func fillPlane(_ source: UnsafePointer<Float>, rowStep: Int, columnStep: Int, rows: Int, columns: Int,
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
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
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
    @inline(__always)
    static func clear(_ target: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            UnsafeMutableRawPointer(target + i).storeBytes(of: SIMD16<Float>(), as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { target[i] = 0; i += 1 }
    }

    /// `F` filters x `J` vectors of positions (a `Tile`): the accumulators stay in registers once the
    /// call is specialized and its loops unrolled (8 x 3 vectors of 16 floats take 24 of AVX-512's 32).
    private typealias Tile<let F: Int, let J: Int, Vector: KernelVector> = InlineArray<F, InlineArray<J, Vector>> where Vector.Scalar == Float

    /// A tile's first filter and first position.
    private struct Position {
        let filter: Int
        let q: Int
    }

    @inline(__always)
    private static func block<let F: Int, let J: Int, Vector: KernelVector>(_ tile: Tile<F, J, Vector>.Type, _ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                                         weightStride: Int, depth: Int, displacements: UnsafePointer<Int>, _ at: Position,
                                                         _ out: UnsafeMutablePointer<Float>, _ store: DirectConvolution.Store) where Vector.Scalar == Float {
        // Zeros the compiler cannot see as constants (depth >> 62 is 0 for any count of floats in memory):
        // with constant zeros it clears the tile with memset and loads the accumulators back from memory,
        // which stalls until the memset's stores complete (a quarter of the time of a depth-32 product).
        let zero = Vector(repeating: Float(bitPattern: UInt32(truncatingIfNeeded: depth >> 62)))
        var sums = Tile<F, J, Vector>(repeating: InlineArray(repeating: zero))
        for d in 0..<depth {
            let p = x + displacements[d], f = w + d &* weightStride
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
