import Analyses
import Digest
import FPGM
import Foundation
import Notebook
import Report

/// `fpgm render`: runs notebooks and writes their HTML, Markdown and JSON reports.
enum RenderCommand {
    /// The formats a report can be written in, and those written unless told otherwise.
    static let formats = FrontMatterSettings.formats, defaultFormats = FrontMatterSettings.defaultFormats

    static let output = OptionSpec.value("-o", "dir", help: "The folder the reports are written to.", default: "output")
    static let to = OptionSpec.value("--to", "formats", help: "Comma-separated formats to write: html, md, json, ipynb (a Jupyter notebook); default: the front matter's 'output', else html, md and json.")
    static let parameter = OptionSpec.value("-p", "key=value", help: "Set a parameter (typed as YAML: true, 56, 0.4, [0.3, 0.4], text); overrides --params and the front matter.", repeatable: true)
    static let params = OptionSpec.value("--params", "file", help: "A YAML file of parameters; overrides the front matter.")
    static let noCache = OptionSpec.flag("--no-cache", help: "Run every cell, neither reading nor writing the cache (.fpgm-cache next to the notebook).")
    static let keepGoing = OptionSpec.flag("--keep-going", help: "Run every cell even after one fails, and in a folder every notebook even after one cannot be rendered.")
    static let quiet = OptionSpec.flag("--quiet", help: "Print no progress and no summary line per report.")
    static let strict = OptionSpec.flag("--strict", help: "Treat every warning (undeclared or unused parameters, math shown as source, allowed errors) as an error: exit 2 once the reports are written.")

    static let spec = CommandSpec(
        name: "render",
        overview: "Run Markdown notebooks and write their reports (HTML, Markdown, JSON).",
        arguments: [("path", "Notebook files (Markdown with ```fpgm cells), or one folder: every notebook under it as a site, with an index page and the same navigation on every page (fpgm.yml in the folder may set its title, order and exclude).")],
        options: [
            Self.output,
            Self.to,
            Self.parameter,
            Self.params,
            Self.noCache,
            Self.keepGoing,
            Self.quiet,
            Self.strict,
        ],
        usage: "<path> ... [-o <dir>] [--to <formats>] [-p <key=value>] ... [--params <file>] [--no-cache] [--keep-going] [--quiet] [--strict]",
        variadic: true)

    /// What cached cell results are keyed on besides their inputs: the version and the SHA-256 of the
    /// running executable (which holds all of the tool's code), so that a new build never serves what an
    /// older one computed or drew. Computed on first use, once per process (about 5 ms for a 7 MB
    /// executable), so that other subcommands never pay for it.
    static let buildIdentity: String = {
        let executable = Bundle.main.executablePath ?? CommandLine.arguments[0]
        return (try? SHA256Digest(fileAt: executable)).map { "\(version)+\($0.hex)" } ?? version
    }()

    /// What one render applies to every notebook it renders.
    struct Settings {
        let output: String
        let formats: [String]?
        let assignments: [String]
        let parametersFile: (path: String, node: YAMLNode)?
        let keepGoing, useCache, quiet, summary: Bool
    }

    static func run(_ words: [String]) throws(CommandLineError) -> String {
        let arguments = try spec.parse(words)
        guard !arguments.positionals.isEmpty else { throw spec.usage("Missing expected argument '<path>'") }
        let output = arguments.value(Self.output) ?? "output"
        let requested = arguments.given(Self.to).map { $0.split(separator: ",").map(String.init) }
        if let unknown = requested?.first(where: { !Self.formats.contains($0) }) {
            throw spec.usage("The value '\(unknown)' is invalid for '--to <formats>'. Please provide some of 'html', 'md', 'json', 'ipynb'.")
        }
        let settings = Settings(output: output, formats: requested, assignments: arguments.list(Self.parameter),
                                parametersFile: try arguments.given(Self.params).map { path throws(CommandLineError) in (path, try parametersFile(path)) },
                                keepGoing: arguments.has(Self.keepGoing), useCache: !arguments.has(Self.noCache),
                                quiet: arguments.has(Self.quiet) || isatty(2) == 0, summary: !arguments.has(Self.quiet))
        let runner = Runner(directives: Directives.all, engineVersion: buildIdentity)
        var failed = false, warnings = 0
        let folders = arguments.positionals.filter { path in var isFolder: ObjCBool = false; return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue }
        if let folder = folders.first {
            guard arguments.positionals.count == 1 else { throw spec.usage("Give one folder (rendered as a site) or notebook files, not both") }
            (failed, warnings) = try renderSite(Site(folder: folder, output: output), runner: runner, settings: settings)
        } else {
            var writers = [String: String]()
            for path in arguments.positionals {
                let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
                if let other = writers[name] {
                    throw spec.usage("'\(other)' and '\(path)' would both write the report '\(name)' in '\(output)'; render their folder (fpgm render DIR) to keep the folders apart")
                }
                writers[name] = path
            }
            let notebooks = try NumberedNotebook.reading(arguments.positionals), numbered = NumberedNotebook.byKey(notebooks)
            for notebook in notebooks {
                let result = try render(notebook.notebook, runner: runner, settings: settings, into: output, numbered: numbered)
                failed = failed || result.failed
                warnings += result.warnings
            }
        }
        if failed { throw .failure("a cell failed; the report shows the error where the cell stood") }
        if warnings > 0, arguments.has(Self.strict) {
            throw .notebook("\(warnings) warning\(warnings == 1 ? "" : "s"), which --strict makes errors")
        }
        return ""
    }

