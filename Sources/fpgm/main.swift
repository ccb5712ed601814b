import FPGM
import Foundation
import Notebook

/// The tool's version, printed by `fpgm --version`.
let version = "0.1.0"

let subcommands: [(spec: CommandSpec, run: ([String]) throws(CommandLineError) -> String)] = [
    (RenderCommand.spec, RenderCommand.run),
    (FLOPsCommand.spec, FLOPsCommand.run),
    (SelectCommand.spec, SelectCommand.run),
    (InspectCommand.spec, InspectCommand.run),
    (NormsCommand.spec, NormsCommand.run),
    (ForwardCommand.spec, ForwardCommand.run),
    (PruneCommand.spec, PruneCommand.run),
    (EvaluateCommand.spec, EvaluateCommand.run),
]

let overview = """
OVERVIEW: Literate notebooks and tools for Filter Pruning via Geometric Median (He et al., CVPR 2019).

USAGE: fpgm <subcommand>

OPTIONS:
\(HelpLayout.row("--version", "Show the version."))\(HelpLayout.row("-h, --help", "Show help information."))
SUBCOMMANDS:
\(subcommands.map { HelpLayout.row($0.spec.name, $0.spec.overview) }.joined())
  See 'fpgm help <subcommand>' for detailed help.

"""

func write(_ text: String, to handle: FileHandle) {
    handle.write(Data(text.utf8))
}

/// Runs the command line and returns the exit code.
@MainActor func main(_ words: [String]) -> Int32 {
    guard let first = words.first else {
        write(overview, to: .standardOutput)
        return 0
    }
    switch first {
    case "-h", "--help":
        write(overview, to: .standardOutput)
        return 0
    case "--version":
        write(version + "\n", to: .standardOutput)
        return 0
    case "help":
        guard let name = words.dropFirst().first else { write(overview, to: .standardOutput); return 0 }
        guard let command = subcommands.first(where: { $0.spec.name == name }) else {
            return report(.usage("Unknown subcommand '\(name)'", nil))
        }
        write(command.spec.help, to: .standardOutput)
        return 0
    default:
        guard let command = subcommands.first(where: { $0.spec.name == first }) else {
            let suggestion = Suggestion.nearest(first, among: subcommands.map(\.spec.name)).map { ". Did you mean '\($0)'?" } ?? ""
            return report(.usage("Unknown subcommand '\(first)'\(suggestion)", nil))
        }
        do {
            write(try command.run(Array(words.dropFirst())), to: .standardOutput)
            return 0
        } catch {
            return report(error)
        }
    }
}

/// Prints an error (or the requested help) and returns its exit code.
func report(_ error: CommandLineError) -> Int32 {
    switch error {
    case let .helpRequested(spec):
        write(spec.help, to: .standardOutput)
    case let .usage(message, spec):
        let name = spec.map { " \($0.name)" } ?? ""
        let usage = spec?.usageLine ?? "fpgm <subcommand>"
        write("Error: \(message)\nUsage: \(usage)\n  See 'fpgm\(name) --help' for more information.\n", to: .standardError)
    case let .input(message), let .failure(message):
        write("Error: \(message)\n", to: .standardError)
    case let .notebook(diagnostic):
        write(diagnostic + "\n", to: .standardError)
    }
    return error.exitCode
}

BLASRuntime.preferSingleThreaded()
exit(main(Array(CommandLine.arguments.dropFirst())))
