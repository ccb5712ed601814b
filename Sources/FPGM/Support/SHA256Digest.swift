import CCrypto
import Foundation

/// The SHA-256 digest of a file, from OpenSSL's libcrypto, read in 1 MiB pieces.
public struct SHA256Digest: Sendable, Equatable {
    public let bytes: [UInt8]

    /// Digests the file at `path`; fails when it cannot be read.
    public init(fileAt path: String) throws(CheckpointError) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CheckpointError(file: path, problem: "cannot be opened") }
        defer { try? handle.close() }
        guard let context = EVP_MD_CTX_new() else { throw CheckpointError(file: path, problem: "cannot be digested (no memory)") }
        defer { EVP_MD_CTX_free(context) }
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw CheckpointError(file: path, problem: "cannot be read (\(error.localizedDescription))")
            }
            if chunk.isEmpty { break }
            chunk.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        }
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        bytes = digest
    }

    /// The digest in lowercase hexadecimal.
    public var hex: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