    /// Renders every page of `site`, then its generated index when the folder has no `index.md`. With
    /// `keepGoing`, a notebook that cannot be rendered is reported and the others are rendered; the exit
    /// code is then the worst of them.
    static func renderSite(_ site: Site, runner: Runner, settings: Settings) throws(CommandLineError) -> (failed: Bool, warnings: Int) {
        var failed = false, warnings = 0, worst: CommandLineError?
        for page in site.pages {
            do {
                let result = try render(page.numbered.notebook, runner: runner, settings: settings,
                                        into: (settings.output as NSString).appendingPathComponent(page.folder), numbered: site.numbered, site: (site, page))
                failed = failed || result.failed
                warnings += result.warnings
            } catch {
                guard settings.keepGoing else { throw error }
                _ = report(error)
                if error.exitCode > (worst?.exitCode ?? 0) { worst = error }
            }
        }
        let formats = (settings.formats ?? defaultFormats).filter { $0 == "html" || $0 == "md" }
        if !site.hasIndex, !formats.isEmpty {
            var files = [(path: String, contents: String)]()
            if formats.contains("html") { files.append(("index.html", HTMLWriter.write(site.index, navigation: site.navigation(for: nil)))) }
            if formats.contains("md") { files.append(("index.md", MarkdownWriter.write(site.index, filesFolder: "index_files").text)) }
            try writeAtomically(files, into: settings.output)
            if settings.summary { FileHandle.standardOutput.write(Data("wrote \(files.map { (settings.output as NSString).appendingPathComponent($0.path) }.joined(separator: ", ")): the index of \(site.pages.count) pages\n".utf8)) }
        }
        if let worst {
            switch worst {
            case .input: throw .input("some notebooks could not be rendered (above); the others were")
            case .failure: failed = true
            default: throw .notebook("some notebooks could not be rendered (above); the others were")
            }
        }
        return (failed, warnings)
    }

    /// Renders one notebook into `folder`; in a site, with the site's navigation, its links between
    /// notebooks made links between pages, and the local files it links to copied. Prints its
    /// diagnostics and its summary line; returns whether a cell failed and how many warnings it had.
    /// `numbered`: the notebooks rendered with this one, which `@other.md#tbl-x` may name.
    static func render(_ notebook: Notebook, runner: Runner, settings: Settings, into folder: String, numbered: [String: NumberedNotebook],
                       site: (site: Site, page: Site.Page)? = nil) throws(CommandLineError) -> (failed: Bool, warnings: Int) {
        let start = DispatchTime.now().uptimeNanoseconds, path = notebook.path
        var parameters: Parameters
        do throws(Diagnostic) {
            parameters = try Parameters(frontMatter: notebook.frontMatter, file: path)
            if let (name, node) = settings.parametersFile { try parameters.merge(node, file: name) }
            for assignment in settings.assignments { try parameters.assign(assignment) }
        } catch { throw .notebook(error.description) }
        let frontMatter: FrontMatterSettings
        do { frontMatter = try FrontMatterSettings(notebook) } catch { throw .notebook(error.description) }
        var outcome: RenderOutcome
        let progress: ((CellProgress) -> Void)? = settings.quiet ? nil : { showProgress($0) }
        do {
            outcome = try runner.render(notebook, parameters: parameters, keepGoing: settings.keepGoing, useCache: settings.useCache && frontMatter.cache,
                                        otherNotebooks: NumberedNotebook.references(among: numbered, from: path), progress: progress)
        } catch { throw .notebook(error.description) }
        var messages = outcome.diagnostics.map(\.description), warnings = outcome.diagnostics.filter { $0.severity == .warning }.count
        var navigation: SiteNavigation?
        if let (site, page) = site {
            let linked = site.linking(outcome.document, of: page)
            outcome.document = linked.document
            for file in linked.files { try site.copy(file, to: settings.output) }
            messages += linked.warnings.map { "warning: " + $0 }
            warnings += linked.warnings.count
            navigation = site.navigation(for: page)
        }
        for message in messages { FileHandle.standardError.write(Data((message + "\n").utf8)) }
        let reports = try write(outcome, notebook: notebook, to: folder, formats: settings.formats ?? frontMatter.formats, navigation: navigation)
        if settings.summary {
            let cells = outcome.records.count, cached = outcome.records.filter { $0.status == .cached }.count
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let line = "wrote \(reports.joined(separator: ", ")): \(cells) cell\(cells == 1 ? "" : "s"), \(cached) cached, "
                + String(format: "%.2f s\n", seconds)
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        return (outcome.failed, warnings)
    }

    /// On the terminal (standard error): a cell's line while it runs, replaced by its line when it is done.
    static func showProgress(_ progress: CellProgress) {
        let clear = "\r\u{1B}[K"
        switch progress {
        case let .running(line): FileHandle.standardError.write(Data((clear + line + "...").utf8))
        case let .done(line): FileHandle.standardError.write(Data((clear + line + "\n").utf8))
        }
    }

    static func read(_ path: String) throws(CommandLineError) -> Notebook {
        guard let data = FileManager.default.contents(atPath: path) else { throw .input("\(path): no such file, or it cannot be read") }
        guard let text = String(data: data, encoding: .utf8) else { throw .input("\(path): is not valid UTF-8 text") }
        do { return try Notebook(path: path, text: text) } catch { throw .notebook(error.description) }
    }

    static func parametersFile(_ path: String) throws(CommandLineError) -> YAMLNode {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw .input("\(path): no such file, or it cannot be read as text")
        }
        do { return try YAML.parse(text) } catch { throw .notebook("\(path):\(error.line):\(error.column): error: \(error.message)") }
    }

