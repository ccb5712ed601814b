import Foundation

/// `fpgm preview` on the paper notebook with its cells cached: the time from saving an edit of its
/// prose to the preview saying it has rendered again (it has then changed the version that the open
/// page asks for every 200 ms, and the page it reloads is the new one).
enum PreviewBenchmark {
    static let edits = 5

    static func run() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let notebook = folder.appendingPathComponent("fpgm-paper.md")
        let original = try String(contentsOf: packageRoot.appendingPathComponent("notebooks/fpgm-paper.md"), encoding: .utf8)
        try Data(original.utf8).write(to: notebook)
        let fpgm = try fpgmBinary()
        print("preview: filling the cache of the paper notebook (one cold render)")
        try spawnQuietly(fpgm, ["render", notebook.path, "-o", folder.appendingPathComponent("warm").path, "--quiet"])

        let process = Process(), output = Pipe()
        process.executableURL = URL(fileURLWithPath: fpgm)
        process.arguments = ["preview", notebook.path, "--port", "0", "-o", folder.appendingPathComponent("site").path]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { process.terminate(); process.waitUntilExit() }
        var printed = ""
        while !printed.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw BenchmarkFailure(description: "fpgm preview stopped: \(printed)") }
            printed += String(decoding: chunk, as: UTF8.self)
        }
        guard printed.contains("serving http://127.0.0.1:") else { throw BenchmarkFailure(description: "fpgm preview printed no address: \(printed)") }
        let page = folder.appendingPathComponent("site/fpgm-paper.html")
        var seconds = [Double]()
        for edit in 1...edits {
            let marker = "Edit number \(edit) of the benchmark."
            try Data(original.replacingOccurrences(of: "\n## ", with: "\n\(marker)\n\n## ", options: [], range: original.range(of: "\n## ")).utf8).write(to: notebook)
            let saved = DispatchTime.now().uptimeNanoseconds
            var said = ""
            while !said.contains("rendered again") {
                let chunk = output.fileHandleForReading.availableData
                guard !chunk.isEmpty else { throw BenchmarkFailure(description: "fpgm preview stopped") }
                said += String(decoding: chunk, as: UTF8.self)
            }
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - saved) / 1e9)
            // Check: the page now served holds the edit.
            guard try String(contentsOf: page, encoding: .utf8).contains(marker) else { throw BenchmarkFailure(description: "the new page lacks the edit") }
        }
        let sorted = seconds.sorted()
        print(String(format: "save to new page (%d edits, cells cached): min %.3f s, median %.3f s, max %.3f s (goal: under 0.3 s)",
                     edits, sorted.first!, sorted[sorted.count / 2], sorted.last!))
    }
}
