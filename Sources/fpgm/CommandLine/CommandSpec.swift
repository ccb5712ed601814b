import Notebook

/// One option of a subcommand: a flag (`--json`) or an option with a value (`--arch <arch>`).
struct OptionSpec {
    let name: String
    /// The placeholder of the value; nil for a flag.
    let valueName: String?
    let help: String
    var defaultValue: String? = nil
    /// The accepted values, when the set is closed.
    var values: [String]? = nil
    /// Whether the option may be given more than once (each value is kept).
    var repeatable = false

    static func flag(_ name: String, help: String) -> OptionSpec {
        OptionSpec(name: name, valueName: nil, help: help)
    }

    static func value(_ name: String, _ valueName: String, help: String, default defaultValue: String? = nil,
                      values: [String]? = nil, repeatable: Bool = false) -> OptionSpec {
        OptionSpec(name: name, valueName: valueName, help: help, defaultValue: defaultValue, values: values, repeatable: repeatable)
    }

    /// `--arch <arch>` or `--json`.
    var synopsis: String { valueName.map { "\(name) <\($0)>" } ?? name }
}

/// A subcommand's interface: what the help shows and what the parser accepts.
struct CommandSpec {
    let name: String
    let overview: String
    /// Positional arguments: name and help.
    var arguments: [(name: String, help: String)] = []
    let options: [OptionSpec]
    /// The usage line after `fpgm <name>`, when the default one (every option in brackets) is not right.
    var usage: String? = nil
    /// Whether the last positional argument takes any number of values.
    var variadic = false

    var usageLine: String {
        if let usage { return "fpgm \(name) \(usage)" }
        let parts = arguments.map { "[<\($0.name)>]" } + options.map { "[\($0.synopsis)]" }
        return (["fpgm", name] + parts).joined(separator: " ")
    }

    /// The help text in the swift-argument-parser layout.
    var help: String {
        var text = "OVERVIEW: \(overview)\n\nUSAGE: \(usageLine)\n"
        if !arguments.isEmpty {
            text += "\nARGUMENTS:\n"
            for argument in arguments { text += HelpLayout.row("<\(argument.name)>", argument.help) }
        }
        text += "\nOPTIONS:\n"
        for option in options {
            var help = option.help
            if let values = option.values { help += " (values: \(values.joined(separator: ", ")))" }
            if let defaultValue = option.defaultValue { help += " (default: \(defaultValue))" }
            text += HelpLayout.row(option.synopsis, help)
        }
        text += HelpLayout.row("-h, --help", "Show help information.")
        return text
    }

    /// Parses the words after the subcommand name.
    func parse(_ words: [String]) throws(CommandLineError) -> ParsedArguments {
        var parsed = ParsedArguments(spec: self)
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            if word == "-h" || word == "--help" { throw .helpRequested(self) }
            guard word.hasPrefix("-"), word != "-" else {
                guard parsed.positionals.count < arguments.count || variadic else {
                    throw usage("Unexpected argument '\(word)'")
                }
                parsed.positionals.append(word)
                continue
            }
            let pieces = word.split(separator: "=", maxSplits: 1).map(String.init)
            let name = pieces[0]
            let inlineValue = pieces.count > 1 ? pieces[1] : nil
            guard let option = options.first(where: { $0.name == name }) else {
                let suggestion = Suggestion.nearest(name, among: options.map(\.name)).map { ". Did you mean '\($0)'?" } ?? ""
                throw usage("Unknown option '\(name)'\(suggestion)")
            }
            guard option.valueName != nil else {
                guard inlineValue == nil else { throw usage("The flag '\(name)' takes no value") }
                parsed.flags.insert(name)
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard index < words.count, !words[index].hasPrefix("--") else { throw usage("Missing value for '\(option.synopsis)'") }
                value = words[index]
                index += 1
            }
            if let values = option.values, !values.contains(value) {
                throw usage("The value '\(value)' is invalid for '\(option.synopsis)'. Please provide one of \(values.map { "'\($0)'" }.joined(separator: ", ")).")
            }
            if option.repeatable {
                parsed.lists[name, default: []].append(value)
                continue
            }
            guard parsed.values[name] == nil else { throw usage("The option '\(name)' was given twice") }
            parsed.values[name] = value
        }
        return parsed
    }

    func usage(_ message: String) -> CommandLineError { .usage(message, self) }
}

