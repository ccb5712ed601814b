import Foundation
import FPGM
import Report
import Testing
@testable import Analyses
@testable import Notebook

/// One cell of a directive, checked against its spec as the runner checks it and run in a folder,
/// without rendering a report: tests read the tables, figures, callouts and exported values directly.
struct DirectiveRun {
    let result: CellResult

    /// Runs ```` ```fpgm name ```` with the YAML `arguments` (files relative to `folder`).
    init(_ name: String, _ arguments: String, in folder: URL = FileManager.default.temporaryDirectory) throws {
        let directive = try #require(Directives.all.first { $0.spec.name == name })
        let cell = try Notebook(path: "t.md", text: "```fpgm \(name)\n\(arguments)```\n").cells[0]
        let node = try YAML.parse(String(repeating: "\n", count: cell.argumentsLine - 1) + cell.arguments)
        let checked = try directive.spec.check(node, cell: cell, file: "t.md")
        result = try directive.run(checked, context: CellContext(notebookFolder: folder, exported: [:]))
    }

    /// An exported value as the JSON report holds it.
    func json(_ key: String) -> JSONValue? { result.values.first { $0.key == key }?.value.json }

    /// An exported value as prose shows it.
    func text(_ key: String) -> String? { result.texts[key] }

    var tables: [Table] { result.tables }
    var figures: [String] { result.outputs.compactMap { if case let .figure(svg) = $0 { svg } else { nil } } }
    var callouts: [String] { result.outputs.compactMap { if case let .callout(text) = $0 { text } else { nil } } }

    /// The first table's row whose first cell is `first`.
    func row(_ first: String, table: Int = 0) -> [String]? { tables[table].rows.first { $0.first == first } }
}

/// The message a cell's check or run fails with.
func failure(_ name: String, _ arguments: String) -> String {
    do {
        _ = try DirectiveRun(name, arguments)
        return "ran"
    } catch {
        return "\(error)"
    }
}

let weightsDirectory = ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"]

/// Tests/Fixtures, made by the Tools/ scripts.
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

func fixture(_ path: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent(path))) as? [String: Any])
}

@Suite("The norms directive")
struct NormsDirectiveTests {
    @Test("a table per layer, a density chart, and a callout for synthetic weights; unknown and missing layers named")
    func norms() throws {
        let run = try DirectiveRun("norms", "weights: synthetic\narch: resnet20\nseed: 3\nlayers: [conv1, layer3.2.conv2]\nchart: log\n")
        #expect(run.callouts.contains { $0.contains("Synthetic weights: resnet20 drawn with the official initialisation (synthetic (seed 3)), not a trained network.") })
        #expect(run.tables[0].rows.map(\.first) == ["conv1", "layer3.2.conv2"])
        #expect(run.row("layer3.2.conv2")?[1] == "64")
        #expect(run.figures.count == 1 && run.figures[0].contains("L2 norms of conv1") && run.figures[0].contains("<polyline"))
        #expect(failure("norms", "weights: synthetic\narch: resnet20\nlayers: [layer1.0.conv3]\n").hasPrefix("no conv layer 'layer1.0.conv3' (layers: conv1, layer1.0.conv1"))
        #expect(failure("norms", "weights: synthetic\narch: resnet20\nlayers: [conv9]\n")
            .hasPrefix("t.md:4:1: error: [cell-1] norms: argument 'layers' has the unknown value 'conv9'; did you mean 'conv1'?"))
    }
}

