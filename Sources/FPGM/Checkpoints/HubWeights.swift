import Digest
import Foundation

/// Trained weights named `hub:<owner>/<name>`, found on disk or downloaded once and verified.
///
/// `hub:akamaster/resnet56` resolves, in order, to `$FPGM_WEIGHTS_DIR/<file>`, to
/// `$XDG_CACHE_HOME/fpgm/<file>` (`~/.cache/fpgm/<file>` when XDG_CACHE_HOME is unset), and otherwise to
/// a download from the upstream repository into that cache. Every file is checked against the SHA-256
/// of the catalogue (the full digest where it is known, else the 8-digit prefix in the file's name)
/// before it is used; a download goes to a temporary file in the cache folder and is renamed into
/// place only once verified, so the cache never holds a partial or wrong file.
public struct HubWeights: Sendable {
    public struct Entry: Sendable, Equatable {
        public let file: String
        /// The full lowercase hexadecimal digest, or its leading digits.
        public let sha256: String
        /// The CIFAR-10 test accuracy upstream publishes (1 - its test error, on all 10,000 images), where known.
        public var publishedTop1: Double? = nil
    }

    /// akamaster/pytorch_resnet_cifar10, `pretrained_models/`: CIFAR-10 ResNets (BSD 2-Clause).
    public static let akamaster: [String: Entry] = [
        "resnet20": Entry(file: "resnet20-12fca82f.th", sha256: "12fca82f0bebc4135bf1f32f6e3710e61d5108578464b84fd6d7f5c1b04036c8", publishedTop1: 0.9173),
        "resnet32": Entry(file: "resnet32-d509ac18.th", sha256: "d509ac1820d7f25398913559d7e81a13229b1e7adc5648e3bfa5e22dc137f850", publishedTop1: 0.9263),
        "resnet44": Entry(file: "resnet44-014dd654.th", sha256: "014dd6541728a1c700b1642ab640e211dc6eb8ed507d70697458dc8f8a0ae2e4", publishedTop1: 0.9310),
        "resnet56": Entry(file: "resnet56-4bfd9763.th", sha256: "4bfd97631478d6b638d2764fd2baff3edb1d7d82252d54439343b6596b9b5367", publishedTop1: 0.9339),
        "resnet110": Entry(file: "resnet110-1d1ed7c2.th", sha256: "1d1ed7c2"),
        "resnet1202": Entry(file: "resnet1202-f3b1deed.th", sha256: "f3b1deed"),
    ]

    /// Where downloads come from; `FPGM_HUB_URL` replaces it (a mirror, or a test server).
    public static let akamasterURL = "https://github.com/akamaster/pytorch_resnet_cifar10/raw/master/pretrained_models/"

    public let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The catalogue entry whose full SHA-256 the file at `path` has, if any: a renamed copy is recognised too.
    public static func entry(forFileAt path: String) -> Entry? {
        guard let digest = try? SHA256Digest.memoized(fileAt: path).hex else { return nil }
        return akamaster.values.first { $0.sha256 == digest }
    }

    /// Whether `reference` names hub weights rather than a file.
    public static func isReference(_ reference: String) -> Bool { reference.hasPrefix("hub:") }

    /// The local path of verified weights for `hub:akamaster/<name>`, downloading them when needed.
    public func resolve(_ reference: String) throws(CheckpointError) -> String {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: reference, problem: problem) }
        let parts = reference.dropFirst("hub:".count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "akamaster" else {
            throw fail("is not a known hub source (known: \(Self.akamaster.keys.sorted().map { "hub:akamaster/\($0)" }.joined(separator: ", ")))")
        }
        guard let entry = Self.akamaster[String(parts[1])] else {
            throw fail("names no akamaster model (known: \(Self.akamaster.keys.sorted().joined(separator: ", ")))")
        }
        if let folder = environment["FPGM_WEIGHTS_DIR"], !folder.isEmpty {
            let path = URL(fileURLWithPath: folder).appendingPathComponent(entry.file).path
            if FileManager.default.fileExists(atPath: path) { return try verified(path, entry) }
        }
        let cache = CacheFolder.url(environment: environment)
        let cached = cache.appendingPathComponent(entry.file).path
        if FileManager.default.fileExists(atPath: cached) { return try verified(cached, entry) }
        return try download(entry, into: cache, reference: reference)
    }

    private func verified(_ path: String, _ entry: Entry) throws(CheckpointError) -> String {
        let digest = try Self.digest(path)
        guard digest.hasPrefix(entry.sha256) else {
            throw CheckpointError(file: path, problem: "has SHA-256 \(digest), not the \(entry.sha256) of \(entry.file)")
        }
        return path
    }

    private func download(_ entry: Entry, into cache: URL, reference: String) throws(CheckpointError) -> String {
        let base = environment["FPGM_HUB_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.akamasterURL
        guard let url = URL(string: base.hasSuffix("/") ? base + entry.file : base + "/" + entry.file) else {
            throw CheckpointError(file: reference, problem: "has no valid download address ('\(base)')")
        }
        do { try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true) } catch {
            throw CheckpointError(file: cache.path, problem: "cannot be created (\(error.localizedDescription))")
        }
        let data: Data
        switch HTTPDownload.body(of: url) {
        case let .success(body): data = body
        case let .failure(failure):
            throw CheckpointError(file: url.absoluteString, problem: failure.problem(expecting: "the weights"))
        }
        let temporary = cache.appendingPathComponent(".\(entry.file).\(getpid()).download")
        let final = cache.appendingPathComponent(entry.file)
        defer { try? FileManager.default.removeItem(at: temporary) }
        do { try data.write(to: temporary) } catch {
            throw CheckpointError(file: temporary.path, problem: "cannot be written (\(error.localizedDescription))")
        }
        let digest = try Self.digest(temporary.path)
        guard digest.hasPrefix(entry.sha256) else {
            throw CheckpointError(file: url.absoluteString, problem: "sent \(data.count) bytes with SHA-256 \(digest), not the \(entry.sha256) of \(entry.file); nothing was kept")
        }
        guard rename(temporary.path, final.path) == 0 else {
            throw CheckpointError(file: final.path, problem: "cannot be put in place (\(String(cString: strerror(errno))))")
        }
        return final.path
    }

    /// The file's SHA-256 in hexadecimal.
    private static func digest(_ path: String) throws(CheckpointError) -> String {
        do { return try SHA256Digest.memoized(fileAt: path).hex } catch { throw CheckpointError(file: path, problem: error.reason) }
    }
}
