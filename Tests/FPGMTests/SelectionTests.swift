import Foundation
import Testing
@testable import FPGM

@Suite("Selection")
struct SelectionTests {
    /// 1-D filters 0, 1, 2, 3, 10: distance sums 16, 13, 12, 13, 34; L2 norms 0, 1, 2, 3, 10.
    let points = FilterMatrix(rows: 5, columns: 1, scalars: [0, 1, 2, 3, 10])

    @Test("FPGM-only prunes the smallest distance sums, ties to the lower index")
    func fpgmOnlyByHand() throws {
        let plan = try FilterSelector(rates: try PruningRates(rateNorm: 1, rateDist: 0.4)).select(name: "toy", filters: points)
        #expect(plan.prunedByNorm == [])
        #expect(plan.prunedByDistance == [1, 2])
        #expect(plan.kept == [0, 3, 4])
    }

    @Test("mix: the norm step first, then distance sums among the survivors only")
    func mixByHand() throws {
        // Int(5 * 0.4) = 2 by norm: filters 0 and 1. Among 2, 3, 10 the sums are 9, 8, 15: Int(5 * 0.2) = 1 goes, filter 3.
        let plan = try FilterSelector(rates: try PruningRates(rateNorm: 0.6, rateDist: 0.2)).select(name: "toy", filters: points)
        #expect(plan.prunedByNorm == [0, 1])
        #expect(plan.prunedByDistance == [3])
        #expect(plan.pruned == [0, 1, 3])
    }

    @Test("the SIMD filter norms equal a plain loop in Float64, rows of 1 to 75 values (whole lanes and a rest)", arguments: [1, 7, 8, 27, 64, 75])
    func normsMatchPlainLoop(columns: Int) {
        var generator = SeededGenerator(seed: UInt64(columns))
        let rows = 5
        let filters = FilterMatrix(rows: rows, columns: columns, scalars: (0..<(rows * columns)).map { _ in Float(generator.nextUniform() * 2 - 1) })
        for norm in [FilterNorm.l1, .l2] {
            let simd = norm.values(of: filters)
            for row in 0..<rows {
                var sum = 0.0
                for k in 0..<columns {
                    let x = Double(filters.scalars[row * columns + k])
                    sum += norm == .l1 ? abs(x) : x * x
                }
                let plain = norm == .l1 ? sum : sum.squareRoot()
                #expect(abs(simd[row] - plain) <= 1e-12 * plain, "\(norm) row \(row): \(simd[row]) against \(plain)")
            }
        }
    }

    @Test("a rate outside [0, 1] is refused naming its step, in no caller's words")
    func rateOutOfRange() {
        #expect(throws: SelectionError.rateOutOfRange(.norm, value: 1.2)) { try PruningRates(rateNorm: 1.2, rateDist: 0.1) }
        #expect(throws: SelectionError.rateOutOfRange(.distance, value: -0.1)) { try PruningRates(rateDist: -0.1) }
        #expect(SelectionError.rateOutOfRange(.distance, value: -0.1).description == "the criterion step's rate D must lie in [0, 1], got -0.1")
    }

    @Test("counts truncate the floating-point product as Python does: int(5 * (1 - 0.8)) is 0, not 1")
    func floatingTruncation() throws {
        #expect(try PruningRates(rateNorm: 0.8, rateDist: 0.2).normCount(filters: 5) == 0)
        #expect(try PruningRates(rateNorm: 0.8, rateDist: 0.2).distanceCount(filters: 5) == 1)
    }

    @Test("the norm criteria prune the smallest norms")
    func normCriteria() throws {
        let rates = try PruningRates(rateDist: 0.4)
        #expect(try FilterSelector(rates: rates, criterion: FilterNormCriterion(norm: .l2)).select(name: "toy", filters: points).pruned == [0, 1])
        let signed = FilterMatrix(rows: 3, columns: 2, scalars: [3, 0, 2, 2, -1, -1.5])
        // L1: 3, 4, 2.5; L2: 3, 2.83, 1.80.
        #expect(try FilterSelector(rates: try PruningRates(rateDist: 0.67), criterion: FilterNormCriterion(norm: .l1)).select(name: "s", filters: signed).pruned == [0, 2])
        #expect(try FilterSelector(rates: try PruningRates(rateDist: 0.67), criterion: FilterNormCriterion(norm: .l2)).select(name: "s", filters: signed).pruned == [1, 2])
    }

