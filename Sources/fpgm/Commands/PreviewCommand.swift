import Analyses
import Foundation
import Notebook

/// `fpgm preview`: renders a notebook or a folder of notebooks (as `render` does, with the cache), serves
/// the pages on 127.0.0.1, renders again whenever a file changes, and the open page reloads by itself.
enum PreviewCommand {
    static let port = OptionSpec.value("--port", "port", help: "The port on 127.0.0.1 (0: any free port).", default: "4000")
    static let output = OptionSpec.value("-o", "dir", help: "The folder the pages are written to (default: a temporary folder, removed when the preview stops).")

    static let spec = CommandSpec(
        name: "preview",
        overview: "Serve a notebook or a folder of notebooks on 127.0.0.1, render again what changes, and reload the open page.",
        arguments: [("path", "A notebook, or a folder rendered as a site (default: the current folder).")],
        options: [
            Self.port,
            Self.output,
        ],
        usage: "[<path>] [--port <port>] [-o <dir>]")

    static func run(_ words: [String]) throws(CommandLineError) -> String {
        let arguments = try spec.parse(words)
        let path = arguments.positionals.first ?? "."
        guard let port = UInt16(arguments.value(Self.port) ?? "4000") else {
            throw spec.usage("The value '\(arguments.given(Self.port) ?? "")' is invalid for '--port <port>': give a port from 0 to 65535.")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw .input("\(path): no such file or folder") }
        let temporary = arguments.given(Self.output) == nil
        let output = arguments.given(Self.output) ?? FileManager.default.temporaryDirectory.appendingPathComponent("fpgm-preview-\(getpid())").path
        let settings = RenderCommand.Settings(output: output, formats: ["html"], assignments: [], parametersFile: nil,
                                              keepGoing: true, useCache: true, quiet: true, summary: false)
        let runner = Runner(directives: Directives.all, engineVersion: RenderCommand.buildIdentity)
        /// Renders everything (cached cells are not run again); a failure is printed and the pages of the
        /// last render stay served.
        func render() -> Bool {
            do {
                if isFolder.boolValue {
                    _ = try RenderCommand.renderSite(Site(folder: path, output: output), runner: runner, settings: settings)
                } else {
                    let notebook = try NumberedNotebook(path)
                    _ = try RenderCommand.render(notebook.notebook, runner: runner, settings: settings, into: output,
                                                 numbered: NumberedNotebook.byKey([notebook]))
                }
                return true
            } catch {
                _ = report(error)
                return false
            }
        }
        _ = render()
        let home = isFolder.boolValue ? "index.html" : URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent + ".html"
        do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch { throw .input("\(output): cannot be created") }
        let server = try PreviewServer(folder: URL(fileURLWithPath: output), port: port, home: home) { page in
            FileHandle.standardOutput.write(Data("served \(page)\n".utf8))
        }
        server.start()
        stopOnSignals { if temporary { try? FileManager.default.removeItem(atPath: output) } }
        // The files are stamped before the address is printed, so that a save made after it is always seen.
        let outputPath = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath().path
        var seen = stamps(of: path, skipping: outputPath)
        FileHandle.standardOutput.write(Data("serving http://127.0.0.1:\(server.port)/ (\(path)); Ctrl-C stops\n".utf8))
        while true {
            usleep(50_000)
            let now = stamps(of: path, skipping: outputPath)
            guard now != seen else { continue }
            seen = now
            let start = DispatchTime.now().uptimeNanoseconds
            server.beginRender()
            let rendered = render()
            server.endRender(wrotePages: rendered)
            if rendered {
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                FileHandle.standardOutput.write(Data(String(format: "rendered again in %.2f s\n", seconds).utf8))
            }
        }
    }

    /// On Ctrl-C (or SIGTERM): `cleanUp`, a last line, and exit 0.
    static func stopOnSignals(_ cleanUp: @escaping @Sendable () -> Void) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                cleanUp()
                FileHandle.standardOutput.write(Data("preview stopped\n".utf8))
                exit(0)
            }
            source.resume()
            signalSources.append(source)
        }
    }

    nonisolated(unsafe) static var signalSources = [any DispatchSourceSignal]()

    /// Each file's modification time and size: the notebook itself, or every file under the folder that
    /// is not hidden, outside the output folder.
    static func stamps(of path: String, skipping output: String) -> [String: String] {
        func stamp(_ file: String) -> String? {
            var status = stat()
            guard lstat(file, &status) == 0 else { return nil }
            return "\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec) \(status.st_size)"
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else { return [path: stamp(path) ?? ""] }
        var stamps = [String: String]()
        let root = URL(fileURLWithPath: path)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles]) else { return [:] }
        for case let url as URL in walker {
            if url.standardizedFileURL.resolvingSymlinksInPath().path == output { walker.skipDescendants(); continue }
            stamps[url.path] = stamp(url.path)
        }
        return stamps
    }
}
