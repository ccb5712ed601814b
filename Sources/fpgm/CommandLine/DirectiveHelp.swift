import Notebook

/// Help on directives, written from their specs: `fpgm help DIRECTIVE`, `fpgm help directives`, and
/// with `--markdown` the reference page `notebooks/directives.md`.
enum DirectiveHelp {
    /// One directive: its summary, its arguments (kind, default, help) and what it exports.
    static func text(_ spec: DirectiveSpec) -> String {
        var text = "DIRECTIVE: \(spec.name) - \(spec.summary)\n\n"
        text += "USAGE: a cell opened by ```fpgm \(spec.name); after its #| options, the arguments as YAML (name: value).\n\n"
        text += "ARGUMENTS:\n"
        for argument in spec.arguments { text += HelpLayout.row(argument.name, "\(sentence(argument.help)) \(details(argument)).") }
        if !spec.exports.isEmpty {
            text += "\nEXPORTS (for {{label.key}} in prose):\n" + HelpLayout.paragraph(spec.exports + ".")
        }
        return text + "\n  See 'fpgm help directives' for every directive.\n"
    }

    /// Every directive with its summary.
    static func list(_ specs: [DirectiveSpec]) -> String {
        "DIRECTIVES:\n" + specs.map { HelpLayout.row($0.name, $0.summary) }.joined()
            + "\n" + HelpLayout.paragraph("See 'fpgm help <directive>' for its arguments and exports, and notebooks/directives.md for all of them.")
    }

    /// The reference page: a section per directive with a table of its arguments.
    static func markdown(_ specs: [DirectiveSpec]) -> String {
        var page = """
        # Directives

        A cell opened by ```` ```fpgm NAME ```` runs the directive NAME; the lines after its `#|` options are
        its arguments, a YAML mapping (`name: value`, with `${param}` for parameters), and the values it exports
        are cited in prose as `{{label.key}}`. This page is written from the directives' own specs by
        `fpgm help directives --markdown`; `fpgm help NAME` prints one of them in the terminal.


        """
        page += specs.map { "- [`\($0.name)`](#\($0.name)): \(escaped($0.summary))\n" }.joined()
        for spec in specs {
            page += "\n## \(spec.name)\n\n\(escaped(sentence(spec.summary))).\n\n"
            page += "| Argument | Kind | Default | Meaning |\n|---|---|---|---|\n"
            for argument in spec.arguments {
                let fallback = argument.defaultValue.map { "`\($0.yaml)`" } ?? "required"
                page += "| `\(argument.name)` | \(escaped(kind(argument.kind))) | \(fallback) | \(escaped(argument.help)) |\n"
            }
            if !spec.exports.isEmpty { page += "\nExports: \(escaped(spec.exports)).\n" }
        }
        return page
    }

    /// "(a list of numbers from 0 to 1; default: [0.4])", or "(...; required)".
    private static func details(_ argument: ArgumentSpec) -> String {
        "(" + kind(argument.kind) + "; " + (argument.defaultValue.map { "default: \($0.yaml)" } ?? "required") + ")"
    }

    /// A kind as help names it; a choice among many names (layers, say) is only "a name", the help saying which.
    private static func kind(_ kind: ArgumentKind) -> String {
        switch kind {
        case let .choice(values) where values.count > 8: "a name"
        case let .choices(values) where values.count > 8: "a list of names"
        default: kind.name
        }
    }

    private static func sentence(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }

    /// Text safe in Markdown prose and table cells: what would start markup (HTML, math, a pipe, a link,
    /// a value reference) is escaped with a backslash.
    private static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            if "\\<>|$*[]`".contains(character) { out.append("\\") }
            if character == "{", out.hasSuffix("{") { out.removeLast(); out += "\\{" }
            out.append(character)
        }
        return out
    }
}
