/// GFM footnotes for the HTML report: a definition `[^label]: text` at the start of a line (continued by
/// the lines that follow it up to a blank line, and by lines indented four spaces after one) is taken out
/// of the prose, and each reference `[^label]` to a defined label becomes a numbered superscript link;
/// the definitions, numbered in the order of their first reference, close the document as GitHub
/// writes them. Code (`CodeRegions`) is left alone, a reference to no definition stays as written, and
/// a definition nothing refers to is not shown. Labels match case-insensitively. The Markdown report
/// keeps the text as written (GitHub renders footnotes itself).
struct Footnotes {
    /// A definition's Markdown (continuation lines' indent taken off) and the notebook line it starts on.
    struct Definition {
        let markdown: String
        let line: Int
    }

    /// Each definition, by lowercased label.
    private var definitions: [String: Definition] = [:]
    /// The labels referred to, in the order of their first reference.
    private(set) var order: [String] = []
    /// How many references each label has had so far.
    private var referenceCounts: [String: Int] = [:]

    static let placeholderPrefix = "FPGMFOOTNOTE"

    /// The definitions in `prose` (every prose block of the notebook with its first line, in order); the
    /// first of a label wins.
    init(_ prose: [(text: String, firstLine: Int)]) {
        for (text, firstLine) in prose {
            for (label, definition) in Self.scan(text, firstLine: firstLine).definitions where definitions[label] == nil {
                definitions[label] = definition
            }
        }
    }

    /// `markdown` without its definitions, each reference to a defined label replaced by a placeholder
    /// (letters and digits only, so that cmark keeps it as text).
    mutating func protect(_ markdown: String) -> String {
        let scanned = Self.scan(markdown, firstLine: 1)
        var output = ""
        for piece in scanned.pieces {
            switch piece {
            case let .text(text): output += text
            case let .reference(label, written):
                guard definitions[label] != nil else { output += written; continue }
                if !order.contains(label) { order.append(label) }
                referenceCounts[label, default: 0] += 1
                output += "\(Self.placeholderPrefix)\(order.firstIndex(of: label)! + 1)R\(referenceCounts[label]!)Z"
            }
        }
        return output
    }

    /// `html` with each placeholder replaced by its superscript link.
    func restore(_ html: String) -> String {
        var output = "", rest = Substring(html)
        while let start = rest.firstRange(of: Self.placeholderPrefix) {
            output += rest[..<start.lowerBound]
            let digits = rest[start.upperBound...].prefix { $0.isNumber || $0 == "R" }
            let parts = digits.split(separator: "R").compactMap { Int($0) }
            let end = digits.endIndex
            guard parts.count == 2, end < rest.endIndex, rest[end] == "Z", parts[0] >= 1, parts[0] <= order.count else {
                output += Self.placeholderPrefix
                rest = rest[start.upperBound...]
                continue
            }
            let id = Self.id(order[parts[0] - 1]), suffix = parts[1] > 1 ? "-\(parts[1])" : ""
            output += "<sup class=\"footnote-ref\"><a href=\"#fn-\(id)\" id=\"fnref-\(id)\(suffix)\" data-footnote-ref>\(parts[0])</a></sup>"
            rest = rest[rest.index(after: end)...]
        }
        return output + rest
    }

    /// The closing section: each referred definition rendered by `render` (Markdown to HTML), with links
    /// back to its references; nil when nothing was referred to.
    func section(render: (Definition) -> String) -> String? {
        guard !order.isEmpty else { return nil }
        var html = "<section class=\"footnotes\" data-footnotes>\n<ol>\n"
        for (index, label) in order.enumerated() {
            let id = Self.id(label), number = index + 1
            let backs = (1...referenceCounts[label, default: 1]).map { count in
                let suffix = count > 1 ? "-\(count)" : "", mark = count > 1 ? "↩<sup class=\"footnote-ref\">\(count)</sup>" : "↩"
                return "<a href=\"#fnref-\(id)\(suffix)\" class=\"footnote-backref\" data-footnote-backref aria-label=\"Back to reference \(number)\(suffix)\">\(mark)</a>"
            }.joined(separator: " ")
            var body = definitions[label].map(render) ?? ""
            if body.hasSuffix("</p>\n") {
                body = String(body.dropLast("</p>\n".count)) + " " + backs + "</p>\n"
            } else {
                body += "<p>" + backs + "</p>\n"
            }
            html += "<li id=\"fn-\(id)\">\n" + body + "</li>\n"
        }
        return html + "</ol>\n</section>\n"
    }

