import CZip
import Foundation

/// A zip archive read through libzip (with its consistency checks). All libzip calls of the engine
/// live in this file; entry sizes are checked again here before anything is allocated.
final class ZipArchive {
    struct Entry {
        /// The entry's position in `entries`.
        let position: Int
        let index: UInt64
        let name: String
        let size: Int
        let compressedSize: Int
        let isStored: Bool
    }

    /// Deflate cannot expand data by more than about 1032:1; an entry claiming more is corrupt.
    static let maximumDeflateRatio = 1100

    let path: String
    let entries: [Entry]
    private let archive: OpaquePointer

    /// Opens the archive at `path` for reading; fails with a sentence naming the file.
    init(path: String) throws(CheckpointError) {
        self.path = path
        var code: Int32 = 0
        guard let archive = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code) else {
            throw CheckpointError(file: path, problem: "is not a valid zip archive (\(ZipArchive.message(code)))")
        }
        self.archive = archive
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? Int.max
        var entries = [Entry]()
        let count = zip_get_num_entries(archive, 0)
        for index in 0..<UInt64(max(0, count)) {
            var stat = zip_stat_t()
            zip_stat_init(&stat)
            guard zip_stat_index(archive, index, 0, &stat) == 0, let cName = stat.name else {
                zip_discard(archive)
                throw CheckpointError(file: path, problem: "has an unreadable zip entry at position \(index)")
            }
            let name = String(cString: cName)
            let size = Int(clamping: stat.size), compressed = Int(clamping: stat.comp_size)
            let stored = stat.comp_method == 0
            let plausible = stored ? (size == compressed && size <= fileSize)
                                   : (compressed <= fileSize && size <= compressed.saturatingMultiply(ZipArchive.maximumDeflateRatio) + 4096)
            guard plausible else {
                zip_discard(archive)
                throw CheckpointError(file: path, problem: "zip entry '\(name)' declares \(size) bytes from \(compressed) stored bytes, which cannot be right")
            }
            entries.append(Entry(position: entries.count, index: index, name: name, size: size, compressedSize: compressed, isStored: stored))
        }
        self.entries = entries
    }

    deinit { zip_discard(archive) }

    /// Calls `body` with the entry's bytes as a `ByteSource`, then reads whatever `body` left, so that
    /// libzip compares the entry's CRC-32 with its directory; a mismatch or a short entry is an error.
    func reading<T>(_ entry: Entry, _ body: (inout EntrySource) throws(CheckpointError) -> T) throws(CheckpointError) -> T {
        guard let file = zip_fopen_index(archive, entry.index, 0) else {
            throw CheckpointError(file: path, problem: "zip entry '\(entry.name)' cannot be opened (\(lastError()))")
        }
        defer { zip_fclose(file) }
        var source = EntrySource(file: file, entry: entry, path: path)
        let result = try body(&source)
        try source.finish()
        return result
    }

    /// The bytes of one open zip entry, decompressed by libzip.
    struct EntrySource: ByteSource {
        let file: OpaquePointer
        let entry: Entry
        let path: String
        private(set) var remaining: Int

        init(file: OpaquePointer, entry: Entry, path: String) {
            self.file = file
            self.entry = entry
            self.path = path
            remaining = entry.size
        }

        mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(CheckpointError) {
            guard buffer.count <= remaining else {
                throw CheckpointError(file: path, problem: "zip entry '\(entry.name)' ends early")
            }
            var done = 0
            while done < buffer.count {
                let got = zip_fread(file, buffer.baseAddress! + done, UInt64(buffer.count - done))
                guard got > 0 else {
                    throw CheckpointError(file: path, problem: "zip entry '\(entry.name)' is damaged (\(got < 0 ? String(cString: zip_file_strerror(file)) : "shorter than its directory says"))")
                }
                done += Int(got)
            }
            remaining -= buffer.count
        }

        /// Reads the rest of the entry and one byte past it, which makes libzip check the CRC-32.
        mutating func finish() throws(CheckpointError) {
            let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
            defer { scratch.deallocate() }
            while remaining > 0 {
                try read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<min(remaining, scratch.count)]))
            }
            var probe: UInt8 = 0
            let extra = zip_fread(file, &probe, 1)
            guard extra == 0 else {
                throw CheckpointError(file: path, problem: "zip entry '\(entry.name)' is damaged (\(extra < 0 ? String(cString: zip_file_strerror(file)) : "longer than its directory says"))")
            }
        }
    }

    /// Archives whose entries add up to less than this are read on one thread.
    static let parallelThreshold = 8 << 20

    /// `body` applied to each of `entries` (entries of this archive), results in the order given. Large
    /// archives are read by one thread per core, each through its own libzip handle (the first through
    /// this one), taking the largest entries first; the first error in entry order is thrown.
    func readInParallel<T>(_ entries: [Entry], _ body: (inout EntrySource) throws(CheckpointError) -> T) throws(CheckpointError) -> [T] {
        let total = entries.reduce(0) { $0 + $1.size }
        let threads = total < Self.parallelThreshold ? 1 : max(1, min(ParallelMap.processors, entries.count))
        let order = entries.indices.sorted { entries[$0].size > entries[$1].size }
        let path = self.path, handedOut = NextIndex()
        nonisolated(unsafe) let firstHandle = self
        let results = ParallelMap.map(entries.count, threads: threads, order: order, state: {
            handedOut.take(below: 1) != nil ? .success(firstHandle) : Result { () throws(CheckpointError) in try ZipArchive(path: path) }
        }) { index, handle in
            Result { () throws(CheckpointError) in
                let archive = try handle.get()
                return try archive.reading(archive.entries[entries[index].position], body)
            }
        }
        var values = [T]()
        for result in results { values.append(try result.get()) }
        return values
    }

    private func lastError() -> String {
        String(cString: zip_strerror(archive))
    }

    private static func message(_ code: Int32) -> String {
        var error = zip_error_t()
        zip_error_init_with_code(&error, code)
        defer { zip_error_fini(&error) }
        return String(cString: zip_error_strerror(&error))
    }

    /// Writes a zip of STORED (uncompressed) entries, in the order given, through libzip, which writes
    /// to a temporary file and renames it into place when the archive is closed.
    static func writeStored(_ entries: [(name: String, data: Data)], to path: String) throws(CheckpointError) {
        var code: Int32 = 0
        guard let archive = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code) else {
            throw CheckpointError(file: path, problem: "cannot be created (\(message(code)))")
        }
        var buffers = [UnsafeMutableRawBufferPointer]()
        defer { buffers.forEach { $0.deallocate() } }
        for entry in entries {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, entry.data.count), alignment: 8)
            buffers.append(buffer)
            _ = entry.data.copyBytes(to: buffer.bindMemory(to: UInt8.self))
            guard let source = zip_source_buffer(archive, buffer.baseAddress, UInt64(entry.data.count), 0) else {
                zip_discard(archive)
                throw CheckpointError(file: path, problem: "cannot add '\(entry.name)'")
            }
            let index = zip_file_add(archive, entry.name, source, zip_flags_t(ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8))
            guard index >= 0, zip_set_file_compression(archive, UInt64(index), ZIP_CM_STORE, 0) == 0 else {
                zip_source_free(source)
                zip_discard(archive)
                throw CheckpointError(file: path, problem: "cannot add '\(entry.name)'")
            }
        }
        guard zip_close(archive) == 0 else {
            let reason = String(cString: zip_strerror(archive))
            zip_discard(archive)
            throw CheckpointError(file: path, problem: "cannot be written (\(reason))")
        }
    }
}

extension Int {
    /// self * factor, or Int.max when that overflows.
    func saturatingMultiply(_ factor: Int) -> Int {
        let (product, overflow) = multipliedReportingOverflow(by: factor)
        return overflow ? .max : product
    }
}