    @Test("counts are Python's int(N * rate): 0.7/0.1 prunes 4+1 of 16, 9+3 of 32, 19+6 of 64")
    func officialCounts() throws {
        let mix = try PruningRates(rateNorm: 0.7, rateDist: 0.1)
        #expect([16, 32, 64].map { mix.normCount(filters: $0) } == [4, 9, 19])
        #expect([16, 32, 64].map { mix.distanceCount(filters: $0) } == [1, 3, 6])
        let only = try PruningRates(rateDist: 0.4)
        #expect([16, 32, 64].map { $0 - only.distanceCount(filters: $0) } == [10, 20, 39])
    }

    @Test("rates outside [0, 1] are refused", arguments: [(-0.1, 0.4), (1.1, 0.4), (1.0, 1.5), (1.0, -0.5)])
    func rateRange(rateNorm: Double, rateDist: Double) {
        #expect(throws: SelectionError.self) { try PruningRates(rateNorm: rateNorm, rateDist: rateDist) }
    }

    @Test("per-layer rates override the default, and an unknown layer name is refused")
    func layerRates() throws {
        let layers = [(name: "a", filters: points), (name: "b", filters: points)]
        let selector = FilterSelector(rates: try PruningRates(rateDist: 0.4), layerRates: ["b": try PruningRates(rateDist: 0.2)])
        let plan = try selector.plan(for: layers)
        #expect(plan.layer(named: "a")?.pruned == [1, 2])
        #expect(plan.layer(named: "b")?.pruned == [2])
        let stray = FilterSelector(rates: try PruningRates(rateDist: 0.4), layerRates: ["c": try PruningRates(rateDist: 0.2)])
        #expect(throws: SelectionError.unknownLayer("c")) { try stray.plan(for: layers) }
    }

    @Test("equal to the numpy restatement of the official code on the fixture layers, for every rate pair")
    func officialFixtures() throws {
        let expected = try #require((try Fixtures.json("selection/expected.json") as? [String: Any])?["rates"] as? [[String: Any]])
        #expect(expected.count == 5)
        for entry in expected {
            let rates = try PruningRates(rateNorm: entry["rate_norm"] as! Double, rateDist: entry["rate_dist"] as! Double)
            for layer in entry["layers"] as! [[String: Any]] {
                let name = layer["name"] as! String
                let plan = try FilterSelector(rates: rates).select(name: name, filters: try #require(DistanceSumsTests.layers[name]))
                #expect(plan.prunedByNorm == layer["pruned_norm"] as! [Int], "\(name) at \(rates)")
                #expect(plan.prunedByDistance == layer["pruned_dist"] as! [Int], "\(name) at \(rates)")
            }
        }
    }

    @Test("the random criterion is reproducible per seed and layer, and differs across layers")
    func randomCriterion() throws {
        let layer = DistanceSumsTests.randomLayer(rows: 64, columns: 9, seed: 5)
        let selector = FilterSelector(rates: try PruningRates(rateDist: 0.5), criterion: RandomCriterion(seed: 9))
        #expect(try selector.select(name: "x", filters: layer) == selector.select(name: "x", filters: layer))
        #expect(try selector.select(name: "x", filters: layer).pruned != selector.select(name: "y", filters: layer).pruned)
    }

    @Test("zeroed filters (the official mask) are chosen again: norm 0 and mutual distance 0")
    func maskFreeze() throws {
        let layer = DistanceSumsTests.layers["conv_32x16"]!
        let rates = try PruningRates(rateDist: 0.4)
        let first = try FilterSelector(rates: rates).select(name: "l", filters: layer)
        var scalars = layer.scalars
        for j in first.pruned { for k in 0..<layer.columns { scalars[j * layer.columns + k] = 0 } }
        let second = try FilterSelector(rates: rates).select(name: "l", filters: FilterMatrix(rows: layer.rows, columns: layer.columns, scalars: scalars))
        #expect(second.pruned == first.pruned)
    }
}

extension SelectionTests {
    @Test("a layer with NaN or infinite values is refused, naming the layer")
    func nonFinite() throws {
        for bad in [Float.nan, .infinity] {
            let layer = FilterMatrix(rows: 3, columns: 2, scalars: [1, 2, bad, 0, 3, 4])
            #expect(throws: SelectionError.nonFiniteValues(layer: "broken")) {
                try FilterSelector(rates: try PruningRates(rateDist: 0.4)).plan(for: [("fine", points), ("broken", layer)])
            }
        }
    }
}
