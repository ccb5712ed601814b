/// The loops of batch normalisation in training over one channel's `count` values, as compiled for one
/// instruction set (the module `KernelsAVX512`, `KernelsAVX2` or `KernelsBaseline`, like
/// `ConvolutionKernelSet`). Each set gives the same bits: the sums run in the same Float64 lanes and
/// are added in the same tree, and every other value is computed lane by lane.
public protocol BatchNormKernelSet: Sendable {
    /// The mean mu = sum z / count and the biased variance sum (z - mu)^2 / count, in two passes.
    static func statistics(_ z: UnsafePointer<Float>, count: Int) -> (mean: Double, variance: Double)

    /// zhat = (z - mean) inverseDeviation into `normalized` and max(floor, gamma zhat + beta + residual)
    /// into `out` (without a residual, max(floor, gamma zhat + beta)).
    static func normalize(_ z: UnsafePointer<Float>, count: Int, mean: Float, inverseDeviation: Float, gamma: Float, beta: Float,
                          residual: UnsafePointer<Float>?, floor: Float, normalized: UnsafeMutablePointer<Float>,
                          into out: UnsafeMutablePointer<Float>)

    /// (sum g, sum g zhat), where g = dy, or, with `rectified` (the output of a ReLU after the batch
    /// norm), g = dy where rectified > 0 and 0 elsewhere, also written to `masked`.
    static func gradientSums(_ dy: UnsafePointer<Float>, normalized zhat: UnsafePointer<Float>, count: Int,
                             rectified: UnsafePointer<Float>?, masked: UnsafeMutablePointer<Float>) -> (sum: Double, dot: Double)

    /// dz = scale (dy - meanDy - zhat meanDyZhat); dz may be dy itself.
    static func inputGradient(_ dy: UnsafePointer<Float>, normalized zhat: UnsafePointer<Float>, count: Int, scale: Float, meanDy: Float,
                              meanDyZhat: Float, into dz: UnsafeMutablePointer<Float>)

    /// The same dz for one map of `height` rows of `width` values (dy and zhat dense), written as a
    /// zero-padded plane of `length` floats with rows `rowStride` apart (the layout
    /// `ConvolutionKernelSet.fillPlane` writes): a zero, a zero row, then each row followed by zeros to
    /// `rowStride`, then zeros to the end.
    static func paddedInputGradient(_ dy: UnsafePointer<Float>, normalized zhat: UnsafePointer<Float>, height: Int, width: Int, scale: Float,
                                    meanDy: Float, meanDyZhat: Float, into plane: UnsafeMutablePointer<Float>, rowStride: Int, length: Int)
}
