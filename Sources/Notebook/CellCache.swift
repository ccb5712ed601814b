import Digest
import Foundation
import Report

/// The per-cell cache: `<notebook folder>/.fpgm-cache/<notebook name>/<label>.json`.
///
/// An entry holds the cell's outputs and values under a key: the SHA-256 of the engine version, the
/// directive, its checked arguments and the parameters the cell used. It also records the SHA-256 of
/// every input file the cell read and the key of every earlier cell whose values it read; the entry
/// is reused only when the key and all of those still match, so touching an input, a parameter or an
/// upstream cell re-runs exactly the cells that depend on it. A missing, unreadable or corrupt entry
/// is treated as absent and rewritten; entries are written atomically.
///
/// Digesting a checkpoint costs more than the rest of a cached render, so an entry also keeps each
/// input's settled `FileStamp`: an input whose stamp is unchanged is not read again.
struct CellCache {
    struct Entry: Equatable {
        let key: String
        /// Input file (as the directive named it) to its SHA-256.
        let inputs: [String: String]
        /// Input file to its settled `FileStamp` when the digest was taken (not part of `cellKey`).
        let stamps: [String: String]
        /// Label of an earlier cell read to that cell's key.
        let dependencies: [String: String]
        let values: [(key: String, value: ExportedValue)]
        let outputs: [CellOutput]

        init(key: String, inputs: [String: String], stamps: [String: String] = [:], dependencies: [String: String],
             values: [(key: String, value: ExportedValue)], outputs: [CellOutput]) {
            self.key = key
            self.inputs = inputs
            self.stamps = stamps
            self.dependencies = dependencies
            self.values = values
            self.outputs = outputs
        }

        static func == (lhs: Entry, rhs: Entry) -> Bool { lhs.json == rhs.json }

        /// The entry as written to its file.
        var json: JSONValue {
            .object([
                ("key", .string(key)),
                ("inputs", .object(inputs.keys.sorted().map { ($0, .string(inputs[$0]!)) })),
                ("stamps", .object(stamps.keys.sorted().map { ($0, .string(stamps[$0]!)) })),
                ("dependencies", .object(dependencies.keys.sorted().map { ($0, .string(dependencies[$0]!)) })),
                ("values", .array(values.map { .array(([$0.key] + $0.value.stored).map(JSONValue.string)) })),
                ("outputs", .array(outputs.map(\.json))),
            ])
        }

        /// An entry read back from its file; nil when the file is not one (a corrupt entry).
        init?(json data: Data) {
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                  let key = object["key"] as? String, let inputs = object["inputs"] as? [String: String],
                  let dependencies = object["dependencies"] as? [String: String], let values = object["values"] as? [[String]],
                  let outputValues = object["outputs"] as? [Any] else { return nil }
            let outputs = outputValues.compactMap(CellOutput.init(json:))
            // [key, text, JSON text] (an entry of an older build, [key, text], is not one).
            let exported = values.compactMap { row in row.first.flatMap { key in ExportedValue(stored: Array(row.dropFirst())).map { (key, $0) } } }
            guard outputs.count == outputValues.count, exported.count == values.count else { return nil }
            self.init(key: key, inputs: inputs, stamps: object["stamps"] as? [String: String] ?? [:], dependencies: dependencies,
                      values: exported, outputs: outputs)
        }

        /// The key later cells record when they read this one: everything the result depends on.
        var cellKey: String {
            let text = ([key] + inputs.keys.sorted().map { "\($0)=\(inputs[$0]!)" } + dependencies.keys.sorted().map { "\($0)=\(dependencies[$0]!)" })
                .joined(separator: "\n")
            return SHA256Digest(of: Data(text.utf8)).hex
        }
    }

    let folder: URL

    init(notebookPath: String) {
        let notebook = URL(fileURLWithPath: notebookPath)
        folder = notebook.deletingLastPathComponent().appendingPathComponent(".fpgm-cache")
            .appendingPathComponent(notebook.deletingPathExtension().lastPathComponent)
    }

    /// The primary key of a cell run.
    static func key(engine: String, directive: String, arguments: [String: ArgumentValue], parameters: [(String, YAMLNode)]) -> String {
        var lines = ["engine \(engine)", "directive \(directive)"]
        for name in arguments.keys.sorted() { lines.append("argument \(name)=\(text(arguments[name]!))") }
        for (name, value) in parameters.sorted(by: { $0.0 < $1.0 }) { lines.append("parameter \(name)=\(Parameters.yamlText(value))") }
        return SHA256Digest(of: Data(lines.joined(separator: "\n").utf8)).hex
    }

    static func text(_ value: ArgumentValue) -> String {
        switch value {
        case let .bool(flag): return flag ? "true" : "false"
        case let .integer(number): return String(number)
        case let .number(number): return "\(number)"
        case let .string(text): return Parameters.yamlText(YAMLNode(.string(text), line: 0))
        case let .strings(texts): return "[" + texts.map { text(.string($0)) }.joined(separator: ", ") + "]"
        case let .numbers(numbers): return "[" + numbers.map { "\($0)" }.joined(separator: ", ") + "]"
        }
    }

    /// The entry for a label when it is still valid: same key, same input files (same stamp, or same
    /// digest), same upstream keys.
    func valid(label: String, key: String, cellKeys: [String: String], folder notebookFolder: URL) -> Entry? {
        guard let data = FileManager.default.contents(atPath: file(label).path),
              let entry = Entry(json: data), entry.key == key else { return nil }
        for (label, recorded) in entry.dependencies where cellKeys[label] != recorded { return nil }
        var stamps = entry.stamps
        for (path, recorded) in entry.inputs {
            let resolved = CellContext.resolve(path, in: notebookFolder)
            if let stamp = entry.stamps[path], FileStamp(path: resolved)?.description == stamp { continue }
            let fingerprint = Self.fingerprint(of: resolved)
            guard fingerprint.digest == recorded else { return nil }
            stamps[path] = fingerprint.stamp
        }
        guard stamps != entry.stamps else { return entry }
        // Same contents under a new stamp (a touched or copied file): record the stamp, so that the next
        // render need not digest the file again.
        let refreshed = Entry(key: entry.key, inputs: entry.inputs, stamps: stamps, dependencies: entry.dependencies,
                              values: entry.values, outputs: entry.outputs)
        store(refreshed, label: label)
        return refreshed
    }

    /// The SHA-256 of an input file, and its stamp when the stamp is settled and did not change while
    /// the file was digested (nil otherwise: such a file is digested again next time).
    static func fingerprint(of path: String) -> (digest: String?, stamp: String?) {
        let before = FileStamp(path: path)
        let digest = try? SHA256Digest.memoized(fileAt: path).hex
        guard let before, before.settled(), FileStamp(path: path) == before else { return (digest, nil) }
        return (digest, before.description)
    }

    /// Writes an entry atomically; a cache that cannot be written is skipped, never fatal.
    func store(_ entry: Entry, label: String) {
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try? Data(entry.json.text().utf8).write(to: file(label), options: .atomic)
    }

    private func file(_ label: String) -> URL { folder.appendingPathComponent("\(label).json") }
}
