import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The HTTP server of `fpgm preview`: GET and HEAD of the files under one folder, on 127.0.0.1 only
/// (never another interface), one thread per connection, one request per connection. A path that
/// leaves the folder (`..`, a symbolic link out of it) is answered 404 like a missing file, so that
/// nothing outside is read or shown. HTML pages get the few lines of script that reload them when
/// `version` differs from the one they were served at (the files on disk stay script-free); `/__fpgm/version` answers the version, and
/// while the pages are being written anew it waits for them, so that a page never reloads half a render.
/// The socket calls live in this file alone.
final class PreviewServer: @unchecked Sendable {
    let folder: URL
    let port: UInt16
    private let socket: Int32
    private let changed = NSCondition()
    private var currentVersion = 0
    private var rendering = false

    /// The page a request for "/" gets ("index.html" for a site, the notebook's page for one file).
    let home: String

    /// Called with the page's path under the folder each time an HTML page is served.
    private let onPageServed: @Sendable (String) -> Void

    static let versionPath = "/__fpgm/version"

    /// The script added to each HTML page served at `version`: it asks for the version every 200 ms and
    /// reloads the page when it differs, so that a render that ends before the first request is seen too.
    static func reloadScript(version: Int) -> String {
        """
        <script>(function () { var seen = "\(version)"; function poll() { fetch("\(versionPath)").then(function (r) { return r.text(); }).then(function (v) {
          if (v !== seen) { location.reload(); return; } setTimeout(poll, 200); }, function () { setTimeout(poll, 1000); }); } poll(); })();</script>

        """
    }

    /// Listens on 127.0.0.1:`port` (0: a free port, which `port` then holds).
    init(folder: URL, port requested: UInt16, home: String, onPageServed: @escaping @Sendable (String) -> Void) throws(CommandLineError) {
        self.folder = folder.standardizedFileURL.resolvingSymlinksInPath()
        self.home = home
        self.onPageServed = onPageServed
        let descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw .failure("preview: cannot open a socket (\(String(cString: strerror(errno))))") }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = requested.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(descriptor, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw .failure("preview: cannot listen on 127.0.0.1:\(requested) (\(reason)); choose another port with --port")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        socket = descriptor
        port = UInt16(bigEndian: address.sin_port)
    }

    /// The longest a version request waits for a render to end.
    static let renderWaitSeconds = 60.0

    /// A render has begun: version requests wait until `endRender`.
    func beginRender() { changed.withLock { rendering = true } }

    /// The render has ended; the version changes when it wrote the pages anew.
    func endRender(wrotePages: Bool) {
        changed.withLock {
            rendering = false
            if wrotePages { currentVersion += 1 }
            changed.broadcast()
        }
    }

    /// The number that changes each time the pages are written anew, once no render is under way (or
    /// after `renderWaitSeconds` of one).
    var version: Int {
        let deadline = Date(timeIntervalSinceNow: PreviewServer.renderWaitSeconds)
        return changed.withLock {
            while rendering, changed.wait(until: deadline) {}
            return currentVersion
        }
    }

    /// Accepts connections on a thread of their own until the process ends.
    func start() {
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(socket, nil, nil)
                guard connection >= 0 else { continue }
                Thread.detachNewThread { [self] in respond(on: connection) }
            }
        }
    }

    private func respond(on connection: Int32) {
        defer { close(connection) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // The request line and headers, up to 16 KiB.
        var request = [UInt8](), buffer = [UInt8](repeating: 0, count: 4096)
        while request.count < 16_384, !request.ends(with: [13, 10, 13, 10]) && !request.ends(with: [10, 10]) {
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            request += buffer[..<count]
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        guard line.count >= 2, line[0] == "GET" || line[0] == "HEAD" else {
            return send(connection, status: "405 Method Not Allowed", type: "text/plain; charset=utf-8", body: Data("Only GET and HEAD are served.\n".utf8), head: false)
        }
        let (status, type, body) = answer(String(line[1]))
        send(connection, status: status, type: type, body: body, head: line[0] == "HEAD")
    }

    /// The status, content type and body for a request path.
    func answer(_ target: String) -> (String, String, Data) {
        let path = String(target.prefix { $0 != "?" && $0 != "#" })
        if path == PreviewServer.versionPath { return ("200 OK", "text/plain; charset=utf-8", Data(String(version).utf8)) }
        let notFound = ("404 Not Found", "text/plain; charset=utf-8", Data("Not found: \(path) is not a page of this preview.\n".utf8))
        guard let decoded = path.removingPercentEncoding, decoded.hasPrefix("/"), !decoded.contains("\0"),
              !decoded.split(separator: "/").contains("..") else { return notFound }
        var file = folder.appendingPathComponent(decoded == "/" ? home : String(decoded.dropFirst())).standardizedFileURL
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: file.path, isDirectory: &isFolder), isFolder.boolValue { file.appendPathComponent("index.html") }
        let resolved = file.resolvingSymlinksInPath().path
        // The version is read first: it waits for a render under way, so that what is served is at least that version.
        let servedVersion = version
        guard resolved.hasPrefix(folder.path + "/"), let data = FileManager.default.contents(atPath: resolved) else { return notFound }
        switch file.pathExtension {
        case "html":
            var page = String(decoding: data, as: UTF8.self)
            if let end = page.range(of: "</body>", options: .backwards) {
                page.insert(contentsOf: PreviewServer.reloadScript(version: servedVersion), at: end.lowerBound)
            }
            onPageServed(String(resolved.dropFirst(folder.path.count + 1)))
            return ("200 OK", "text/html; charset=utf-8", Data(page.utf8))
        case "svg": return ("200 OK", "image/svg+xml", data)
        case "png": return ("200 OK", "image/png", data)
        case "jpg", "jpeg": return ("200 OK", "image/jpeg", data)
        case "json", "ipynb": return ("200 OK", "application/json", data)
        case "md", "txt": return ("200 OK", "text/plain; charset=utf-8", data)
        default: return ("200 OK", "application/octet-stream", data)
        }
    }

    private func send(_ connection: Int32, status: String, type: String, body: Data, head: Bool) {
        let header = "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
        var bytes = Data(header.utf8)
        if !head { bytes += body }
        bytes.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let count = Glibc.send(connection, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                guard count > 0 else { return }
                sent += count
            }
        }
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
