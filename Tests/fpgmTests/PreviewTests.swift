import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

@Suite("fpgm preview")
struct PreviewTests {
    /// GET of a URL on the preview's port: the status and the body.
    static func get(_ port: Int, _ path: String) throws -> (status: Int, body: String) {
        let url = try #require(URL(string: "http://127.0.0.1:\(port)\(path)"))
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Int, String) = (0, "")
        URLSession.shared.dataTask(with: url) { data, response, _ in
            result = ((response as? HTTPURLResponse)?.statusCode ?? 0, data.map { String(decoding: $0, as: UTF8.self) } ?? "")
            done.signal()
        }.resume()
        #expect(done.wait(timeout: .now() + 10) == .success)
        return result
    }

    @Test("serves the site on 127.0.0.1 with a reload script (the files stay script-free), nothing outside it, renders an edit again within seconds, and stops cleanly on Ctrl-C")
    func preview() throws {
        let root = try scratchFolder("fpgm-preview-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let project = root.appendingPathComponent("project"), site = root.appendingPathComponent("site")
        try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
        try Data("# Hello\n\nFirst version.\n".utf8).write(to: project.appendingPathComponent("a.md"))
        try Data("# Other\n\nSee [the first](a.md).\n".utf8).write(to: project.appendingPathComponent("b.md"))
        try Data("outside".utf8).write(to: root.appendingPathComponent("secret.txt"))

        let process = Process(), output = Pipe()
        process.executableURL = FPGMProcess.binary
        process.arguments = ["preview", project.path, "--port", "0", "-o", site.path]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // The first line names the port.
        var printed = ""
        while !printed.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            printed += String(decoding: chunk, as: UTF8.self)
        }
        let port = try #require(printed.firstMatch(of: /serving http:\/\/127\.0\.0\.1:(\d+)\//).flatMap { Int($0.output.1) })

        let home = try Self.get(port, "/")
        #expect(home.status == 200 && home.body.contains("<nav class=\"site\">") && home.body.contains("fetch(\"/__fpgm/version\")"))
        let other = try Self.get(port, "/b.html")
        #expect(other.body.contains("<a href=\"a.html\">the first</a>"))
        #expect(!(try String(contentsOf: site.appendingPathComponent("b.html"), encoding: .utf8)).contains("<script"))
        for outside in ["/%2e%2e/secret.txt", "/..%2Fsecret.txt", "/%2e%2e/%2e%2e/etc/passwd"] {
            let refused = try Self.get(port, outside)
            #expect(refused.status == 404 && !refused.body.contains("outside") && !refused.body.contains("root:"), "\(outside)")
        }

        let before = try Self.get(port, "/__fpgm/version").body
        try Data("# Hello\n\nSecond version.\n".utf8).write(to: project.appendingPathComponent("a.md"))
        let saved = Date()
        while try Self.get(port, "/__fpgm/version").body == before, Date().timeIntervalSince(saved) < 10 { usleep(20_000) }
        #expect(Date().timeIntervalSince(saved) < 10, "the edit was not rendered again")
        #expect(try Self.get(port, "/a.html").body.contains("Second version."))

        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).hasSuffix("preview stopped\n"))
    }
}
