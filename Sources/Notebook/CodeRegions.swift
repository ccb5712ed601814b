/// The parts of Markdown prose that are code, where nothing of the notebook's own syntax (math,
/// `{{...}}` values, `@tbl-x` references) applies: fenced code blocks (a line of at least three
/// backticks or tildes, indented by at most three spaces, up to a line of at least as many of the same
/// character, or the end of the prose) and code spans (a run of backticks up to the next run of the
/// same length; an unmatched run is text). Offsets count `Character`s of the prose.
struct CodeRegions {
    private var ends: [Int: Int] = [:]

    init(_ characters: [Character]) {
        var index = 0, fence: (character: Character, length: Int, start: Int)?
        while index < characters.count {
            let lineEnd = characters.lineEnd(from: index)
            if let open = fence {
                if let close = Self.fenceRun(characters, index, lineEnd), close.character == open.character, close.length >= open.length,
                   characters[(index + close.indent + close.length)..<lineEnd].allSatisfy(\.isWhitespace) {
                    ends[open.start] = lineEnd
                    fence = nil
                }
                index = lineEnd
                continue
            }
            if let run = Self.fenceRun(characters, index, lineEnd), run.character == "~" || !characters[(index + run.indent + run.length)..<lineEnd].contains("`") {
                fence = (run.character, run.length, index)
                index = lineEnd
                continue
            }
            // Code spans from here to the end of the line (a span may go on over the next lines of its
            // paragraph; then to the end of the line where it closes).
            var position = index
            while position < characters.count, !characters[position].isNewline {
                if characters[position] == "\\" { position += position + 1 < characters.count && !characters[position + 1].isNewline ? 2 : 1; continue }
                guard characters[position] == "`" else { position += 1; continue }
                let run = Self.backticks(characters, position)
                if let close = Self.closingRun(characters, length: run, from: position + run) {
                    ends[position] = close + run
                    position = close + run
                } else {
                    position += run
                }
            }
            index = position + 1
        }
        if let open = fence { ends[open.start] = characters.count }
    }

    /// The end of the code that starts at `offset`, if any does.
    func end(ofCodeAt offset: Int) -> Int? { ends[offset] }

    /// A fence at the start of the line [start, end): up to three spaces, then three or more backticks or
    /// tildes.
    private static func fenceRun(_ characters: [Character], _ start: Int, _ end: Int) -> (character: Character, length: Int, indent: Int)? {
        var indent = 0
        while indent < 3, start + indent < end, characters[start + indent] == " " { indent += 1 }
        guard start + indent < end, characters[start + indent] == "`" || characters[start + indent] == "~" else { return nil }
        let character = characters[start + indent]
        var length = 0
        while start + indent + length < end, characters[start + indent + length] == character { length += 1 }
        return length >= 3 ? (character, length, indent) : nil
    }

    /// How many backticks start at `index`.
    private static func backticks(_ characters: [Character], _ index: Int) -> Int {
        var run = 0
        while index + run < characters.count, characters[index + run] == "`" { run += 1 }
        return run
    }

    /// The start of the next run of exactly `length` backticks at or after `from`, before a blank line.
    private static func closingRun(_ characters: [Character], length: Int, from: Int) -> Int? {
        var index = from
        while index < characters.count {
            if characters[index] == "`" {
                let run = backticks(characters, index)
                if run == length { return index }
                index += run
                continue
            }
            if characters[index].isNewline, characters.blankLineFollows(index) { return nil }
            index += 1
        }
        return nil
    }
}

/// Lines of prose text, as its scanners (`CodeRegions`, `MathSpans`, `Footnotes`) walk them.
extension Array where Element == Character {
    /// The position after the line break that ends the line holding `index` (the end, on the last line).
    func lineEnd(from index: Int) -> Int { self[index...].firstIndex(where: \.isNewline).map { $0 + 1 } ?? count }

    /// Whether the line after the line break at `newline` is blank (nothing but spaces and tabs before
    /// its own line break), which ends a paragraph.
    func blankLineFollows(_ newline: Int) -> Bool {
        var next = newline + 1
        while next < count, self[next] == " " || self[next] == "\t" { next += 1 }
        return next < count && self[next].isNewline
    }
}
