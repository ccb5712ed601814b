import FPGM

/// Why a command stopped, and so which exit code it gives: 0 success, 1 a computation failed,
/// 2 usage error, 3 input/output error.
enum CommandLineError: Error {
    /// `-h` / `--help` was given: print the help on stdout and exit 0.
    case helpRequested(CommandSpec)
    /// Wrong usage: the message, then the usage line and a pointer to the help, exit 2.
    case usage(String, CommandSpec?)
    /// A notebook syntax error: its diagnostic (`file:line:col: error: ...`) alone, exit 2.
    case notebook(String)
    /// A file that is missing, unreadable or corrupt, exit 3.
    case input(String)
    /// A computation that failed, exit 1.
    case failure(String)

    var exitCode: Int32 {
        switch self {
        case .helpRequested: return 0
        case .usage, .notebook: return 2
        case .input: return 3
        case .failure: return 1
        }
    }
}

extension CommandSpec {
    /// The arguments, for a command that computes: once they parse, the engine's BLAS is opened, and a
    /// system without OpenBLAS gives one sentence and exit 3 (help and usage errors never open it).
    func parseToCompute(_ words: [String]) throws(CommandLineError) -> ParsedArguments {
        let arguments = try parse(words)
        do { try BLASRuntime.load() } catch { throw .input(error.description) }
        return arguments
    }
}