@Suite("The select directive")
struct SelectDirectiveTests {
    @Test("on the trained ResNet-56 it prunes what the numpy restatement of the official code prunes", .enabled(if: weightsDirectory != nil))
    func official() throws {
        let run = try DirectiveRun("select", "weights: hub:akamaster/resnet56\nrate_norm: 0.7\nrate_dist: 0.1\ncriteria: [fpgm, l2]\nlayers: [conv1, layer2.4.conv1, layer3.8.conv2]\n")
        let mix = try #require((try fixture("torch/select-resnet56.json")["runs"] as? [[String: Any]])?.first { $0["rate_norm"] as? Double == 0.7 })
        for layer in ["conv1", "layer2.4.conv1", "layer3.8.conv2"] {
            let official = try #require((mix["layers"] as? [[String: Any]])?.first { $0["name"] as? String == layer })
            let pruned = Set((official["pruned_norm"] as! [Int]) + (official["pruned_dist"] as! [Int]))
            // The last column lists the indices with runs as ranges ("0-3 7").
            let listed = try #require(run.row(layer)?.last).split(separator: " ").flatMap { part -> [Int] in
                let ends = part.split(separator: "-").compactMap { Int($0) }
                return ends.count == 2 ? Array(ends[0]...ends[1]) : ends
            }
            #expect(Set(listed) == pruned && listed.count == pruned.count, "\(layer): \(listed)")
        }
        #expect(run.json("fpgm_pruned") != nil && run.json("overlap_fpgm_l2") != nil)
    }

    @Test("an unknown criterion is found at check time; a non-Euclidean distance gets the official code's caveat")
    func caveats() throws {
        #expect(failure("select", "weights: synthetic\narch: resnet20\ncriteria: [fpgm, norm]\n")
            == "t.md:4:1: error: [cell-1] select: argument 'criteria' has the unknown value 'norm' (known: fpgm, l2, l1, random, gm-exact)")
        let run = try DirectiveRun("select", "weights: synthetic\narch: resnet20\ndistance: cosine\nlayers: [conv1]\n")
        #expect(run.callouts.contains { $0.contains("its cosine ablation used Euclidean distances; this one uses cosine.") })
        #expect(run.callouts.contains { $0.contains("Synthetic weights: resnet20") })
    }
}

@Suite("The equivalence directive")
struct EquivalenceDirectiveTests {
    @Test("g(x) = g'(x) on all 55 conv layers of the trained ResNet-56: max relative difference at most 1e-9, identical argmins",
          .enabled(if: weightsDirectory != nil))
    func resnet56() throws {
        let run = try DirectiveRun("equivalence", "weights: hub:akamaster/resnet56\n")
        #expect(run.json("layers") == .int(55) && run.json("identical_argmins") == .int(55))
        #expect((run.text("max_relative_difference").flatMap(Double.init) ?? 1) <= 1e-9)
        #expect(run.tables[0].rows.count == 55 && run.row("layer3.8.conv2")?[1] == "64")
    }
}

@Suite("The freeze directive")
struct FreezeDirectiveTests {
    @Test("after zeroing the chosen filters and perturbing the rest, every layer chooses the same filters again", arguments: [
        ("1.0", "0.4"), ("0.7", "0.1"), ("0.9", "0.3"),
    ])
    func freeze(rateNorm: String, rateDist: String) throws {
        let run = try DirectiveRun("freeze", "weights: synthetic\narch: resnet20\nseed: 5\nrate_norm: \(rateNorm)\nrate_dist: \(rateDist)\nnoise: 0.2\n")
        #expect(run.json("layers") == .int(19) && run.json("unchanged_layers") == .int(19) && run.json("rounds") == .int(3))
    }
}