    /// Writes the chosen formats atomically (temporary file, then rename) into `folder`; returns the
    /// reports' paths (not their figure files).
    static func write(_ outcome: RenderOutcome, notebook: Notebook, to folder: String, formats: [String],
                      navigation: SiteNavigation? = nil) throws(CommandLineError) -> [String] {
        let name = URL(fileURLWithPath: notebook.path).deletingPathExtension().lastPathComponent
        let base = URL(fileURLWithPath: folder)
        var files = [(path: String, contents: String)]()
        if formats.contains("html") { files.append(("\(name).html", HTMLWriter.write(outcome.document, navigation: navigation))) }
        if formats.contains("md") {
            let markdown = MarkdownWriter.write(outcome.document, filesFolder: "\(name)_files")
            files.append(("\(name).md", markdown.text))
            files += markdown.files
        }
        if formats.contains("json") { files.append(("\(name).json", ReportJSON.text(outcome, notebook: notebook))) }
        if formats.contains("ipynb") {
            let values = Dictionary(outcome.records.map { ($0.label, $0.valuesJSON) }, uniquingKeysWith: { first, _ in first })
            files.append(("\(name).ipynb", JupyterWriter.write(outcome.document, values: values)))
        }
        let source = URL(fileURLWithPath: notebook.path).standardizedFileURL.resolvingSymlinksInPath().path
        for file in files where base.appendingPathComponent(file.path).standardizedFileURL.resolvingSymlinksInPath().path == source {
            throw .input("\(notebook.path): writing the \(URL(fileURLWithPath: file.path).pathExtension) report to '\(folder)' would overwrite the notebook itself; choose another folder with -o")
        }
        try writeAtomically(files, into: folder)
        return files.map(\.path).filter { !$0.contains("/") }.map { (folder as NSString).appendingPathComponent($0) }
    }

    /// Writes `data` to a new file at `path` (permissions 0644 less the umask); false when it cannot.
    private static func writeFile(_ data: Data, to path: String) -> Bool {
        unlink(path)  // a temporary file left by an earlier process of the same number
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { return false }
        let written = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let count = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
        return close(descriptor) == 0 && written
    }

    /// Writes each file (a path relative to `folder`) through a temporary file beside it and a rename,
    /// so that a reader sees the old file or the new one, never a part; a file that already holds these
    /// bytes is left as it is (a warm render of a site then writes almost nothing). Reports can be made
    /// again, so the data is not forced to the disk first (`fsync`), which would cost a warm render of
    /// a site a tenth of its time.
    static func writeAtomically(_ files: [(path: String, contents: String)], into folder: String) throws(CommandLineError) {
        for file in files {
            let url = URL(fileURLWithPath: folder).appendingPathComponent(file.path), data = Data(file.contents.utf8)
            if FileManager.default.contents(atPath: url.path) == data { continue }
            let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp").path
            do {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                guard writeFile(data, to: temporary), rename(temporary, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
            } catch {
                try? FileManager.default.removeItem(atPath: temporary)
                throw .input("\(url.path): cannot be written (\(error.localizedDescription))")
            }
        }
    }
}
