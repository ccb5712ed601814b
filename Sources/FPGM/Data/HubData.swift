import Digest
import Foundation

/// CIFAR-10 named `hub:cifar10/test` or `hub:cifar10/train`.
///
/// Resolves, in order, to `$FPGM_DATA_DIR` and to the cache folder (`$XDG_CACHE_HOME/fpgm`, or
/// `~/.cache/fpgm`), each holding `cifar-10-batches-bin/`, `cifar-10-batches-py/` or an official archive;
/// otherwise the official binary archive is downloaded (from `$FPGM_DATA_URL` when set, a mirror or a
/// test server) into a temporary file in the cache, its MD5 compared with the sum the dataset's authors
/// publish (as torchvision checks it) before anything is unpacked, and its batches unpacked into a
/// temporary folder that is renamed into place only when complete: the cache never holds a partial
/// or unverified data set, and nothing is written outside it.
public struct HubData: Sendable {
    /// An official archive: its file name, its MD5, and the folder its batches unpack into.
    public struct Archive: Sendable, Equatable {
        public let file: String
        public let md5: String
        public let folder: String

        public init(file: String, md5: String, folder: String) {
            self.file = file
            self.md5 = md5
            self.folder = folder
        }
    }

    /// The two official archives (https://www.cs.toronto.edu/~kriz/cifar.html); the first is downloaded.
    public static let archives = [
        Archive(file: "cifar-10-binary.tar.gz", md5: "c32a1d4ab5d03f1284b67883e8d87530", folder: "cifar-10-batches-bin"),
        Archive(file: "cifar-10-python.tar.gz", md5: "c58f30108f718f92721af3b95e74349a", folder: "cifar-10-batches-py"),
    ]

    /// Where the archive is downloaded from, unless `FPGM_DATA_URL` names another place.
    public static let officialURL = "https://www.cs.toronto.edu/~kriz/"

    public let environment: [String: String]
    /// The archive downloaded when no copy is found (tests give one with their own sum).
    public let download: Archive

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, download: Archive = HubData.archives[0]) {
        self.environment = environment
        self.download = download
    }

    /// The split `reference` names, from the first place that holds it.
    public func load(_ reference: String) throws -> ImageSet {
        guard reference.hasPrefix("hub:cifar10/"), let split = DataSplit(rawValue: String(reference.dropFirst("hub:cifar10/".count))) else {
            throw ImageSpecError.unknownHub(reference)
        }
        let cache = CacheFolder.url(environment: environment)
        for folder in [environment["FPGM_DATA_DIR"], cache.path].compactMap({ $0 }) where !folder.isEmpty {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else { continue }
            if let images = try ImageData.folder(folder, split: split) { return images }
        }
        let unpacked = try fetch(into: cache)
        guard let images = try ImageData.folder(unpacked.path, split: split) else {
            throw DataError(file: unpacked.path, problem: "holds no \(split.rawValue) batches after unpacking")
        }
        return images
    }

    /// Downloads, verifies and unpacks the archive into `cache`; returns the unpacked folder.
    func fetch(into cache: URL) throws(DataError) -> URL {
        let base = environment["FPGM_DATA_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.officialURL
        guard let url = URL(string: base.hasSuffix("/") ? base + download.file : base + "/" + download.file) else {
            throw DataError(file: base, problem: "is not a valid download address")
        }
        do { try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true) } catch {
            throw DataError(file: cache.path, problem: "cannot be created (\(error.localizedDescription))")
        }
        let data: Data
        switch HTTPDownload.body(of: url) {
        case let .success(body): data = body
        case let .failure(failure): throw DataError(file: url.absoluteString, problem: failure.problem(expecting: "the archive"))
        }
        let temporary = cache.appendingPathComponent(".\(download.file).\(getpid()).download")
        let partial = cache.appendingPathComponent(".\(download.folder).\(getpid()).partial")
        defer {
            try? FileManager.default.removeItem(at: temporary)
            try? FileManager.default.removeItem(at: partial)
        }
        do { try data.write(to: temporary) } catch {
            throw DataError(file: temporary.path, problem: "cannot be written (\(error.localizedDescription))")
        }
        let sum: String
        do { sum = try SHA256Digest.md5Hex(fileAt: temporary.path) } catch { throw DataError(file: temporary.path, problem: error.reason) }
        guard sum == download.md5 else {
            throw DataError(file: url.absoluteString, problem: "sent \(data.count) bytes with MD5 \(sum), not the \(download.md5) of \(download.file); nothing was kept")
        }
        let batches = Set(DataSplit.allCases.flatMap(\.batchNames).flatMap { [$0, $0 + ".bin"] } + ["batches.meta", "batches.meta.txt"])
        let entries = try TarArchive.files(at: temporary.path) { path in
            let parts = path.split(separator: "/")
            return parts.count == 2 && parts[0] == download.folder && batches.contains(String(parts[1]))
        }
        do {
            try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: false)
            for entry in entries {
                let name = String(entry.path.split(separator: "/")[1])
                try Data(entry.bytes).write(to: partial.appendingPathComponent(name))
            }
        } catch {
            throw DataError(file: partial.path, problem: "cannot be written (\(error.localizedDescription))")
        }
        let final = cache.appendingPathComponent(download.folder)
        guard rename(partial.path, final.path) == 0 || FileManager.default.fileExists(atPath: final.path) else {
            throw DataError(file: final.path, problem: "cannot be put in place (\(String(cString: strerror(errno))))")
        }
        return final
    }
}