/// What the parser found, read through the command's own `OptionSpec` values (a misspelt option
/// cannot compile; reading an option the command does not declare stops debug builds).
struct ParsedArguments {
    let spec: CommandSpec
    var positionals: [String] = []
    fileprivate(set) var values: [String: String] = [:]
    /// The values of repeatable options, in the order given.
    fileprivate(set) var lists: [String: [String]] = [:]
    fileprivate(set) var flags: Set<String> = []

    /// The option's value as given, without its default.
    func given(_ option: OptionSpec) -> String? { values[declared(option).name] }

    /// The option's value, or the default the command declares for it.
    func value(_ option: OptionSpec) -> String? { given(option) ?? declared(option).defaultValue }

    /// Whether the flag was given.
    func has(_ flag: OptionSpec) -> Bool { flags.contains(declared(flag).name) }

    /// Every value of a repeatable option, in the order given.
    func list(_ option: OptionSpec) -> [String] { lists[declared(option).name] ?? [] }

    /// The value (or default) of an option with a closed set of values, as the type whose raw values they are.
    func choice<T: RawRepresentable>(_ option: OptionSpec, as type: T.Type) -> T? where T.RawValue == String {
        value(option).flatMap(T.init(rawValue:))
    }

    /// The option's value as a number; fails with a usage error naming the option.
    func number(_ option: OptionSpec) throws(CommandLineError) -> Double? {
        guard let text = value(option) else { return nil }
        guard let number = Double(text), number.isFinite else {
            throw spec.usage("The value '\(text)' is invalid for '\(option.synopsis)': not a number")
        }
        return number
    }

    /// The option's value as a whole number of at least `least`; fails with a usage error naming the option.
    func wholeNumber(_ option: OptionSpec, atLeast least: Int) throws(CommandLineError) -> Int {
        let text = value(option) ?? ""
        guard let number = Int(text), number >= least else {
            throw spec.usage("The value '\(text)' is invalid for '\(option.synopsis)': not a whole number of at least \(least)")
        }
        return number
    }

    /// The command's own declaration of `option` (an option group's members are declared by name).
    private func declared(_ option: OptionSpec) -> OptionSpec {
        let own = spec.options.first { $0.name == option.name }
        assert(own != nil, "fpgm \(spec.name) reads \(option.name), which it does not declare")
        return own ?? option
    }
}

/// Help rows: the synopsis in a 26-column field, then the help text wrapped at 80 columns.
enum HelpLayout {
    static let helpColumn = 26
    static let width = 80

    /// The words of `text` in lines that fit the width after `indent` columns.
    static func wrapped(_ text: String, indent: Int) -> [String] {
        var lines = [String](), line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && indent + line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        return lines + [line]
    }

    /// `text` wrapped to the width, each line indented two spaces.
    static func paragraph(_ text: String) -> String { wrapped(text, indent: 2).map { "  " + $0 + "\n" }.joined() }

    /// A synopsis and its help, the help wrapped in a column of its own.
    static func row(_ synopsis: String, _ help: String) -> String {
        let field = "  " + synopsis
        let indent = String(repeating: " ", count: helpColumn)
        let body = wrapped(help, indent: helpColumn).joined(separator: "\n" + indent)
        if field.count <= helpColumn - 2 {
            return field + String(repeating: " ", count: helpColumn - field.count) + body + "\n"
        }
        return field + "\n" + indent + body + "\n"
    }
}
