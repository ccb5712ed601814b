import Digest
import Foundation
import Testing
@testable import FPGM

/// CIFAR-10 in every layout: the shared images (`FPGM_DATA_DIR`), the python batches and archives that
/// Tools/make_cifar_layouts.py writes from them, hostile files from Tools/make_data_fixtures.py, and
/// `hub:cifar10` against a server on 127.0.0.1.
@Suite("Image data", .serialized)
struct DataTests {
    static let dataFolder = ProcessInfo.processInfo.environment["FPGM_DATA_DIR"]
    static let shared = dataFolder != nil

    /// The python batches and archives of the shared images, written once per test run.
    static let layouts: URL? = {
        guard let dataFolder else { return nil }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fpgm-layouts-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        let script = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tools/make_cifar_layouts.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, dataFolder, folder.path]
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        return process.terminationStatus == 0 ? folder : nil
    }()

    static func sharedTest() throws -> ImageSet {
        try ImageData().load(try #require(dataFolder) + "/cifar-10-batches-bin/test_batch.bin", split: .test)
    }

    @Test("the shared test batch: 1,245 images whose labels are the official ones at test-indices.txt, class counts as documented",
          .enabled(if: shared))
    func binaryBatch() throws {
        let images = try Self.sharedTest()
        #expect(images.count == 1245)
        #expect(images.classCounts == [130, 114, 128, 130, 109, 112, 131, 120, 143, 128])
        let folder = try #require(Self.dataFolder)
        let all = try Data(contentsOf: URL(fileURLWithPath: folder + "/test-labels-all.u8"))
        let indices = try String(contentsOfFile: folder + "/test-indices.txt", encoding: .utf8).split(separator: "\n").compactMap { Int($0) }
        #expect(images.labels == indices.map { Int(all[$0]) })
    }

    @Test("hub:cifar10/train is data_batch_1 .. 5 in order: 8,068 images with the documented class counts", .enabled(if: shared))
    func trainingSplit() throws {
        let images = try ImageData(environment: ["FPGM_DATA_DIR": try #require(Self.dataFolder)]).load("hub:cifar10/train", split: .test)
        #expect(images.count == 8068)
        #expect(images.classCounts == [810, 777, 808, 783, 856, 782, 808, 799, 835, 810])
        let folder = try #require(Self.dataFolder)
        let all = try Data(contentsOf: URL(fileURLWithPath: folder + "/train-labels-all.u8"))
        let indices = try String(contentsOfFile: folder + "/train-indices.txt", encoding: .utf8).split(separator: "\n").compactMap { Int($0) }
        #expect(images.labels == indices.map { Int(all[$0]) })
    }

    @Test("python batches, both archives and the folders hold the same images as the binary batches", .enabled(if: shared))
    func everyLayout() throws {
        let layouts = try #require(Self.layouts, "Tools/make_cifar_layouts.py did not run")
        let test = try Self.sharedTest()
        let data = ImageData(environment: [:])
        for spec in ["cifar-10-batches-py/test_batch", "cifar-10-batches-py", "cifar-10-python.tar.gz", "cifar-10-binary.tar.gz", "."] {
            #expect(try data.load(layouts.appendingPathComponent(spec).path, split: .test) == test, "\(spec)")
        }
        let train = try data.load(try #require(Self.dataFolder), split: .train)
        for spec in ["cifar-10-python.tar.gz:train", "cifar-10-batches-py:train"] {
            #expect(try data.load(layouts.appendingPathComponent(spec).path, split: .test) == train, "\(spec)")
        }
    }

    @Test("pixels are normalised per channel: (x / 255 - mean) / std, channel-major")
    func normalisation() throws {
        let images = try ImageData().load(Fixtures.path("data/two-records.bin"), split: .test)
        #expect(images.labels == [3, 8])
        let maps = images.maps(normalization: .cifar)
        // Image 1 holds the byte 9 everywhere; channel 2 (blue) has mean 113.9/255 and std 66.7/255.
        let blue = maps.values[(2 * 2 + 1) * 1024]
        #expect(abs(Double(blue) - (9.0 / 255 - 113.9 / 255) / (66.7 / 255)) < 1e-6)
        let red = images.maps(normalization: .imagenet).values[0]
        #expect(abs(Double(red) - (7.0 / 255 - 0.485) / 0.229) < 1e-6)
    }

    @Test("hostile files are refused with one sentence naming the file and the entry or record", arguments: [
        ("truncated.bin", "record 1 is cut short after 2973 bytes"),
        ("label-12.bin", "record 1 has label 12"),
        ("os-system.py-batch", "refuses to load the global 'os.system'"),
        ("object-array.py-batch", "dtype 'O8'"),
        ("dotdot.tar", "entry '../x/test_batch.bin' has a path that is absolute or leaves"),
        ("absolute.tar", "entry '/tmp/test_batch.bin' has a path that is absolute"),
        ("symlink.tar", "entry 'cifar-10-batches-bin/test_batch.bin' is a link"),
        ("huge-entry.tar", "declares 10000000000 bytes"),
        ("truncated.tar.gz", "truncated gzip input"),
    ])
    func hostile(file: String, expected: String) {
        let path = Fixtures.path("data/" + file)
        do {
            _ = try ImageData().load(path, split: .test)
            Issue.record("\(file) was read")
        } catch let error as DataError {
            #expect(error.file == path)
            #expect(error.problem.contains(expected), "\(error.problem)")
            #expect(!error.description.contains("\n"))
        } catch {
            Issue.record("\(file): \(error)")
        }
    }

    @Test("the official python batch cut at 64 KiB is refused at the image data", .enabled(if: shared))
    func truncatedPythonBatch() throws {
        let path = try #require(Self.dataFolder) + "/python/test_batch.head"
        #expect(throws: DataError(file: path, problem: "declares 30720000 bytes where only 45319 remain (pickle byte 20217)")) {
            _ = try ImageData().load(path, split: .test)
        }
    }

    @Test("a good archive unpacks its one batch; the python batch fixture has its label and pixels")
    func smallArchives() throws {
        let archive = try ImageData().load(Fixtures.path("data/good.tar.gz"), split: .test)
        #expect(archive == (try ImageData().load(Fixtures.path("data/two-records.bin"), split: .test)))
        let python = try ImageData().load(Fixtures.path("data/one-record.py-batch"), split: .test)
        #expect(python.labels == [3] && python.pixels == (0..<3072).map { UInt8($0 % 256) })
    }

    @Test("generated images and their errors; CIFAR-10 data for another image size is a spec error")
    func specs() throws {
        #expect(try ImageData().load("pattern:3", split: .test, side: 224).count == 3)
        #expect(throws: ImageSpecError.count(text: "smooth:0", expected: "smooth:N with N from 1 to 100000")) {
            _ = try ImageData().load("smooth:0", split: .test)
        }
        #expect(throws: ImageSpecError.side(224)) { _ = try ImageData().load("hub:cifar10/test", split: .test, side: 224) }
        #expect(throws: ImageSpecError.unknownHub("hub:cifar10/valid")) { _ = try ImageData().load("hub:cifar10/valid", split: .test) }
    }

    func temporaryFolder(_ name: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fpgm-data-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test("hub:cifar10 downloads the archive from FPGM_DATA_URL, checks its MD5, unpacks it into the cache and reads it from there next time",
          .enabled(if: shared))
    func download() throws {
        let layouts = try #require(Self.layouts, "Tools/make_cifar_layouts.py did not run")
        let archive = try Data(contentsOf: layouts.appendingPathComponent("cifar-10-binary.tar.gz"))
        let sum = try SHA256Digest.md5Hex(fileAt: layouts.appendingPathComponent("cifar-10-binary.tar.gz").path)
        let server = try LocalHTTPServer(files: ["cifar-10-binary.tar.gz": archive])
        defer { server.stop() }
        let cache = try temporaryFolder("cache")
        defer { try? FileManager.default.removeItem(at: cache) }
        let environment = ["XDG_CACHE_HOME": cache.path, "FPGM_DATA_URL": server.baseURL]
        let hub = HubData(environment: environment, download: HubData.Archive(file: "cifar-10-binary.tar.gz", md5: sum, folder: "cifar-10-batches-bin"))
        #expect(try hub.load("hub:cifar10/test") == (try Self.sharedTest()))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("fpgm").path) == ["cifar-10-batches-bin"])
        #expect(try hub.load("hub:cifar10/train").count == 8068)
        #expect(server.requests == 1)
    }

    @Test("a download whose MD5 is not the official sum is refused, and nothing is left in the cache", .enabled(if: shared))
    func wrongSum() throws {
        let layouts = try #require(Self.layouts, "Tools/make_cifar_layouts.py did not run")
        let server = try LocalHTTPServer(files: ["cifar-10-binary.tar.gz": try Data(contentsOf: layouts.appendingPathComponent("cifar-10-binary.tar.gz"))])
        defer { server.stop() }
        let cache = try temporaryFolder("wrong")
        defer { try? FileManager.default.removeItem(at: cache) }
        let hub = HubData(environment: ["XDG_CACHE_HOME": cache.path, "FPGM_DATA_URL": server.baseURL])
        do {
            _ = try hub.load("hub:cifar10/test")
            Issue.record("accepted an archive with the wrong MD5")
        } catch let error as DataError {
            #expect(error.problem.contains("not the c32a1d4ab5d03f1284b67883e8d87530 of cifar-10-binary.tar.gz; nothing was kept"), "\(error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("fpgm").path).isEmpty)
    }
}
