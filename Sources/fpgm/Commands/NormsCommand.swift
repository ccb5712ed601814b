import Analyses
import FPGM
import Foundation
import Report

/// `fpgm norms`: the L2 and L1 norms of every filter of every prunable conv layer, with the
/// statistics of the norm criterion's two requirements (Sec. 3.2 of the paper): a large deviation
/// and a minimum near zero.
enum NormsCommand {
    static let arch = OptionSpec.value("--arch", "arch", help: "The network (\(Architecture.names.joined(separator: ", "))); inferred from the tensors when omitted.")
    static let json = OptionSpec.flag("--json", help: "Print JSON, with every filter's norms, instead of a table.")

    static let spec = CommandSpec(
        name: "norms",
        overview: "Filter norms of every conv layer of a checkpoint, with their spread and minimum.",
        arguments: [("checkpoint", CheckpointArgument.help)],
        options: [
            Self.arch,
            Self.json,
        ])

    static func run(_ words: [String]) throws(CommandLineError) -> String {
        let arguments = try spec.parse(words)
        guard let argument = arguments.positionals.first else { throw spec.usage("Missing expected argument '<checkpoint>'") }
        var architecture: Architecture?
        if let name = arguments.given(Self.arch) {
            do { architecture = try Architecture.named(name) } catch { throw spec.usage(error.description) }
        }
        let (path, checkpoint) = try CheckpointArgument.read(argument)
        let layers: [(name: String, filters: FilterMatrix)]
        do { (layers, architecture) = try PrunableLayers.find(in: checkpoint, architecture: architecture) } catch {
            throw .input("\(path): \(error.description)")
        }
        let summaries = layers.map { NormSummary(name: $0.name, filters: $0.filters) }
        guard arguments.has(Self.json) else {
            return NormSummary.table(summaries).markdown + "\nL2 norms of each filter; std is the population standard deviation.\n"
        }
        let members: [(String, JSONValue)] = [
            ("checkpoint", .string(argument)),
            ("arch", architecture.map { .string($0.name) } ?? .null),
            ("layers", .array(summaries.map { s in
                .object([
                    ("name", .string(s.name)), ("filters", .int(s.l2.count)),
                    ("min", .double(s.minimum)), ("max", .double(s.maximum)), ("mean", .double(s.mean)), ("std", .double(s.deviation)),
                    ("l2", .array(s.l2.map(JSONValue.double))), ("l1", .array(s.l1.map(JSONValue.double))),
                ])
            })),
        ]
        return JSONValue.object(members).text(indent: 2) + "\n"
    }
}
