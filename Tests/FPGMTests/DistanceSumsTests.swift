import Foundation
import Testing
@testable import FPGM

/// The BLAS (Gram-matrix) path against the plain reference loop and against scipy's cdist.
@Suite("Distance sums")
struct DistanceSumsTests {
    static let layers: [String: FilterMatrix] = {
        let checkpoint = try! Checkpoint.read(path: Fixtures.path("selection/layers.npz"))
        return Dictionary(uniqueKeysWithValues: checkpoint.tensors.map { ($0.name, $0.tensor.filters) })
    }()

    static func randomLayer(rows: Int, columns: Int, seed: UInt64) -> FilterMatrix {
        var generator = SeededGenerator(seed: seed)
        return FilterMatrix(rows: rows, columns: columns, scalars: (0..<(rows * columns)).map { _ in Float(generator.nextNormal()) })
    }

    /// n filters within `spread` of one base filter: the case where ||a||^2 + ||b||^2 - 2ab cancels.
    static func nearDuplicates(rows: Int, columns: Int, spread: Double, seed: UInt64) -> FilterMatrix {
        var generator = SeededGenerator(seed: seed)
        let base = (0..<columns).map { _ in generator.nextNormal() }
        var scalars = [Float]()
        for _ in 0..<rows { scalars += base.map { Float($0 + spread * generator.nextNormal()) } }
        return FilterMatrix(rows: rows, columns: columns, scalars: scalars)
    }

    @Test("BLAS and reference sums agree to 1e-9 relative on random layers", arguments: FilterDistance.allCases)
    func randomLayers(distance: FilterDistance) {
        for (seed, shape) in [(1, (16, 27)), (2, (64, 576)), (3, (128, 1152)), (4, (5, 1))] as [(UInt64, (Int, Int))] {
            let layer = Self.randomLayer(rows: shape.0, columns: shape.1, seed: seed)
            let fast = DistanceSums.compute(layer, distance: distance)
            let plain = DistanceSums.reference(layer, distance: distance)
            #expect(zip(fast, plain).allSatisfy { relativelyClose($0, $1, 1e-9) })
            #expect(FilterRanking.smallest(layer.rows / 3, of: fast, indices: Array(0..<layer.rows))
                    == FilterRanking.smallest(layer.rows / 3, of: plain, indices: Array(0..<layer.rows)))
        }
    }

    @Test("BLAS and reference sums agree on near-duplicate filters, where the Gram form cancels",
          arguments: [1e-3, 1e-5, 1e-7])
    func nearDuplicateLayers(spread: Double) {
        for distance in [FilterDistance.euclidean, .cosine] {
            let layer = Self.nearDuplicates(rows: 48, columns: 288, spread: spread, seed: 11)
            let fast = DistanceSums.compute(layer, distance: distance)
            let plain = DistanceSums.reference(layer, distance: distance)
            #expect(zip(fast, plain).allSatisfy { relativelyClose($0, $1, 1e-9) }, "\(distance) at spread \(spread)")
            #expect(FilterRanking.smallest(19, of: fast, indices: Array(0..<48)) == FilterRanking.smallest(19, of: plain, indices: Array(0..<48)))
        }
    }

    @Test("without the exact re-check the Gram form would miss 1e-9 on near duplicates")
    func recheckMatters() {
        let layer = Self.nearDuplicates(rows: 48, columns: 288, spread: 1e-7, seed: 11)
        let naive = DistanceSums.gramFormReference(layer)
        let plain = DistanceSums.reference(layer, distance: .euclidean)
        #expect(!zip(naive, plain).allSatisfy { relativelyClose($0, $1, 1e-9) })
    }

    @Test("the plain Gram form gives the hand-computed sums and agrees with g' to 1e-13 on trained-like layers")
    func gramFormReference() {
        // (0, 0), (3, 4), (6, 8): distances 5, 10 and 5, so g = 15, 10, 15.
        let line = FilterMatrix(rows: 3, columns: 2, scalars: [0, 0, 3, 4, 6, 8])
        #expect(DistanceSums.gramFormReference(line) == [15, 10, 15])
        let layer = Self.randomLayer(rows: 64, columns: 576, seed: 5)
        let gram = DistanceSums.gramFormReference(layer), direct = DistanceSums.excludingSelf(layer)
        #expect(zip(gram, direct).allSatisfy { relativelyClose($0, $1, 1e-13) })
        #expect(gram != direct, "two code paths that round differently")
    }

    @Test("Euclidean sums equal scipy cdist sums of the fixture layers to 1e-9 relative")
    func scipySums() throws {
        let expected = try #require((try Fixtures.json("selection/expected.json") as? [String: Any])?["distance_sums"] as? [String: [Double]])
        #expect(expected.count == 6)
        for (name, sums) in expected {
            let layer = try #require(Self.layers[name])
            let fast = DistanceSums.compute(layer, distance: .euclidean)
            #expect(fast.count == sums.count)
            #expect(zip(fast, sums).allSatisfy { relativelyClose($0, $1, 1e-9) }, "layer \(name)")
        }
    }

    @Test("sums of hand-computed 1-D points: 0, 1, 2, 3, 10")
    func handComputed() {
        let layer = FilterMatrix(rows: 5, columns: 1, scalars: [0, 1, 2, 3, 10])
        #expect(DistanceSums.compute(layer, distance: .euclidean) == [16, 13, 12, 13, 34])
        #expect(DistanceSums.compute(layer, distance: .l1) == [16, 13, 12, 13, 34])
    }

    @Test("cosine distances of hand-picked 2-D filters, zero filters included")
    func cosineByHand() {
        // (1,0), (0,1), (-1,0), (0,0): distances 1-cos = 1, 2, 1 (zero filter: 1), ...
        let layer = FilterMatrix(rows: 4, columns: 2, scalars: [1, 0, 0, 1, -1, 0, 0, 0])
        let sums = DistanceSums.compute(layer, distance: .cosine)
        #expect(zip(sums, [4.0, 3.0, 4.0, 3.0]).allSatisfy { abs($0 - $1) < 1e-12 })
    }
}

