import Foundation
import Testing
@testable import FPGM

/// `hub:` references against a server on 127.0.0.1 started by the test; no other network is used.
@Suite("Hub weights", .serialized)
struct HubWeightsTests {
    static let weights = ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"]

    func temporaryFolder(_ name: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fpgm-hub-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test("a download is verified, cached, and read from the cache the next time", .enabled(if: weights != nil))
    func download() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: try #require(Self.weights)).appendingPathComponent("resnet20-12fca82f.th"))
        let server = try LocalHTTPServer(files: ["resnet20-12fca82f.th": original])
        defer { server.stop() }
        let cache = try temporaryFolder("cache"), empty = try temporaryFolder("empty")
        defer { try? FileManager.default.removeItem(at: cache); try? FileManager.default.removeItem(at: empty) }
        let hub = HubWeights(environment: ["FPGM_WEIGHTS_DIR": empty.path, "XDG_CACHE_HOME": cache.path, "FPGM_HUB_URL": server.baseURL])
        let path = try hub.resolve("hub:akamaster/resnet20")
        #expect(path == cache.appendingPathComponent("fpgm/resnet20-12fca82f.th").path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original)
        #expect(try Checkpoint.read(path: path).tensors.count == 97)
        #expect(try hub.resolve("hub:akamaster/resnet20") == path)
        #expect(server.requests == 1)
    }

    @Test("a download with the wrong SHA-256 is refused and leaves nothing in the cache")
    func wrongHash() throws {
        let server = try LocalHTTPServer(files: ["resnet20-12fca82f.th": Data("not the weights".utf8)])
        defer { server.stop() }
        let cache = try temporaryFolder("wrong")
        defer { try? FileManager.default.removeItem(at: cache) }
        let hub = HubWeights(environment: ["XDG_CACHE_HOME": cache.path, "FPGM_HUB_URL": server.baseURL])
        do {
            _ = try hub.resolve("hub:akamaster/resnet20")
            Issue.record("accepted a file with the wrong hash")
        } catch {
            #expect(error.problem.contains("SHA-256") && error.problem.contains("nothing was kept"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("fpgm").path).isEmpty)
        #expect(server.requests == 1)
    }

    @Test("a missing file on the server is an error naming the address and status")
    func notFound() throws {
        let server = try LocalHTTPServer(files: [:])
        defer { server.stop() }
        let cache = try temporaryFolder("missing")
        defer { try? FileManager.default.removeItem(at: cache) }
        let hub = HubWeights(environment: ["XDG_CACHE_HOME": cache.path, "FPGM_HUB_URL": server.baseURL])
        #expect(throws: CheckpointError(file: server.baseURL + "resnet56-4bfd9763.th", problem: "answered HTTP 404 instead of the weights")) {
            try hub.resolve("hub:akamaster/resnet56")
        }
    }

    @Test("FPGM_WEIGHTS_DIR comes first and is verified too; a wrong cached file is refused", .enabled(if: weights != nil))
    func localFirst() throws {
        let hub = HubWeights(environment: ["FPGM_WEIGHTS_DIR": try #require(Self.weights), "FPGM_HUB_URL": "http://127.0.0.1:9/"])
        #expect(try hub.resolve("hub:akamaster/resnet56").hasSuffix("resnet56-4bfd9763.th"))
        let cache = try temporaryFolder("tampered")
        defer { try? FileManager.default.removeItem(at: cache) }
        try FileManager.default.createDirectory(at: cache.appendingPathComponent("fpgm"), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: cache.appendingPathComponent("fpgm/resnet32-d509ac18.th").path, contents: Data("tampered".utf8))
        let tampered = HubWeights(environment: ["XDG_CACHE_HOME": cache.path, "FPGM_HUB_URL": "http://127.0.0.1:9/"])
        #expect(throws: CheckpointError.self) { try tampered.resolve("hub:akamaster/resnet32") }
    }

    @Test("unknown sources and models are named with the known ones")
    func unknown() {
        #expect(throws: CheckpointError.self) { try HubWeights(environment: [:]).resolve("hub:torchvision/resnet18") }
        do { _ = try HubWeights(environment: [:]).resolve("hub:akamaster/resnet57") } catch {
            #expect(error.description == "hub:akamaster/resnet57: names no akamaster model (known: resnet110, resnet1202, resnet20, resnet32, resnet44, resnet56)")
        }
    }
}
