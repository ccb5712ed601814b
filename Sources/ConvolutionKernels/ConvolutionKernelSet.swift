/// The convolution kernels as compiled for one instruction set. Swift has no per-function target
/// attribute, so the kernels' sources (in KernelsAVX512, linked into KernelsAVX2) are compiled once
/// per set, each module for its own processor (Package.swift), and each module's `Kernels` conforms
/// here. The engine checks the processor's flags and calls one set through
/// `any ConvolutionKernelSet.Type`. The modules define only their own symbols: none of their code is
/// inlinable elsewhere, and they call none of this module's inlinable code (which a module would
/// compile for its processor under a name the linker shares).
///
/// Each lane of a product is the same sum in the same order whichever the registers, so the direct
/// kernel and Winograd's transforms give the same bits on every set; `filterGradient` adds its lanes
/// in a tree whose shape follows the vector width.
public protocol ConvolutionKernelSet: Sendable {
    /// sum_o(q) = sum_d w[o][d] x[q + displacements[d]] for the filters of `packed` (a multiple of 4, in
    /// the order `DirectConvolution.pack` writes them) and the positions q in 0..<count (a multiple of
    /// 8), stored into `out` as `store` says. `x` must be readable up to the largest displacement + count.
    static func convolve(packed: UnsafePointer<Float>, filters: Int, depth: Int, x: UnsafePointer<Float>,
                         displacements: UnsafePointer<Int>, count: Int, out: UnsafeMutablePointer<Float>, store: DirectConvolution.Store)

    /// The weight gradient of a 3 x 3 convolution of stride 1 and padding 1 over padded planes:
    /// dW[o][c][tap] summed over `images` images (channel c of image n at x + c xChannelStride +
    /// n planeStride, filter o's output gradient at dy + o dyChannelStride + n planeStride; row stride
    /// `rowStride`, maps of `height` rows), overwriting `into` ([filters][channels][9]).
    static func filterGradient(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, filters: Int, channels: Int, images: Int, dyChannelStride: Int,
                               xChannelStride: Int, planeStride: Int, rowStride: Int, height: Int, into dw: UnsafeMutablePointer<Float>)

    /// V = B^T d B for every 2 x 2 block of one padded plane (`plane` at grid position 0): element
    /// xi = 4a + b of block (i, j) goes to v[xi matrixStride + i (W / 2) + j] (see `Winograd`).
    static func winogradInput(_ plane: UnsafePointer<Float>, height: Int, width: Int, into v: UnsafeMutablePointer<Float>, matrixStride: Int)

    /// For one filter: Y = A^T m A of every block, m's element xi of block (i, j) at
    /// m[xi matrixStride + i (W / 2) + j], stored in the padded plane `out` (at grid position 0), zero
    /// column included, as out(y, x) = max(floor, Y(y, x) + shift + offsets(y, x) + residual(y, x))
    /// (offsets and residual planes in the same layout, or nil). The zero rows are the caller's.
    static func winogradOutput(_ m: UnsafePointer<Float>, matrixStride: Int, height: Int, width: Int, shift: Float, floor: Float,
                               offsets: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>)

    /// Fills one zero-padded plane of `length` floats with rows `stride` apart: a zero, a zero row, then
    /// `rows` rows whose first `columns` values are source[y rowStep + x columnStep] and the rest zero,
    /// then zeros to the end (the zero row below and the slack).
    static func fillPlane(_ source: UnsafePointer<Float>, rowStep: Int, columnStep: Int, rows: Int, columns: Int,
                          into plane: UnsafeMutablePointer<Float>, stride: Int, length: Int)

    /// The epilogue of a channel whose filter was removed and that holds the constant `value`:
    /// out[q] = mask[q] max(floor, value + residual[q]) for q in 0..<count (a multiple of 8).
    static func finishConstant(_ value: Float, floor: Float, count: Int, mask: UnsafePointer<Float>, residual: UnsafePointer<Float>?,
                               into out: UnsafeMutablePointer<Float>)

    /// Copies `count` floats from `source` to `target`.
    static func copy(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int)

    /// Sets `count` floats to zero.
    static func clear(_ target: UnsafeMutablePointer<Float>, count: Int)
}
