import Testing
@testable import FPGM

@Suite("Geometric median")
struct GeometricMedianTests {
    let median = GeometricMedian()

    func close(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-7) -> Bool {
        zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
    }

    @Test("the median of the corners of a square is its centre")
    func square() {
        let corners = FilterMatrix(rows: 4, columns: 2, scalars: [0, 0, 2, 0, 2, 2, 0, 2])
        #expect(close(median.median(of: [0, 1, 2, 3], in: corners).point, [1, 1]))
    }

    @Test("the median of collinear points is the middle one, even when the centroid starts elsewhere")
    func collinear() {
        let points = FilterMatrix(rows: 3, columns: 1, scalars: [0, 1, 10])
        #expect(close(median.median(of: [0, 1, 2], in: points).point, [1]))
    }

    @Test("a vertex of a triangle with an angle of 120 degrees or more is the median (the iterate lands on it)")
    func obtuseVertex() {
        // Angle at (0,0) between (1,0) and (-1, 0.2) is about 169 degrees.
        let points = FilterMatrix(rows: 3, columns: 2, scalars: [0, 0, 1, 0, -1, 0.2])
        #expect(close(median.median(of: [0, 1, 2], in: points).point, [0, 0], 1e-6))
    }

    @Test("the objective at the median is below the objective at every input point and nearby points")
    func optimality() {
        let layer = DistanceSumsTests.randomLayer(rows: 32, columns: 18, seed: 21)
        let rows = Array(0..<32)
        let (center, iterations) = median.median(of: rows, in: layer)
        #expect(iterations < 10_000)
        let best = median.objective(at: center, of: rows, in: layer)
        for j in rows { #expect(best <= median.objective(at: layer.filter(j).map(Double.init), of: rows, in: layer)) }
        for k in 0..<18 {
            var moved = center
            moved[k] += 1e-3
            #expect(best <= median.objective(at: moved, of: rows, in: layer))
        }
    }

    @Test("g(x) = g'(x): the distance sums over all filters equal the sums over the others")
    func equivalence() {
        let layer = DistanceSumsTests.randomLayer(rows: 20, columns: 27, seed: 8)
        let g = DistanceSums.compute(layer, distance: .euclidean)
        for j in 0..<20 {
            let others = (0..<20).filter { $0 != j }
            let gPrime = others.reduce(0.0) { $0 + DistanceSums.exactDistance(layer, j, $1, distance: .euclidean) }
            #expect(relativelyClose(g[j], gPrime, 1e-12))
        }
    }

    @Test("the gm-exact criterion prunes the filters nearest the median")
    func criterion() throws {
        let points = FilterMatrix(rows: 5, columns: 1, scalars: [0, 1, 2, 3, 10])
        let plan = try FilterSelector(rates: try PruningRates(rateDist: 0.2), criterion: GeometricMedianCriterion()).select(name: "t", filters: points)
        #expect(plan.pruned == [2])
    }
}
