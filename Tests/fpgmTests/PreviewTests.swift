import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

@Suite("fpgm preview")
struct PreviewTests {
    /// GET of a path on a port of 127.0.0.1 over a plain socket (URLSession's callbacks run on dispatch
    /// threads, which the parallel test suite can keep busy past any timeout): the status and the body.
    static func get(_ port: Int, _ path: String) throws -> (status: Int, body: String) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        try #require(connected == 0)
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        try #require(send(descriptor, request, request.count, 0) == request.count)
        // Read until the server closes the connection or the body has its Content-Length (a server may keep
        // the connection open).
        var response = [UInt8](), buffer = [UInt8](repeating: 0, count: 65_536)
        func complete() -> Bool {
            guard let end = response.firstRange(of: Array("\r\n\r\n".utf8)) else { return false }
            let header = String(decoding: response[..<end.lowerBound], as: UTF8.self).lowercased()
            guard let length = header.firstMatch(of: /content-length: *(\d+)/).flatMap({ Int($0.output.1) }) else { return false }
            return response.count - end.upperBound >= length
        }
        while !complete() {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response += buffer[..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
        return (status, text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? "")
    }

    /// What a running `fpgm preview` has printed up to its first line, which names the address, and the port.
    static func address(_ output: Pipe) throws -> (said: String, port: Int) {
        var said = ""
        while !said.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            said += String(decoding: chunk, as: UTF8.self)
        }
        return (said, try #require(said.firstMatch(of: /serving http:\/\/127\.0\.0\.1:(\d+)\//).flatMap { Int($0.output.1) }))
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
        let (_, port) = try Self.address(output)

        let home = try Self.get(port, "/")
        #expect(home.status == 200 && home.body.contains("<nav class=\"site\">") && home.body.contains("fetch(\"/__fpgm/version\")"))
        let other = try Self.get(port, "/b.html")
        #expect(other.body.contains("<a href=\"a.html\">the first</a>"))
        #expect(!(try String(contentsOf: site.appendingPathComponent("b.html"), encoding: .utf8)).contains("<script"))
        for outside in ["/%2e%2e/secret.txt", "/..%2Fsecret.txt", "/%2e%2e/%2e%2e/etc/passwd"] {
            let refused = try Self.get(port, outside)
            #expect(refused.status == 404 && !refused.body.contains("outside") && !refused.body.contains("root:"), "\(outside)")
        }

        // Once the version has changed, the page it names is the new one (a version request made during the
        // render waits for its end).
        let before = try Self.get(port, "/__fpgm/version").body
        #expect(home.body.contains("var seen = \"\(before)\""), "the page names the version it was served at")
        try Data("# Hello\n\nSecond version.\n".utf8).write(to: project.appendingPathComponent("a.md"))
        let saved = Date()
        while try Self.get(port, "/__fpgm/version").body == before, Date().timeIntervalSince(saved) < 10 { usleep(20_000) }
        #expect(Date().timeIntervalSince(saved) < 10, "the edit was not rendered again")
        #expect(try Self.get(port, "/a.html").body.contains("Second version."))

        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(said.contains("served index.html\n") && said.contains("served b.html\n") && said.hasSuffix("preview stopped\n"), "\(said)")
    }
}
