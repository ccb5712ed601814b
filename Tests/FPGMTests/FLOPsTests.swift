import Foundation
import Testing
@testable import FPGM

/// The paper's FLOPs figures (reference/paper.md §2 Tables 1, 2, 4 and §4): every printed reduction is
/// reproduced by the paper convention; baselines and the closed form of §4.2 are checked exactly.
@Suite("FLOPs and parameters")
struct FLOPsTests {
    func paper(_ arch: String, rate: Double) throws -> FLOPsCount {
        PaperFLOPsCounter(architecture: try Architecture.named(arch)).count(rates: try PruningRates(rateDist: rate))
    }

    /// The printed reduction, to one decimal, in percent.
    func printed(_ count: FLOPsCount) -> Double { (count.reduction * 1000).rounded() / 10 }

    @Test("CIFAR baselines are the conv-only MACs of reference/paper.md §4.2", arguments: [
        ("resnet20", 40_550_400.0), ("resnet32", 68_861_952), ("resnet56", 125_485_056), ("resnet110", 252_887_040),
    ])
    func cifarBaselines(arch: String, macs: Double) throws {
        #expect(try paper(arch, rate: 0.4).baseline == macs)
    }

    @Test("pruned CIFAR MACs equal the closed form S r + U [4 r^2 + r + 3 (n - 1)(r + r^2)] within 1", arguments: [20, 32, 44, 56, 110])
    func closedForm(depth: Int) throws {
        let u = 2_359_296.0, s = 442_368.0, n = Double((depth - 2) / 6)
        for rate in [0.1, 0.3, 0.4, 0.5, 0.9] {
            let r = 1 - rate
            let expected = s * r + u * (4 * r * r + r + 3 * (n - 1) * (r + r * r))
            #expect(abs(try paper("resnet\(depth)", rate: rate).pruned - expected) <= 1)
        }
    }

    @Test("Table 1 FLOPs reductions", arguments: [
        ("resnet20", 0.3, 42.2), ("resnet20", 0.4, 54.0), ("resnet32", 0.3, 41.5), ("resnet32", 0.4, 53.2),
        ("resnet56", 0.4, 52.6), ("resnet110", 0.4, 52.3), ("resnet110", 0.3, 40.8),
    ])
    func table1(arch: String, rate: Double, reduction: Double) throws {
        #expect(printed(try paper(arch, rate: rate)) == reduction)
    }

    @Test("Table 1 pruned MACs in the paper's notation, with ResNet-20 at 30% printed as 2.43E7 for 2.34E7")
    func table1PrunedMACs() throws {
        #expect(try paper("resnet20", rate: 0.3).pruned.formatted3 == "2.34E7")
        #expect(try paper("resnet20", rate: 0.4).pruned.formatted3 == "1.87E7")
        #expect(try paper("resnet32", rate: 0.3).pruned.formatted3 == "4.03E7")
        #expect(try paper("resnet56", rate: 0.4).pruned.formatted3 == "5.94E7")
        #expect(try paper("resnet110", rate: 0.4).pruned.formatted3 == "1.21E8")
    }

    @Test("Table 2 reductions come out of the official ImageNet script's counting", arguments: [
        ("resnet18", 0.3, 41.8), ("resnet34", 0.3, 41.1), ("resnet50", 0.3, 42.2), ("resnet50", 0.4, 53.5),
    ])
    func table2(arch: String, rate: Double, reduction: Double) throws {
        #expect(printed(try paper(arch, rate: rate)) == reduction)
    }

    @Test("the ImageNet script's baselines (reference/paper.md §4.3) and ResNet-101's unreproducible 42.2%")
    func imageNetScriptBaselines() throws {
        #expect(try paper("resnet18", rate: 0.3).baseline == 1_852_096_512)
        #expect(relativelyClose(try paper("resnet34", rate: 0.3).baseline, 3.7018e9, 1e-4))
        #expect(relativelyClose(try paper("resnet50", rate: 0.3).baseline, 3.8559e9, 1e-4))
        #expect(relativelyClose(try paper("resnet101", rate: 0.3).baseline, 7.5681e9, 1e-4))
        #expect(printed(try paper("resnet101", rate: 0.3)) == 44.1)
        #expect(printed(try paper("resnet101", rate: 0.4)) == 55.9)
    }