@Suite("The paper's FLOPs columns")
struct PrintedFLOPsTests {
    @Test("flops with compare: paper reproduces every printed reduction of Tables 1, 2 and 4 and marks exactly the two misprints")
    func compare() throws {
        let runs = try [("resnet20, resnet32, resnet56, resnet110", "0.3, 0.4"), ("resnet18, resnet34, resnet50, resnet101", "0.3, 0.4"), ("vgg16", "0.2")]
            .map { try DirectiveRun("flops", "archs: [\($0.0)]\nrates: [\($0.1)]\ncompare: paper\n") }
        #expect(runs.map { $0.json("printed") } == [.int(7), .int(5), .int(1)])
        #expect(runs.map { $0.json("matching") } == [.int(6), .int(4), .int(1)])
        #expect(runs.map { $0.json("misprints") } == [.int(1), .int(1), .int(0)])
        let rows = runs.flatMap { $0.tables[0].rows }
        #expect(rows.filter { $0.last == "misprint" }.count == 2)
        #expect(rows.contains(["resnet20", "30%", "40,550,400", "23,430,758", "42.2", "Table 1", "2.43E7", "42.2", "misprint"]))
        #expect(rows.contains(["resnet101", "30%", "7,568,146,432", "4,230,278,349", "44.1", "Table 2", "", "42.2", "misprint"]))
    }
}

@Suite("The model directive")
struct ModelDirectiveTests {
    @Test("trained weights are summarised with their SHA-256 and credit; missing weights fall back to synthetic ones, visibly",
          .enabled(if: weightsDirectory != nil))
    func model() throws {
        let trained = try DirectiveRun("model", "weights: hub:akamaster/resnet56\n")
        #expect(trained.json("sha256") == .string("4bfd97631478d6b638d2764fd2baff3edb1d7d82252d54439343b6596b9b5367"))
        #expect(trained.json("parameters") == .int(853_018) && trained.json("macs") == .int(125_485_696) && trained.json("synthetic") == .bool(false))
        #expect(trained.result.outputs.contains { output in
            if case let .text(text) = output { text.contains("Trained weights by Yerlan Idelbayev (akamaster/pytorch_resnet_cifar10, BSD 2-Clause licence).") } else { false }
        })
        let fallback = try DirectiveRun("model", "weights: none.th\narch: resnet20\nfallback: synthetic\n")
        #expect(fallback.json("synthetic") == .bool(true) && fallback.json("arch") == .string("resnet20"))
        #expect(fallback.callouts.contains { $0.contains("The weights 'none.th' could not be loaded") })
        #expect(failure("model", "weights: none.th\narch: resnet20\n").hasPrefix("the input file 'none.th' does not exist"))
    }
}

@Suite("The toy directive")
struct ToyDirectiveTests {
    @Test("in the plane the norm prunes the distinct small filters and FPGM the redundant ones, near the geometric median")
    func toy() throws {
        let run = try DirectiveRun("toy", "")
        #expect(run.json("pruned") == .int(3) && run.json("overlap") == .int(0))
        let x = try #require(run.text("median_x").flatMap(Double.init)), y = try #require(run.text("median_y").flatMap(Double.init))
        #expect(abs(x - 3) < 0.5 && abs(y - 2) < 0.5)
        // Points 9 to 12 are the distinct ones, on a circle of radius 1.2: the norm prunes three of them.
        #expect(run.tables[0].rows.filter { $0.contains("1.20") && $0.contains("pruned") }.count == 3)
        #expect(run.figures.count == 1 && run.figures[0].components(separatedBy: "<circle").count == 9 + 4 + 1 + 1)
    }
}

/// The inference directives on the trained ResNet-56.
@Suite("The speedup and agreement directives", .enabled(if: weightsDirectory != nil))
struct InferenceDirectiveTests {
    @Test("speedup: theoretical reductions are the exact convention's (paper.md 4.2: 50.41% and 47.91%); times are measured")
    func speedup() throws {
        let run = try DirectiveRun("speedup", "weights: hub:akamaster/resnet56\nbatch: 4\nrepeats: 1\n")
        #expect(run.json("theoretical_1") == .double(0.504) && run.json("theoretical_2") == .double(0.479))
        #expect(run.json("theoretical_1_percent") == .double(50.4) && run.json("theoretical_2_percent") == .double(47.9))
        guard case .double? = run.json("measured_1"), case .double? = run.json("measured_2_percent") else {
            Issue.record("measured values are not numbers")
            return
        }
        let table = run.tables[0]
        #expect(table.measuredColumns.count * table.rows.count == 9)
        #expect(Array(try #require(run.row("FPGM 40%")).prefix(3)) == ["FPGM 40%", "419,449", "62,223,040"])
    }

