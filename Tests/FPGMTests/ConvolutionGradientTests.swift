import Testing
@testable import FPGM

/// A training convolution's forward pass and both gradients against their definitions summed in Float64,
/// on shapes the CIFAR networks do not have: filter counts that are not multiples of 8 (the weight
/// gradient's kernel takes 8 filters at a time with AVX-512, 4 with AVX2, then one), a batch of two
/// parts, several map sides.
/// On processors with AVX-512 or AVX2 this checks the direct kernels (`FilterGradient` among them); elsewhere
/// unfold + SGEMM.
@Suite("Training convolutions: forward, weight and input gradients against Float64 sums")
struct ConvolutionGradientTests {
    /// Values in -1...1 from a seeded generator.
    static func values(_ count: Int, stream: String) -> [Float] {
        var generator = SeededGenerator(seed: 7, stream: stream)
        return (0..<count).map { _ in Float(Double(generator.next() % 2001) / 1000 - 1) }
    }

    @Test("Y = W * x, dW[o][c][ky][kx] = sum dY_o(y, x) x_c(y s + ky - 1, x s + kx - 1) and dX = the adjoint, to 1e-5",
          arguments: [(inChannels: 5, outChannels: 11, side: 8, stride: 1), (inChannels: 3, outChannels: 17, side: 16, stride: 1),
                      (inChannels: 9, outChannels: 4, side: 32, stride: 1), (inChannels: 6, outChannels: 10, side: 16, stride: 2)])
    func matchesDefinition(_ shape: (inChannels: Int, outChannels: Int, side: Int, stride: Int)) throws {
        let (c, o, side, s, batch) = (shape.inChannels, shape.outChannels, shape.side, shape.stride, 18)
        let layer = ConvolutionLayer(name: "test", inChannels: c, outChannels: o, kernel: 3, stride: s, padding: 1, inputSize: side,
                                     hasBias: false, role: .stem)
        let step = ConvolutionStep(layer), outSide = (side - 1) / s + 1
        let x = FeatureMaps(channels: c, batch: batch, height: side, width: side, values: Self.values(c * batch * side * side, stream: "x"))
        let weight = Self.values(o * c * 9, stream: "w")
        let dy = FeatureMaps(channels: o, batch: batch, height: outSide, width: outSide,
                             values: Self.values(o * batch * outSide * outSide, stream: "dy"))
        func input(_ channel: Int, _ n: Int, _ y: Int, _ x0: Int) -> Double {
            guard (0..<side).contains(y), (0..<side).contains(x0) else { return 0 }
            return Double(x.values[((channel * batch + n) * side + y) * side + x0])
        }
        var expectedY = [Double](repeating: 0, count: o * batch * outSide * outSide)
        var expectedW = [Double](repeating: 0, count: weight.count), expectedX = [Double](repeating: 0, count: x.values.count)
        for f in 0..<o {
            for n in 0..<batch {
                for y in 0..<outSide {
                    for x0 in 0..<outSide {
                        let at = ((f * batch + n) * outSide + y) * outSide + x0, gradient = Double(dy.values[at])
                        for channel in 0..<c {
                            for ky in 0..<3 {
                                for kx in 0..<3 {
                                    let w = (f * c + channel) * 9 + ky * 3 + kx, iy = y * s + ky - 1, ix = x0 * s + kx - 1
                                    expectedY[at] += Double(weight[w]) * input(channel, n, iy, ix)
                                    expectedW[w] += gradient * input(channel, n, iy, ix)
                                    if (0..<side).contains(iy), (0..<side).contains(ix) {
                                        expectedX[((channel * batch + n) * side + iy) * side + ix] += Double(weight[w]) * gradient
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let (output, record) = step.forward(x, weight: weight)
        let (dw, dx) = step.backward(record, weight: weight, outputGradient: dy, inputGradient: true)
        #expect(scaledDifference(output.dense().values, from: expectedY.map(Float.init)) < 1e-5)
        #expect(scaledDifference(dw, from: expectedW.map(Float.init)) < 1e-5)
        #expect(scaledDifference(try #require(dx).dense().values, from: expectedX.map(Float.init)) < 1e-5)
    }
}
