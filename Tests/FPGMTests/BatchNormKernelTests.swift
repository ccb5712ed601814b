import Testing
@testable import FPGM

/// The loops of training's batch norm on every kernel set this processor runs (AVX-512's, AVX2's, the
/// baseline's): each gives the same bits, and the values are the closed forms.
@Suite("Batch-norm loops: the same bits on every kernel set, and the closed forms")
struct BatchNormKernelTests {
    static let targets = ProcessorFeatures.KernelTarget.allCases.filter(\.runsHere)

    /// 1003 values: not a multiple of the 32 lanes, so the tails run too.
    static let count = 1003

    @Test("the values 0, 1, ..., 1002 have mean 501 and biased variance (1003^2 - 1) / 12 = 83834 exactly")
    func statisticsOfAnArithmeticRun() {
        let z = (0..<Self.count).map(Float.init)
        for target in Self.targets {
            let (mean, variance) = BatchNormStep.kernels(for: target).statistics(z, count: z.count)
            #expect(mean == 501 && variance == 83834, "\(target)")
        }
    }

    @Test("normalize (with, without a residual), gradient sums (with, without a ReLU's mask), input gradient (dense, padded): the formulas' bits")
    func setsAgree() {
        let z = ConvolutionGradientTests.values(Self.count, stream: "z").map { $0 * 3 + 2 }
        let dy = ConvolutionGradientTests.values(Self.count, stream: "dy")
        let (mean, inverse, gamma, beta): (Float, Float, Float, Float) = (2.25, 0.6, 1.5, -0.25)
        let expectedHat = z.map { ($0 - mean) * inverse }
        for target in Self.targets {
            let kernels = BatchNormStep.kernels(for: target)
            let shortcut = ConvolutionGradientTests.values(Self.count, stream: "shortcut")
            for floor in [0, -Float.infinity] {
                for residual in [nil, shortcut] {
                    var normalized = [Float](repeating: .nan, count: Self.count), out = normalized
                    kernels.normalize(z, count: Self.count, mean: mean, inverseDeviation: inverse, gamma: gamma, beta: beta, residual: residual,
                                      floor: floor, normalized: &normalized, into: &out)
                    let affine: [Float] = expectedHat.map { gamma * $0 + beta }
                    let sums: [Float] = residual.map { zip(affine, $0).map { $0 + $1 } } ?? affine
                    #expect(normalized == expectedHat, "\(target)")
                    #expect(out == sums.map { Swift.max($0, floor) }, "\(target), floor \(floor), residual \(residual != nil)")
                }
            }
            let rectified = z.map { Swift.max($0 - 2, 0) }
            for mask in [false, true] {
                var masked = [Float](repeating: .nan, count: Self.count)
                let sums = kernels.gradientSums(dy, normalized: expectedHat, count: Self.count, rectified: mask ? rectified : nil, masked: &masked)
                let g: [Float] = mask ? zip(dy, rectified).map { $1 > 0 ? $0 : 0 } : dy
                let terms: [Double] = zip(g, expectedHat).map { Double($0) * Double($1) }
                let sum: Double = g.reduce(0.0) { $0 + Double($1) }, dot: Double = terms.reduce(0, +)
                let sumScale: Double = g.reduce(0.0) { $0 + abs(Double($1)) }, dotScale: Double = terms.reduce(0.0) { $0 + abs($1) }
                #expect(abs(sums.sum - sum) <= 1e-12 * sumScale, "\(target)")
                #expect(abs(sums.dot - dot) <= 1e-12 * dotScale, "\(target)")
                if mask { #expect(masked == g, "\(target)") }
                let reference = BatchNormStep.kernels(for: .baseline)
                    .gradientSums(dy, normalized: expectedHat, count: Self.count, rectified: mask ? rectified : nil, masked: &masked)
                #expect(sums.sum == reference.sum && sums.dot == reference.dot, "\(target) against the baseline")
            }
            var dz = [Float](repeating: .nan, count: Self.count)
            kernels.inputGradient(dy, normalized: expectedHat, count: Self.count, scale: 0.75, meanDy: 0.125, meanDyZhat: -0.5, into: &dz)
            let expectedDz: [Float] = zip(dy, expectedHat).map { 0.75 * ($0 - 0.125 - $1 * -0.5) }
            #expect(dz == expectedDz, "\(target)")
            // A map of 7 rows of 29 values as a padded plane: rows 30 apart after a zero and a zero row, zeros to the end.
            let (height, width, rowStride, length) = (7, 29, 30, 300)
            var plane = [Float](repeating: .nan, count: length), expectedPlane = [Float](repeating: 0, count: length)
            kernels.paddedInputGradient(dy, normalized: expectedHat, height: height, width: width, scale: 0.75, meanDy: 0.125, meanDyZhat: -0.5,
                                        into: &plane, rowStride: rowStride, length: length)
            for y in 0..<height {
                let row = 1 + (y + 1) * rowStride
                expectedPlane.replaceSubrange(row..<(row + width), with: expectedDz[(y * width)..<((y + 1) * width)])
            }
            #expect(plane == expectedPlane, "\(target): the padded plane")
            let z64: [Double] = z.map(Double.init), expectedMean: Double = z64.reduce(0, +) / Double(Self.count)
            let statistics = kernels.statistics(z, count: Self.count)
            #expect(abs(statistics.mean - expectedMean) <= 1e-14 * abs(expectedMean))
            let squares: [Double] = z64.map { ($0 - expectedMean) * ($0 - expectedMean) }
            let expectedVariance: Double = squares.reduce(0, +) / Double(Self.count)
            #expect(abs(statistics.variance - expectedVariance) <= 1e-13 * expectedVariance)
            let baseline = BatchNormStep.kernels(for: .baseline).statistics(z, count: Self.count)
            #expect(statistics.mean == baseline.mean && statistics.variance == baseline.variance, "\(target) against the baseline")
        }
    }
}
