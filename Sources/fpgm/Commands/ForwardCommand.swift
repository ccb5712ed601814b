import FPGM
import Foundation
import Report

/// `fpgm forward`: the logits of a network on deterministic or CIFAR-10 images, unpruned, masked
/// (the plan's filters zeroed, as the official code prunes) or compact (the filters removed).
enum ForwardCommand {
    static let input = OptionSpec.value("--input", "input", help: "pattern:N for N striped images (those of the reference logits), smooth:N for N smooth random colour images (seeded), both at the network's input size, or CIFAR-10 images as 'fpgm evaluate --data' takes them (hub:cifar10/test, a batch file, a folder or an archive).")
    static let json = OptionSpec.flag("--json", help: "Print JSON instead of a table.")

    static let spec = CommandSpec(
        name: "forward",
        overview: "Run a network on images and print its logits (and top-1 accuracy on a labelled batch).",
        arguments: [("checkpoint", CheckpointArgument.help)],
        options: [
            RunnableArchitecture.option,
            Self.input,
            DataArguments.normalizeOption,
            RateOptions.prune(by: " with FPGM"),
            RunnableArchitecture.modeOption,
            RunnableArchitecture.shortcutOption,
            Self.json,
        ])

    static func run(_ words: [String]) throws(CommandLineError) -> String {
        let arguments = try spec.parseToCompute(words)
        guard let path = arguments.positionals.first else { throw spec.usage("Missing expected argument '<checkpoint>'") }
        let architecture = try RunnableArchitecture.parse(arguments, spec: spec)
        guard let inputText = arguments.given(Self.input) else { throw spec.usage("Missing expected option '\(Self.input.synopsis)'") }
        let rates = try RateOptions.pruneRates(arguments)
        let shortcut = RunnableArchitecture.shortcut(arguments, spec: spec)
        let normalization = DataArguments.normalization(arguments, spec: spec)
        let images = try DataArguments.images(inputText, option: Self.input, split: .test, side: architecture.inputSize, spec: spec)

        let (resolved, checkpoint) = try CheckpointArgument.read(path)
        let model: CompactModel
        var members = [(String, JSONValue)]()
        if CompactCheckpoint.isCompact(checkpoint) {
            guard rates == nil else { throw spec.usage("'\(path)' is already pruned (written by 'fpgm prune --compact'); drop '--prune'") }
            do { model = try CompactCheckpoint.model(of: checkpoint, path: resolved, architecture: architecture) } catch { throw .input(error.description) }
            members.append(("mode", .string("compact")))
        } else {
            let weights = try RunnableArchitecture.bind(checkpoint, path: resolved, to: architecture)
            if let rates {
                let plan = try RunnableArchitecture.plan(weights, rates: rates, path: resolved)
                let compact = arguments.value(RunnableArchitecture.modeOption) == "compact"
                model = try RunnableArchitecture.pruned(weights, by: plan, compact: compact)
                members += [("mode", .string(compact ? "compact" : "mask")), ("rate_norm", .double(rates.rateNorm)),
                            ("rate_dist", .double(rates.rateDist))]
            } else {
                model = CompactModel(weights: weights)
            }
        }
        let network = InferenceNetwork(model: model, shortcut: shortcut)
        return try report(network: network, images: images, normalization: normalization, arguments: arguments, members: members,
                          path: path, input: inputText, shortcut: shortcut)
    }

    /// Runs the network and prints its logits (and accuracy) as a table or JSON.
    static func report(network: InferenceNetwork, images: ImageSet, normalization: Normalization, arguments: ParsedArguments,
                       members: [(String, JSONValue)], path: String, input inputText: String,
                       shortcut: ShortcutPlacement) throws(CommandLineError) -> String {
        var members = members
        let logits = network.logits(images.maps(normalization: normalization))
        let predictions = logits.map(InferenceNetwork.predictedClass)
        let accuracy = images.labels.map { labels in Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(labels.count) }

        if arguments.has(Self.json) {
            members = [("checkpoint", .string(path)), ("arch", .string(network.model.architecture.name)), ("input", .string(inputText)),
                       ("normalization", .string(normalization.rawValue)), ("shortcut", .string(shortcut.rawValue))] + members
            members.append(("parameters", .int(network.model.parameterCount)))
            if let accuracy { members.append(("top1", .double(accuracy))) }
            members.append(("predictions", .array(predictions.map(JSONValue.int))))
            members.append(("logits", .array(logits.map { .array($0.map { .double(Double($0)) }) })))
            return JSONValue.object(members).text(indent: 2) + "\n"
        }
        var text = "\(logits.count) images, \(network.model.parameterCount) parameters"
        if let accuracy { text += String(format: ", top-1 accuracy %.2f%%", 100 * accuracy) }
        return text + "\n\n" + table(logits)
    }

    /// The logits as a table of at most 20 images: every logit when there are at most 10 classes (the
    /// CIFAR networks), otherwise the 5 largest as "class: logit" (ImageNet's 1000 classes).
    static func table(_ logits: [[Float]]) -> String {
        let shown = min(logits.count, 20), classes = logits.first?.count ?? 0, all = classes <= 10
        let columns = all ? (0..<classes).map { "Logit \($0)" } : (1...min(5, classes)).map { "Top \($0)" }
        let rows = (0..<shown).map { n -> [String] in
            let row = logits[n]
            let cells = all ? row.map { String(format: "%.4f", $0) }
                            : row.indices.sorted { (row[$0], $1) > (row[$1], $0) }.prefix(5).map { "\($0): " + String(format: "%.4f", row[$0]) }
            return [String(n), String(InferenceNetwork.predictedClass(row))] + cells
        }
        let table = Table(columns: ["Image", "Class"] + columns, alignments: Array(repeating: .right, count: 2 + columns.count), rows: rows)
        return table.markdown + (shown < logits.count ? "(first \(shown) of \(logits.count) images; --json gives all)\n" : "")
    }
}
