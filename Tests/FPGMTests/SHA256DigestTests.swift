import Foundation
import Testing
import Digest

@Suite("SHA-256")
struct SHA256DigestTests {
    static let weights = ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"]

    @Test("the FIPS 180-2 test vector 'abc' and the empty file")
    func vectors() throws {
        let folder = FileManager.default.temporaryDirectory
        let abc = folder.appendingPathComponent("fpgm-sha-abc-\(getpid())").path
        let empty = folder.appendingPathComponent("fpgm-sha-empty-\(getpid())").path
        _ = FileManager.default.createFile(atPath: abc, contents: Data("abc".utf8))
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: abc); try? FileManager.default.removeItem(atPath: empty) }
        #expect(try SHA256Digest(fileAt: abc).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try SHA256Digest(fileAt: empty).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(throws: DigestError.self) { try SHA256Digest(fileAt: "/nonexistent/file") }
        #expect(SHA256Digest(of: Data("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("a memoized digest is computed once per version of a file, and again when the file changes")
    func memoized() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fpgm-sha-memo-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data("abc".utf8))
        let memo = FileVersionMemo<String>()
        var computed = 0
        for _ in 0..<3 {
            #expect(try memo.value(forFileAt: path) { () throws(DigestError) in computed += 1; return try SHA256Digest(fileAt: path).hex }
                    == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        }
        #expect(computed == 1)
        _ = FileManager.default.createFile(atPath: path, contents: Data("abcd".utf8))
        #expect(try SHA256Digest.memoized(fileAt: path).hex == "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589")
        #expect(try memo.value(forFileAt: path) { () throws(DigestError) in computed += 1; return try SHA256Digest(fileAt: path).hex }
                == "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589")
        #expect(computed == 2)
    }

    @Test("the trained checkpoints hash to the values of weights/expected.json", .enabled(if: weights != nil))
    func sharedWeights() throws {
        let folder = URL(fileURLWithPath: try #require(Self.weights))
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected.json"))) as? [String: [String: Any]])
        #expect(expected.count == 4)
        for (file, facts) in expected {
            #expect(try SHA256Digest(fileAt: folder.appendingPathComponent(file).path).hex == facts["sha256"] as? String)
        }
    }
}