@Suite("Smallest distance sums (Float32 estimate, exact near the cut)")
struct SmallestDistanceSumsTests {
    func referenceChoice(_ k: Int, _ layer: FilterMatrix) -> [Int] {
        FilterRanking.smallest(k, of: DistanceSums.reference(layer, distance: .euclidean), indices: Array(0..<layer.rows)).sorted()
    }

    @Test("the same rows as ranking the reference sums, on random and fixture layers, for every k")
    func randomLayers() {
        for (seed, rows, columns) in [(1, 16, 27), (2, 64, 576), (3, 200, 64), (4, 7, 1)] as [(UInt64, Int, Int)] {
            let layer = DistanceSumsTests.randomLayer(rows: rows, columns: columns, seed: seed)
            for k in Set([0, 1, rows / 10, rows * 4 / 10, rows / 2, rows - 1, rows]) {
                #expect(DistanceSums.smallestEuclideanSums(k, of: layer) == referenceChoice(k, layer), "seed \(seed), k \(k)")
            }
        }
        for (name, layer) in DistanceSumsTests.layers {
            let k = layer.rows * 4 / 10
            #expect(DistanceSums.smallestEuclideanSums(k, of: layer) == referenceChoice(k, layer), "\(name)")
        }
    }

    @Test("near-duplicate filters and tied zero filters: the Float32 estimate cannot decide, the exact sums do")
    func hardLayers() {
        let near = DistanceSumsTests.nearDuplicates(rows: 48, columns: 288, spread: 1e-6, seed: 2)
        #expect(DistanceSums.smallestEuclideanSums(19, of: near) == referenceChoice(19, near))
        var scalars = DistanceSumsTests.randomLayer(rows: 32, columns: 36, seed: 6).scalars
        for j in [3, 9, 10, 30] { for k in 0..<36 { scalars[j * 36 + k] = 0 } }
        let zeros = FilterMatrix(rows: 32, columns: 36, scalars: scalars)
        for k in [2, 4, 6, 12] {
            #expect(DistanceSums.smallestEuclideanSums(k, of: zeros) == referenceChoice(k, zeros), "k \(k)")
        }
    }

    @Test("row sums through dgemm equal the full sums")
    func rowSums() {
        let layer = DistanceSumsTests.randomLayer(rows: 40, columns: 50, seed: 12)
        let squaredNorms = FilterNorm.l2.values(of: layer).map { $0 * $0 }
        let some = DistanceSums.euclideanSums(ofRows: [0, 7, 39], in: layer, squaredNorms: squaredNorms)
        let all = DistanceSums.reference(layer, distance: .euclidean)
        #expect(zip(some, [all[0], all[7], all[39]]).allSatisfy { relativelyClose($0, $1, 1e-9) })
    }
}
