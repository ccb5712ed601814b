internal import CCrypto
import Foundation

/// SHA-256 (FIPS 180-4) from OpenSSL's libcrypto, of bytes in memory or of a file read in 1 MiB
/// pieces; and MD5 (RFC 1321) of a file, for the one data set whose authors publish only MD5 sums.
/// This is the only file that calls libcrypto.
public struct SHA256Digest: Sendable, Hashable {
    public let bytes: [UInt8]

    /// The digest of `data`.
    public init(of data: Data) {
        var digest = Digester(EVP_sha256())
        digest.update(data)
        bytes = digest.finish()
    }

    /// The digest of the file at `path`; fails when it cannot be read.
    public init(fileAt path: String) throws(DigestError) {
        bytes = try Digester.file(at: path, EVP_sha256())
    }

    /// The MD5 sum of the file at `path` in lowercase hexadecimal; fails when it cannot be read.
    public static func md5Hex(fileAt path: String) throws(DigestError) -> String {
        hex(try Digester.file(at: path, EVP_md5()))
    }

    /// The digest of the file at `path`, computed once per process for each version of the file (its
    /// size and modification time): notebooks digest the same checkpoint for many cells.
    public static func memoized(fileAt path: String) throws(DigestError) -> SHA256Digest {
        try memo.value(forFileAt: path) { () throws(DigestError) in try SHA256Digest(fileAt: path) }
    }

    private static let memo = FileVersionMemo<SHA256Digest>()

    /// The digest in lowercase hexadecimal.
    public var hex: String { Self.hex(bytes) }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// An EVP digest context, freed when finished.
    private struct Digester {
        let context: OpaquePointer? = EVP_MD_CTX_new()

        init(_ algorithm: OpaquePointer?) { EVP_DigestInit_ex(context, algorithm, nil) }

        /// The digest of a file read in 1 MiB pieces.
        static func file(at path: String, _ algorithm: OpaquePointer?) throws(DigestError) -> [UInt8] {
            guard let handle = FileHandle(forReadingAtPath: path) else { throw DigestError(path: path, reason: "cannot be opened") }
            defer { try? handle.close() }
            var digest = Digester(algorithm)
            while true {
                let chunk: Data
                do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                    digest.discard()
                    throw DigestError(path: path, reason: "cannot be read (\(error.localizedDescription))")
                }
                if chunk.isEmpty { break }
                digest.update(chunk)
            }
            return digest.finish()
        }

        func discard() { EVP_MD_CTX_free(context) }

        mutating func update(_ data: Data) {
            data.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        }

        func finish() -> [UInt8] {
            var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            EVP_DigestFinal_ex(context, &digest, &length)
            EVP_MD_CTX_free(context)
            return Array(digest.prefix(Int(length)))
        }
    }
}

/// A file that cannot be digested: its path and why, as one sentence.
public struct DigestError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}