    /// A label as an `id`: letters, digits, `-` and `_` kept, anything else as `-`.
    static func id(_ label: String) -> String {
        String(label.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" })
    }

    enum Piece {
        case text(String)
        case reference(label: String, written: String)
    }

    /// The text of `markdown` (prose from line `firstLine`) in pieces (text, and references with their
    /// lowercased labels), outside its definitions, and the definitions by lowercased label.
    static func scan(_ markdown: String, firstLine: Int) -> (pieces: [Piece], definitions: [(String, Definition)]) {
        let characters = Array(markdown), code = CodeRegions(characters)
        var pieces = [Piece](), definitions = [(String, Definition)](), text = "", index = 0, line = firstLine, counted = 0
        func isBlank(_ from: Int, _ to: Int) -> Bool { characters[from..<to].allSatisfy(\.isWhitespace) }
        func indent(_ from: Int) -> Int { characters[from...].prefix { $0 == " " }.count }
        while index < characters.count {
            if let end = code.end(ofCodeAt: index) {
                text += String(characters[index..<end])
                index = end
                continue
            }
            let atLineStart = index == 0 || characters[index - 1].isNewline
            if atLineStart, indent(index) <= 3, let (label, afterColon) = label(in: characters, at: index + indent(index), definition: true) {
                // The definition: its first line, the lines up to a blank line, and indented lines after one.
                var body = String(characters[afterColon..<characters.lineEnd(from: afterColon)].drop { $0 == " " }), next = characters.lineEnd(from: afterColon)
                while next < characters.count {
                    let end = characters.lineEnd(from: next)
                    if isBlank(next, end) {
                        var after = end
                        while after < characters.count, isBlank(after, characters.lineEnd(from: after)) { after = characters.lineEnd(from: after) }
                        guard after < characters.count, indent(after) >= 4 else { break }
                        body += "\n"
                        next = end
                        continue
                    }
                    if self.label(in: characters, at: next + min(3, indent(next)), definition: true) != nil, indent(next) <= 3 { break }
                    body += String(characters[(next + min(4, indent(next)))..<end])
                    next = end
                }
                line += characters[counted..<index].filter(\.isNewline).count
                counted = index
                definitions.append((label.lowercased(), Definition(markdown: body, line: line)))
                index = next
                continue
            }
            if characters[index] == "[", let (label, end) = label(in: characters, at: index, definition: false) {
                pieces.append(.text(text))
                text = ""
                pieces.append(.reference(label: label.lowercased(), written: String(characters[index..<end])))
                index = end
                continue
            }
            text.append(characters[index])
            index += 1
        }
        pieces.append(.text(text))
        return (pieces, definitions)
    }

    /// `[^label]` at `at` (followed by `:` when `definition`): the label and the position after it (after
    /// the `:`). A label has no spaces, brackets or backslashes.
    static func label(in characters: [Character], at: Int, definition: Bool) -> (String, Int)? {
        guard at + 3 < characters.count, characters[at] == "[", characters[at + 1] == "^" else { return nil }
        var end = at + 2
        while end < characters.count, !characters[end].isWhitespace, !"[]\\".contains(characters[end]) { end += 1 }
        guard end > at + 2, end < characters.count, characters[end] == "]" else { return nil }
        let label = String(characters[(at + 2)..<end])
        if definition {
            guard end + 1 < characters.count, characters[end + 1] == ":" else { return nil }
            return (label, end + 2)
        }
        return (label, end + 1)
    }
}
