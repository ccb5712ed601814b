import Foundation
import Report

/// Heading anchors and the table of contents of a report.
struct Headings {
    private var used = Set<String>()
    private(set) var entries: [TableOfContents.Entry] = []

    /// A heading's anchor: lowercase letters and digits, words joined by '-', made unique with -2, -3, ...
    mutating func anchor(for text: String) -> String {
        var slug = ""
        for character in text.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) { slug.append(character) }
            else if (character == " " || character == "-" || character == "_"), !slug.isEmpty, slug.last != "-" { slug.append("-") }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        if slug.isEmpty { slug = "section" }
        var candidate = slug, number = 2
        while used.contains(candidate) { candidate = "\(slug)-\(number)"; number += 1 }
        used.insert(candidate)
        return candidate
    }

    /// Prose HTML from cmark with an `id` on each heading (in order, as `headings` lists them), recorded
    /// for the table of contents. In cmark's safe output every `<hN>` tag is a heading: raw HTML is
    /// dropped and `<` in text is escaped.
    mutating func anchoring(_ html: String, headings: [(level: Int, text: String)]) -> String {
        var output = "", rest = Substring(html)
        for heading in headings {
            let tag = "<h\(heading.level)>"
            guard let range = rest.firstRange(of: tag) else { break }
            let id = anchor(for: heading.text)
            entries.append(TableOfContents.Entry(level: heading.level, text: heading.text, anchor: id))
            output += rest[..<range.lowerBound] + "<h\(heading.level) id=\"\(id)\">"
            rest = rest[range.upperBound...]
        }
        return output + rest
    }
}
