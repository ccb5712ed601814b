import Digest
import FPGM
import Foundation
import Report

/// `fpgm inspect`: the tensors of a checkpoint as stored: names, shapes, element types and sums of |x|.
enum InspectCommand {
    static let json = OptionSpec.flag("--json", help: "Print JSON instead of a table.")

    static let spec = CommandSpec(
        name: "inspect",
        overview: "List the tensors of a checkpoint: names, shapes, element types and sums of absolute values.",
        arguments: [("checkpoint", CheckpointArgument.help)],
        options: [
            Self.json,
        ])

    static func run(_ words: [String]) throws(CommandLineError) -> String {
        let arguments = try spec.parse(words)
        guard let argument = arguments.positionals.first else { throw spec.usage("Missing expected argument '<checkpoint>'") }
        let (path, checkpoint) = try CheckpointArgument.read(argument)
        let digest: SHA256Digest
        do { digest = try SHA256Digest(fileAt: path) } catch { throw .input(error.description) }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard arguments.has(Self.json) else {
            let table = Table(columns: ["Tensor", "Shape", "Type", "Sum of |x|"], alignments: [.left, .left, .left, .right],
                              rows: checkpoint.tensors.map { [$0.name, "\($0.tensor.shape)", $0.dtype.rawValue, String(format: "%.6g", $0.tensor.absoluteSum)] })
            let metadata = checkpoint.metadata.keys.sorted().map { "\($0): \(checkpoint.metadata[$0]!)" }
            return "\(argument): \(checkpoint.format.rawValue), \(checkpoint.tensors.count) tensors, \(bytes) bytes, sha256 \(digest.hex)\n"
                + (metadata.isEmpty ? "" : metadata.joined(separator: "\n") + "\n") + "\n" + table.markdown
        }
        let members: [(String, JSONValue)] = [
            ("file", .string(argument)),
            ("format", .string(checkpoint.format.rawValue)),
            ("bytes", .int(bytes)),
            ("sha256", .string(digest.hex)),
            ("tensors", .array(checkpoint.tensors.map { stored in
                .object([
                    ("name", .string(stored.name)),
                    ("shape", .array(stored.tensor.shape.map(JSONValue.int))),
                    ("dtype", .string(stored.dtype.rawValue)),
                    ("abs_sum", .double(stored.tensor.absoluteSum)),
                ])
            })),
            ("metadata", .object(checkpoint.metadata.keys.sorted().map { ($0, .string(checkpoint.metadata[$0]!)) })),
        ]
        return JSONValue.object(members).text(indent: 2) + "\n"
    }
}
