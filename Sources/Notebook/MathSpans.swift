import Report

/// `$...$` and `$$...$$` in prose: taken out before cmark parses the text (so `_` and `*` inside stay
/// math, not emphasis) and put back into the HTML as MathML. Code (`CodeRegions`) is left alone; `\$`
/// is a dollar sign. Inline math follows Pandoc's
/// `tex_math_dollars` rule, so that prices stay prices ("$5 and $10"): the opening `$` has a
/// non-space character right after it, the closing `$` a non-space character right before it and no
/// digit right after it, and no blank line lies between them.
struct MathSpans {
    struct Span {
        let tex: String
        let display: Bool
        /// 0-based line within the prose text where the span starts.
        let line: Int
    }

    private(set) var spans: [Span] = []

    /// The placeholder standing for span `index`: letters only, so cmark keeps it as plain text.
    static func placeholder(_ index: Int) -> String { "\(placeholderPrefix)\(index)Z" }
    static let placeholderPrefix = "FPGMMATHSPAN"

    /// `markdown` with every math span outside code (`CodeRegions`) replaced by its placeholder.
    mutating func protect(_ markdown: String) -> String {
        var output = ""
        let characters = Array(markdown), code = CodeRegions(characters)
        var index = 0, line = 0
        while index < characters.count {
            let character = characters[index]
            if let end = code.end(ofCodeAt: index) {
                output += String(characters[index..<end])
                line += characters[index..<end].filter(\.isNewline).count
                index = end
                continue
            }
            if character.isNewline { line += 1 }
            if character == "\\", index + 1 < characters.count, characters[index + 1] == "$" {
                output += "\\$"; index += 2; continue
            }
            if character == "$" {
                let display = index + 1 < characters.count && characters[index + 1] == "$"
                let delimiter = display ? "$$" : "$"
                let start = index + delimiter.count
                if let close = display ? MathSpans.find(delimiter, in: characters, from: start) : MathSpans.inlineClose(in: characters, from: start),
                   close > start {
                    let tex = String(characters[start..<close])
                    spans.append(Span(tex: tex, display: display, line: line))
                    output += MathSpans.placeholder(spans.count - 1)
                    line += tex.filter(\.isNewline).count
                    index = close + delimiter.count
                    continue
                }
            }
            output.append(character)
            index += 1
        }
        return output
    }

    /// Where the inline math opened just before `start` closes: the first `$` (not escaped) with a
    /// non-space character before it and no digit after it, before any blank line; nil when the character
    /// at `start` is a space (then the `$` opens nothing) or no such `$` follows.
    static func inlineClose(in characters: [Character], from start: Int) -> Int? {
        guard start < characters.count, !characters[start].isWhitespace else { return nil }
        var index = start
        while index < characters.count {
            let character = characters[index]
            if character.isNewline, characters.blankLineFollows(index) { return nil }
            if character == "\\" { index += 2; continue }
            if character == "$", index > start, !characters[index - 1].isWhitespace,
               index + 1 >= characters.count || !characters[index + 1].isASCII || !characters[index + 1].isNumber {
                return index
            }
            index += 1
        }
        return nil
    }

    /// The first position at or after `from` where `needle` starts (not preceded by a backslash).
    static func find(_ needle: String, in characters: [Character], from: Int) -> Int? {
        let pattern = Array(needle)
        var index = from
        while index + pattern.count <= characters.count {
            if Array(characters[index..<(index + pattern.count)]) == pattern, index == 0 || characters[index - 1] != "\\" { return index }
            index += 1
        }
        return nil
    }

    /// `html` with each placeholder replaced by MathML, or by the source in `<code>` with a warning
    /// when the TeX is not supported; one pass over `html`.
    func restore(_ html: String, firstLine: Int, file: String, warnings: inout [Diagnostic]) -> String {
        var markups = [String]()
        for span in spans {
            do {
                markups.append(try MathML.convert(span.tex, display: span.display))
            } catch {
                warnings.append(Diagnostic(.warning, file: file, line: firstLine + span.line, message: "math shown as source: \(error.reason)"))
                let delimiter = span.display ? "$$" : "$"
                markups.append("<code class=\"math\">\(HTMLWriter.escape(delimiter + span.tex + delimiter))</code>")
            }
        }
        let bytes = Array(html.utf8), marker = Array(MathSpans.placeholderPrefix.utf8)
        var output = "", copied = 0, index = 0
        output.reserveCapacity(bytes.count)
        while index + marker.count < bytes.count {
            guard bytes[index] == marker[0], bytes[index..<(index + marker.count)].elementsEqual(marker) else { index += 1; continue }
            var end = index + marker.count, number = 0
            while end < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]), number < markups.count {
                number = number * 10 + Int(bytes[end] - UInt8(ascii: "0"))
                end += 1
            }
            guard end > index + marker.count, end < bytes.count, bytes[end] == UInt8(ascii: "Z"), number < markups.count else {
                index += 1
                continue
            }
            output += String(decoding: bytes[copied..<index], as: UTF8.self) + markups[number]
            index = end + 1
            copied = index
        }
        return output + String(decoding: bytes[copied...], as: UTF8.self)
    }
}
