internal import CCrypto
import Foundation

/// SHA-256 (FIPS 180-4) from OpenSSL's libcrypto, of bytes in memory or of a file read in 1 MiB
/// pieces. This is the only file that calls libcrypto.
public struct SHA256Digest: Sendable, Hashable {
    public let bytes: [UInt8]

    /// The digest of `data`.
    public init(of data: Data) {
        var digest = Digester()
        digest.update(data)
        bytes = digest.finish()
    }

    /// The digest of the file at `path`; fails when it cannot be read.
    public init(fileAt path: String) throws(DigestError) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DigestError(path: path, reason: "cannot be opened") }
        defer { try? handle.close() }
        var digest = Digester()
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw DigestError(path: path, reason: "cannot be read (\(error.localizedDescription))")
            }
            if chunk.isEmpty { break }
            digest.update(chunk)
        }
        bytes = digest.finish()
    }

    /// The digest of the file at `path`, computed once per process for each version of the file (its
    /// size and modification time): notebooks digest the same checkpoint for many cells.
    public static func memoized(fileAt path: String) throws(DigestError) -> SHA256Digest {
        try memo.value(forFileAt: path) { () throws(DigestError) in try SHA256Digest(fileAt: path) }
    }

    private static let memo = FileVersionMemo<SHA256Digest>()

    /// The digest in lowercase hexadecimal.
    public var hex: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// An EVP SHA-256 context, freed when finished.
    private struct Digester {
        let context: OpaquePointer? = EVP_MD_CTX_new()

        init() { EVP_DigestInit_ex(context, EVP_sha256(), nil) }

        mutating func update(_ data: Data) {
            data.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        }

        func finish() -> [UInt8] {
            var digest = [UInt8](repeating: 0, count: 32)
            var length: UInt32 = 0
            EVP_DigestFinal_ex(context, &digest, &length)
            EVP_MD_CTX_free(context)
            return digest
        }
    }
}

/// A file that cannot be digested: its path and why, as one sentence.
public struct DigestError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}
