import Analyses
import FPGM
import Foundation
import Notebook

/// The tool's version, printed by `fpgm --version`.
let version = "0.1.0"

let subcommands: [(spec: CommandSpec, run: ([String]) throws(CommandLineError) -> String)] = [
    (RenderCommand.spec, RenderCommand.run),
    (PreviewCommand.spec, PreviewCommand.run),
    (FLOPsCommand.spec, FLOPsCommand.run),
    (SelectCommand.spec, SelectCommand.run),
    (InspectCommand.spec, InspectCommand.run),
    (NormsCommand.spec, NormsCommand.run),
    (ForwardCommand.spec, ForwardCommand.run),
    (PruneCommand.spec, PruneCommand.run),
    (EvaluateCommand.spec, EvaluateCommand.run),
    (TrainCommand.spec, TrainCommand.run),
]

let overview = """
OVERVIEW: Literate notebooks and tools for Filter Pruning via Geometric Median (He et al., CVPR 2019).

USAGE: fpgm <subcommand>

OPTIONS:
\(HelpLayout.row("--version", "Show the version."))\(HelpLayout.row("-h, --help", "Show help information."))
SUBCOMMANDS:
\(subcommands.map { HelpLayout.row($0.spec.name, $0.spec.overview) }.joined())
  See 'fpgm help <subcommand>' for detailed help, and 'fpgm help directives' for the notebook directives.

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
        return help(Array(words.dropFirst()))
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

/// `fpgm help [SUBCOMMAND | DIRECTIVE | directives [--markdown]]`.
@MainActor func help(_ words: [String]) -> Int32 {
    let specs = Directives.all.map(\.spec)
    switch words {
    case []: write(overview, to: .standardOutput)
    case ["directives"]: write(DirectiveHelp.list(specs), to: .standardOutput)
    case ["directives", "--markdown"]: write(DirectiveHelp.markdown(specs), to: .standardOutput)
    case _ where words.count == 2 && words[0] == "directive":
        guard let spec = specs.first(where: { $0.name == words[1] }) else {
            let suggestion = Suggestion.nearest(words[1], among: specs.map(\.name)).map { ". Did you mean '\($0)'?" } ?? ""
            return report(.usage("Unknown directive '\(words[1])'\(suggestion)", nil))
        }
        write(DirectiveHelp.text(spec), to: .standardOutput)
    case _ where words.count == 1:
        let name = words[0]
        if let command = subcommands.first(where: { $0.spec.name == name }) {
            write(helpText(command.spec), to: .standardOutput)
        } else if let spec = specs.first(where: { $0.name == name }) {
            write(DirectiveHelp.text(spec), to: .standardOutput)
        } else {
            let suggestion = Suggestion.nearest(name, among: subcommands.map(\.spec.name) + specs.map(\.name) + ["directives"])
            return report(.usage("Unknown subcommand or directive '\(name)'" + (suggestion.map { ". Did you mean '\($0)'?" } ?? ""), nil))
        }
    default:
        return report(.usage("help takes a subcommand or directive name, 'directive NAME', or 'directives' (with --markdown: the reference page)", nil))
    }
    return 0
}

/// A subcommand's help; where a directive has the same name (flops, norms, select), a line that points to its help.
func helpText(_ spec: CommandSpec) -> String {
    guard Directives.all.contains(where: { $0.spec.name == spec.name }) else { return spec.help }
    return spec.help + "\n  The directive '\(spec.name)' has help of its own: 'fpgm help directive \(spec.name)'.\n"
}

/// Prints an error (or the requested help) and returns its exit code.
func report(_ error: CommandLineError) -> Int32 {
    switch error {
    case let .helpRequested(spec):
        write(helpText(spec), to: .standardOutput)
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
