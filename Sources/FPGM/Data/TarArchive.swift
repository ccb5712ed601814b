import CArchive
import Foundation

/// A tar archive, gzip-compressed or not, read through libarchive; the only file that calls it.
///
/// Every entry is checked before any of its bytes are read: its path must be relative and made of
/// plain components (no absolute path, no `..`; a leading `./` is dropped), it must be a regular file or
/// a folder (no symbolic or hard links, devices or pipes), and its declared size must be at most
/// `maximumEntrySize`, so that no entry can name a place outside the folder it is unpacked into or
/// make the reader allocate more than that.
enum TarArchive {
    /// The largest entry read: the official CIFAR-10 batches are 30.7 MB.
    static let maximumEntrySize = 256 << 20

    struct Entry {
        /// The checked relative path.
        let path: String
        let bytes: [UInt8]
    }

    /// The regular files whose checked path `wanted` accepts, in archive order; every entry, wanted or
    /// not, is checked. Fails with a sentence naming the archive and the entry.
    static func files(at path: String, wanted: (String) -> Bool) throws(DataError) -> [Entry] {
        guard let archive = archive_read_new() else { throw DataError(file: path, problem: "cannot be opened (libarchive is out of memory)") }
        defer { archive_read_free(archive) }
        archive_read_support_filter_gzip(archive)
        archive_read_support_filter_none(archive)
        archive_read_support_format_tar(archive)
        func failure(_ what: String) -> DataError {
            let reason = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
            return DataError(file: path, problem: "\(what) (\(reason))")
        }
        guard archive_read_open_filename(archive, path, 1 << 16) == ARCHIVE_OK else {
            throw failure("is not a readable tar or tar.gz archive")
        }
        var files = [Entry]()
        var header: OpaquePointer?
        var index = 0
        while true {
            let status = archive_read_next_header(archive, &header)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let header else {
                throw failure(index == 0 ? "is not a readable tar or tar.gz archive" : "breaks off after entry \(index)")
            }
            index += 1
            let rawName = archive_entry_pathname(header).map { String(cString: $0) } ?? ""
            let entryPath = try checkedPath(rawName, in: path)
            let label = "entry '\(rawName)'"
            if archive_entry_symlink(header) != nil || archive_entry_hardlink(header) != nil {
                throw DataError(file: path, problem: "\(label) is a link; only plain files and folders are unpacked")
            }
            let type = archive_entry_filetype(header) & 0o170000
            if type == 0o040000 { continue }
            guard type == 0o100000 else {
                throw DataError(file: path, problem: "\(label) is not a plain file or folder")
            }
            let declared = archive_entry_size(header)
            guard declared >= 0, declared <= Int64(maximumEntrySize) else {
                throw DataError(file: path, problem: "\(label) declares \(declared) bytes, more than the \(maximumEntrySize) an image batch can need")
            }
            guard wanted(entryPath) else {
                guard archive_read_data_skip(archive) == ARCHIVE_OK else { throw failure("\(label) cannot be read to its end") }
                continue
            }
            var bytes = [UInt8](repeating: 0, count: Int(declared))
            let filled = bytes.withUnsafeMutableBytes { buffer in
                var filled = 0
                while filled < buffer.count {
                    let count = archive_read_data(archive, buffer.baseAddress! + filled, buffer.count - filled)
                    guard count > 0 else { return count < 0 ? -filled - 1 : filled }
                    filled += count
                }
                return filled
            }
            guard filled == bytes.count else {
                let read = filled < 0 ? -filled - 1 : filled, problem = "\(label) ends after \(read) of its \(declared) bytes"
                throw filled < 0 ? failure(problem) : DataError(file: path, problem: problem)
            }
            files.append(Entry(path: entryPath, bytes: bytes))
        }
        return files
    }

    /// `name` as a relative path of plain components, or an error naming the entry.
    static func checkedPath(_ name: String, in archive: String) throws(DataError) -> String {
        var trimmed = Substring(name)
        while trimmed.hasPrefix("./") { trimmed = trimmed.dropFirst(2) }
        let components = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        let body = components.last == "" ? components.dropLast() : components[...]
        guard !name.hasPrefix("/"), !body.isEmpty,
              body.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("\\") && !$0.contains("\0") }) else {
            throw DataError(file: archive, problem: "entry '\(name)' has a path that is absolute or leaves the archive's folder")
        }
        return body.joined(separator: "/")
    }
}