    @Test("Table 4: VGG-16 with the PFEC layer widths and with a uniform 20%")
    func table4() throws {
        let vgg = try Architecture.named("vgg16")
        let counter = PaperFLOPsCounter(architecture: vgg)
        let pfec = [32, 64, 128, 128, 256, 256, 256, 256, 256, 256, 256, 256, 256]
        let widths = Dictionary(uniqueKeysWithValues: zip(vgg.convolutions.map(\.name), zip(pfec, vgg.convolutions.map(\.outChannels))))
        let configured = counter.count { name in widths[name].map { Double($0.0) / Double($0.1) } ?? 1 }
        #expect(configured.baseline == 313_196_544)
        #expect(configured.pruned == 206_143_488)
        #expect(printed(configured) == 34.2)
        #expect(printed(counter.count(rates: try PruningRates(rateDist: 0.2))) == 35.9)
    }

    @Test("the exact convention refuses rates that leave a layer without a filter, naming the first such layer")
    func emptyLayer() throws {
        let counter = ExactFLOPsCounter(architecture: try Architecture.named("resnet20"))
        #expect(throws: SelectionError.everyFilterPruned(layer: "conv1", filters: 16)) { _ = try counter.count(rates: try PruningRates(rateDist: 1.0)) }
        // 0.95 of 16 filters truncates to 15, so every layer keeps one.
        #expect(try counter.count(rates: try PruningRates(rateDist: 0.95)).pruned > 0)
    }

    @Test("parameter counts", arguments: [
        ("resnet20", 269_722), ("resnet32", 464_154), ("resnet44", 658_586), ("resnet56", 853_018),
        ("resnet110", 1_727_962), ("resnet18", 11_689_512), ("resnet50", 25_557_032),
    ])
    func parameters(arch: String, count: Int) throws {
        #expect(try Architecture.named(arch).parameterCount == count)
    }

    @Test("exact convention at 224x224: torchvision's conv and fc MACs", arguments: [
        ("resnet18", 1_813_561_344, 512_000), ("resnet50", 4_087_136_256, 2_048_000),
    ])
    func exactImageNet(arch: String, conv: Int, fc: Int) throws {
        let counter = ExactFLOPsCounter(architecture: try Architecture.named(arch))
        #expect(counter.convolutionMACs { _ in nil } == conv)
        #expect(counter.macs { _ in nil } == conv + fc)
        #expect(counter.parameters { _ in nil } == (try Architecture.named(arch)).parameterCount)
    }

    @Test("integer filter counts give the smaller conv-only reductions of reference/paper.md §4.2", arguments: [
        ("resnet20", 39.04, 51.70, 49.00), ("resnet32", 38.44, 50.92, 48.34),
        ("resnet56", 38.05, 50.41, 47.91), ("resnet110", 37.81, 50.11, 47.65),
    ])
    func integerCounts(arch: String, p30: Double, p40: Double, mix: Double) throws {
        let architecture = try Architecture.named(arch)
        let counter = ExactFLOPsCounter(architecture: architecture)
        let baseline = Double(counter.convolutionMACs { _ in nil })
        for (rates, expected) in [(try PruningRates(rateDist: 0.3), p30), (try PruningRates(rateDist: 0.4), p40),
                                  (try PruningRates(rateNorm: 0.7, rateDist: 0.1), mix)] {
            let kept = Dictionary(uniqueKeysWithValues: architecture.prunableConvolutions.map {
                ($0.name, $0.outChannels - rates.normCount(filters: $0.outChannels) - rates.distanceCount(filters: $0.outChannels))
            })
            let reduction = 1 - Double(counter.convolutionMACs { kept[$0] }) / baseline
            #expect((reduction * 10_000).rounded() / 100 == expected)
        }
    }

    @Test("an exact count of a plan equals the count of its kept filters")
    func exactPlan() throws {
        let architecture = try Architecture.named("resnet20")
        let weights = architecture.syntheticWeights(seed: 3)
        let layers = architecture.prunableConvolutions.map { ($0.name, weights["\($0.name).weight"]!.filters) }
        let plan = try FilterSelector(rates: try PruningRates(rateNorm: 0.7, rateDist: 0.1)).plan(for: layers)
        let counter = ExactFLOPsCounter(architecture: architecture)
        #expect(try counter.count(plan: plan) == counter.count(rates: try PruningRates(rateNorm: 0.7, rateDist: 0.1)))
        #expect(counter.parameters(plan: plan) < architecture.parameterCount)
    }
}

extension Double {
    /// Three significant digits in the paper's notation: 23430758 -> "2.34E7".
    var formatted3: String {
        let exponent = Int(log10(self).rounded(.down))
        let mantissa = (self / pow(10, Double(exponent)) * 100).rounded() / 100
        return String(format: "%.2fE%d", mantissa, exponent)
    }
}