    @Test("agreement: nothing pruned at rate 0 (error 0, agreement 1 as a number); at 40% the criteria prune 780, 761, 780, 780 filters")
    func agreement() throws {
        let none = try DirectiveRun("agreement", "weights: hub:akamaster/resnet56\nrate: 0\nmix_dist: 0\ninput: smooth:8\n")
        for criterion in ["fpgm", "mix", "l2", "random"] {
            #expect(none.json("max_error_\(criterion)") == .double(0) && none.json("agreement_\(criterion)") == .double(1))
        }
        #expect(none.callouts.contains { $0.contains("Generated images (smooth:8), not photographs") })
        let forty = try DirectiveRun("agreement", "weights: hub:akamaster/resnet56\ninput: pattern:2\n")
        let counts = forty.tables[0].rows.filter { row in ["FPGM", "L2", "random"].contains { row[0].hasPrefix($0) } }.map { $0[2] }
        #expect(counts == ["780", "761", "780", "780"])
        #expect(forty.figures.first?.contains("top-1 agreement (%)") == true)
    }
}

@Suite("finetune", .enabled(if: weightsDirectory != nil && ProcessInfo.processInfo.environment["FPGM_DATA_DIR"] != nil))
struct FinetuneDirectiveTests {
    @Test("before training it shows the numpy evaluation's counts; after it, the training run's accuracy, marked measured in the table, the chart and the export's name")
    func resnet20() throws {
        let expected = try fixture("accuracy/expected.json")
        let resnet20 = try #require((expected["networks"] as? [String: Any])?["resnet20"] as? [String: Any])
        let masked = try #require(((resnet20["pruned"] as? [String: Any])?["fpgm"] as? [String: Any])?["masked"] as? Int)
        let run = try DirectiveRun("finetune", "weights: hub:akamaster/resnet20\ncriteria: [fpgm]\nepochs: 2\nimages: 64\nbatch: 32\nseed: 3\n")
        #expect(run.row("unpruned")?[3] == "91.41%", "1,138 of 1,245 (shared/cifar10/README.md)")
        let row = try #require(run.row("FPGM-only"))
        #expect(row.count == 6 && row[2] == "264" && row[3] == NumberFormat.fixed(100 * Double(masked) / 1245, digits: 2) + "%")
        #expect(run.tables[0].measuredColumns == [4, 5])
        #expect(run.json("top1_masked_fpgm") == .double(Double(NumberFormat.fixed(Double(masked) / 1245, digits: 4))!))
        #expect(run.json("epochs") == .int(2) && run.json("images") == .int(64))

        let weights = try Architecture.named("resnet20").bind(Checkpoint.read(path: weightsDirectory! + "/resnet20-12fca82f.th"))
        var settings = TrainingSettings(epochs: 2)
        (settings.batch, settings.seed) = (32, 3)
        var training = try TrainingRun(weights: weights, settings: settings, selector: FilterSelector(rates: PruningRates(rateNorm: 1, rateDist: 0.4)))
        let images = try ImageData().load("hub:cifar10/train", split: .train).prefix(64), test = try ImageData().load("hub:cifar10/test", split: .test)
        for _ in 0..<2 { _ = try training.runEpoch(images) }
        let top1 = Evaluation(network: InferenceNetwork(weights: training.network.weights), weights: training.network.weights, images: test,
                              normalization: .imagenet).top1
        #expect(row[5] == NumberFormat.fixed(100 * top1, digits: 2) + "%")
        #expect(run.text("measured_top1_fpgm_percent") == NumberFormat.fixed(100 * top1, digits: 2))
        let svg = try #require(run.figures.first)
        #expect(svg.components(separatedBy: "<polyline class=\"measured\"").count == 2)
    }
}
