import ConvolutionKernels

#if WIDE_REGISTERS
/// This module's processor has 32 vector registers of 16 floats (AVX-512): tiles of 8 filters x 48
/// positions fit.
let wideRegisters = true
#else
/// This module's processor has 16 vector registers of 8 floats (AVX2): tiles of 8 filters x 8 positions.
let wideRegisters = false
#endif

/// The convolution kernels compiled for this module's processor (Package.swift sets it, and whether
/// its registers are wide): call them only on processors that have its instructions.
public enum Kernels: ConvolutionKernelSet {
    public static func convolve(packed: UnsafePointer<Float>, filters: Int, depth: Int, x: UnsafePointer<Float>,
                                displacements: UnsafePointer<Int>, count: Int, out: UnsafeMutablePointer<Float>, store: DirectConvolution.Store) {
        DirectKernel.run(packed: packed, filters: filters, depth: depth, x: x, displacements: displacements, count: count, out: out, store: store)
    }

    public static func filterGradient(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, filters: Int, channels: Int, images: Int,
                                      dyChannelStride: Int, xChannelStride: Int, planeStride: Int, rowStride: Int, height: Int,
                                      into dw: UnsafeMutablePointer<Float>) {
        FilterGradient.compute(dy: dy, x: x, filters: filters, channels: channels, images: images, dyChannelStride: dyChannelStride,
                               xChannelStride: xChannelStride, planeStride: planeStride, rowStride: rowStride, height: height, into: dw)
    }

    public static func winogradInput(_ plane: UnsafePointer<Float>, height: Int, width: Int, into v: UnsafeMutablePointer<Float>, matrixStride: Int) {
        WinogradTransform.transformInput(plane, height: height, width: width, into: v, matrixStride: matrixStride)
    }

    public static func winogradOutput(_ m: UnsafePointer<Float>, matrixStride: Int, height: Int, width: Int, shift: Float, floor: Float,
                                      offsets: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
        WinogradTransform.transformOutput(m, matrixStride: matrixStride, height: height, width: width, shift: shift, floor: floor,
                                          offsets: offsets, residual: residual, into: out)
    }

    public static func fillPlane(_ source: UnsafePointer<Float>, rowStep: Int, columnStep: Int, rows: Int, columns: Int,
                                 into plane: UnsafeMutablePointer<Float>, stride: Int, length: Int) {
        DirectKernel.fillPlane(source, rowStep: rowStep, columnStep: columnStep, rows: rows, columns: columns, into: plane, stride: stride,
                               length: length)
    }

    public static func finishConstant(_ value: Float, floor: Float, count: Int, mask: UnsafePointer<Float>, residual: UnsafePointer<Float>?,
                                      into out: UnsafeMutablePointer<Float>) {
        DirectKernel.finishConstant(value, floor: floor, count: count, mask: mask, residual: residual, into: out)
    }

    public static func copy(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
        DirectKernel.copy(source, to: target, count: count)
    }

    public static func clear(_ target: UnsafeMutablePointer<Float>, count: Int) {
        DirectKernel.clear(target, count: count)
    }
}
