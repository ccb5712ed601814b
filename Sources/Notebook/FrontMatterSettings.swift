/// What the front matter says about rendering: `output` (the formats, default html, md and json) and `cache`
/// (default true).
public struct FrontMatterSettings: Sendable {
    /// Every report format, and those written when neither the command line nor the front matter names any.
    public static let formats = ["html", "md", "json", "ipynb"], defaultFormats = ["html", "md", "json"]

    public let formats: [String]
    public let cache: Bool

    public init(_ notebook: Notebook) throws(Diagnostic) {
        func fail(_ node: YAMLNode, _ message: String) -> Diagnostic {
            Diagnostic(file: notebook.path, line: node.line, column: node.keyColumn, message: "front matter: \(message)")
        }
        var formats = Self.defaultFormats
        if let node = notebook.frontMatter["output"] {
            let names: [String]
            switch node.value {
            case let .string(name): names = [name]
            case let .sequence(items): names = items.compactMap { if case let .string(name) = $0.value { name } else { nil } }
            default: throw fail(node, "'output' must be a list of formats (html, md, json, ipynb)")
            }
            guard !names.isEmpty, names.allSatisfy(Self.formats.contains) else { throw fail(node, "'output' must be a list of formats (html, md, json, ipynb)") }
            formats = names
        }
        self.formats = formats
        let cacheNode = notebook.frontMatter["cache"]
        switch cacheNode?.value {
        case nil: cache = true
        case let .bool(flag)?: cache = flag
        default: throw fail(cacheNode!, "'cache' must be true or false")
        }
    }
}
