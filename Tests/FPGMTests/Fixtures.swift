import Testing
import Foundation
@testable import FPGM

/// Files under Tests/Fixtures, written by Tools/make_fixtures.py.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ relative: String) -> String {
        root.appendingPathComponent(relative).path
    }

    static func json(_ relative: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent(relative)))
    }
}

/// |a - b| <= tolerance * max(|a|, |b|, tiny).
func relativelyClose(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool {
    abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-300)
}

/// Reads `path`, which must be refused with one sentence naming it; returns that sentence (recording an
/// issue when the file was read).
@discardableResult
func refusal(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    do {
        _ = try Checkpoint.read(path: path)
        Issue.record("\(path) was read", sourceLocation: sourceLocation)
        return ""
    } catch {
        #expect(error.file == path, sourceLocation: sourceLocation)
        #expect(!error.problem.isEmpty && !error.problem.contains("\n"), sourceLocation: sourceLocation)
        return error.description
    }
}
