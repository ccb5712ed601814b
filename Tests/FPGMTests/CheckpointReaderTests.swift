import Foundation
import Testing
@testable import FPGM

@Suite("Checkpoint readers")
struct CheckpointReaderTests {
    typealias Expected = [String: (shape: [Int], values: [Double])]

    static let expected: Expected = {
        let json = try! Fixtures.json("readers/expected.json") as! [String: [String: Any]]
        return json.mapValues { ($0["shape"] as! [Int], $0["values"] as! [Double]) }
    }()

    func check(_ tensor: StoredTensor, as name: String) {
        guard let reference = Self.expected[name] else { Issue.record("no expected values for \(name)"); return }
        #expect(tensor.tensor.shape == reference.shape, "\(name)")
        #expect(tensor.tensor.scalars.map(Double.init) == reference.values.map { Double(Float($0)) }, "\(name)")
    }

    @Test("stored and deflated npz and safetensors give identical tensors equal to the numpy values")
    func sameTensorsEverywhere() throws {
        let stored = try Checkpoint.read(path: Fixtures.path("readers/stored.npz"))
        let deflated = try Checkpoint.read(path: Fixtures.path("readers/deflated.npz"))
        let safetensors = try Checkpoint.read(path: Fixtures.path("readers/tensors.safetensors"))
        #expect(stored.format == .npz && deflated.format == .npz && safetensors.format == .safetensors)
        #expect(stored.tensors.map(\.name) == ["conv.weight", "bn.running_var", "fc.weight", "half.values", "bn.num_batches_tracked"])
        #expect(stored.tensors == deflated.tensors)
        for tensor in stored.tensors {
            check(tensor, as: tensor.name)
            #expect(safetensors.tensor(named: tensor.name) == tensor)
        }
        #expect(stored.tensors.map(\.dtype) == [.float32, .float32, .float64, .float16, .int64])
        #expect(safetensors.metadata == ["format": "pt", "source": "make_fixtures.py"])
        check(try #require(safetensors.tensor(named: "bf16.values")), as: "bf16.values")
        #expect(safetensors.tensor(named: "bf16.values")?.dtype == .bfloat16)
    }

    @Test("npy files, C and Fortran order")
    func npy() throws {
        let conv = try Checkpoint.read(path: Fixtures.path("readers/conv.weight.npy"))
        #expect(conv.format == .npy)
        check(conv.tensors[0], as: "conv.weight")
        check(try Checkpoint.read(path: Fixtures.path("readers/fortran.npy")).tensors[0], as: "fortran")
    }

    @Test("the safetensors and npz writers round-trip, byte-identical on a second write")
    func writersRoundTrip() throws {
        let source = try Checkpoint.read(path: Fixtures.path("readers/stored.npz"))
        let named = source.tensors.map { (name: $0.name, tensor: $0.tensor) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fpgm-writers-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let safetensors = folder.appendingPathComponent("w.safetensors").path
        try SafetensorsWriter.write(named, metadata: ["kept": "[1, 2]"], to: safetensors)
        let first = try Data(contentsOf: URL(fileURLWithPath: safetensors))
        try SafetensorsWriter.write(named, metadata: ["kept": "[1, 2]"], to: safetensors)
        #expect(try Data(contentsOf: URL(fileURLWithPath: safetensors)) == first)
        let back = try Checkpoint.read(path: safetensors)
        #expect(back.tensors.map(\.tensor) == source.tensors.map(\.tensor))
        #expect(back.metadata == ["kept": "[1, 2]"])
        let npz = folder.appendingPathComponent("w.npz").path
        try NPZWriter.write(named, to: npz)
        #expect(try Checkpoint.read(path: npz).tensors.map(\.tensor) == source.tensors.map(\.tensor))
    }

    @Test("half-precision conversion covers normals, subnormals, zero, infinity")
    func halves() {
        #expect(ScalarType.halfToFloat(0x3C00) == 1)
        #expect(ScalarType.halfToFloat(0xC000) == -2)
        #expect(ScalarType.halfToFloat(0x7BFF) == 65504)
        #expect(ScalarType.halfToFloat(0x0001) == 5.960464477539063e-08)
        #expect(ScalarType.halfToFloat(0x8000) == 0 && ScalarType.halfToFloat(0x8000).sign == .minus)
        #expect(ScalarType.halfToFloat(0x7C00) == .infinity)
        #expect(ScalarType.halfToFloat(0x7E00).isNaN)
    }
}

/// Corrupt and hostile files: each must give a CheckpointError naming the file, never a crash.
@Suite("Hostile checkpoint files")
struct HostileCheckpointTests {
    static let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fpgm-hostile-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func write(_ bytes: Data, _ name: String) -> String {
        let path = Self.folder.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: bytes)
        return path
    }

    func safetensors(header: String, data: Data = Data(), declaredLength: UInt64? = nil) -> Data {
        var bytes = Data()
        let length = declaredLength ?? UInt64(header.utf8.count)
        bytes.append(contentsOf: (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) })
        bytes.append(contentsOf: Array(header.utf8))
        bytes.append(data)
        return bytes
    }

    @Test("a missing file, a directory and an empty file")
    func missing() {
        #expect(refusal("/nonexistent/model.npz").contains("no such file"))
        #expect(refusal(Self.folder.path).contains("directory"))
        refusal(write(Data(), "empty.safetensors"))
    }

    @Test("safetensors truncated at every byte up to the end of the header, and inside the data")
    func truncatedSafetensors() throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("readers/tensors.safetensors")))
        let headerEnd = 8 + Int(whole.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        for cut in Array(0..<headerEnd) + [headerEnd + 1, whole.count - 1] {
            refusal(write(whole.prefix(cut), "cut-\(cut).safetensors"))
        }
    }

    @Test("safetensors: 2 GB declared header, header longer than the file, offsets beyond the file, shape overflow, negative shape")
    func badSafetensors() {
        #expect(refusal(write(safetensors(header: "{}", declaredLength: 2 << 30), "huge.safetensors")).contains("header"))
        #expect(refusal(write(safetensors(header: "{}", declaredLength: 64), "long.safetensors")).contains("truncated"))
        let beyond = #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#
        #expect(refusal(write(safetensors(header: beyond, data: Data(count: 8)), "beyond.safetensors")).contains("'a'"))
        let overflow = #"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#
        #expect(refusal(write(safetensors(header: overflow, data: Data(count: 16)), "overflow.safetensors")).contains("shape"))
        let negative = #"{"a":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}"#
        refusal(write(safetensors(header: negative, data: Data(count: 16)), "negative.safetensors"))
        let mismatch = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#
        refusal(write(safetensors(header: mismatch, data: Data(count: 16)), "mismatch.safetensors"))
        let reversed = #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[16,0]}}"#
        refusal(write(safetensors(header: reversed, data: Data(count: 16)), "reversed.safetensors"))
        let dtype = #"{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#
        #expect(refusal(write(safetensors(header: dtype, data: Data(count: 8)), "dtype.safetensors")).contains("C64"))
        refusal(write(safetensors(header: "[1, 2]"), "array.safetensors"))
        refusal(write(safetensors(header: "{\"a\": "), "json.safetensors"))
        refusal(write(safetensors(header: String(repeating: "[", count: 100_000)), "nested.safetensors"))
    }

    @Test("npy: truncated at every byte of the header and in the data, bad lengths, overflowing and negative shapes")
    func badNPY() throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("readers/conv.weight.npy")))
        for cut in Array(6..<129) + [whole.count - 1] {
            refusal(write(whole.prefix(cut), "cut-\(cut).npy"))
        }
        func npy(_ header: String) -> Data {
            var bytes = Data(NPYReader.magic + [1, 0])
            bytes.append(contentsOf: [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
            bytes.append(contentsOf: Array(header.utf8))
            bytes.append(Data(count: 16))
            return bytes
        }
        #expect(refusal(write(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"), "overflow.npy")).contains("shape"))
        #expect(refusal(write(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4), }"), "negative.npy")).contains("shape"))
        #expect(refusal(write(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100,), }"), "short.npy")).contains("bytes"))
        #expect(refusal(write(npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }"), "complex.npy")).contains("c8"))
        refusal(write(npy("{'descr': '<f4', 'fortran_order': False, 'shape': " + String(repeating: "(", count: 10_000)), "nested.npy"))
        refusal(write(npy("not a dict"), "text.npy"))
        var version = npy("{}")
        version[6] = 9
        #expect(refusal(write(version, "version.npy")).contains("version"))
    }

    @Test("npz: truncated archives, a central directory that lies, entries that are not arrays")
    func badNPZ() throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("readers/stored.npz")))
        for cut in stride(from: 4, to: whole.count, by: 97) {
            refusal(write(whole.prefix(cut), "cut-\(cut).npz"))
        }
        // The central directory's uncompressed size of the first entry (offset 24 of its header) made huge.
        var lying = whole
        let directory = try #require(lying.firstRange(of: Data([0x50, 0x4B, 0x01, 0x02])))
        for k in 0..<4 { lying[directory.lowerBound + 24 + k] = 0x7F }
        refusal(write(lying, "lying.npz"))
        // A stored entry's bytes changed: the CRC no longer matches.
        var damaged = whole
        damaged[200] ^= 0xFF
        refusal(write(damaged, "crc.npz"))
        let folder = Self.folder.appendingPathComponent("notarray.npz").path
        try ZipArchive.writeStored([(name: "readme.txt", data: Data("hello".utf8))], to: folder)
        #expect(refusal(folder).contains("readme.txt"))
    }

    @Test("a truncated PyTorch pickle is read as one and refused")
    func pickle() {
        #expect(refusal(write(Data([0x80, 0x02, 0x8A, 0x0A]), "model.pth")).contains("legacy format"))
    }
}

@Suite("Inputs found by fuzzing")
struct FuzzFindingsTests {
    @Test("each input that once crashed a reader is now read, or refused with one sentence")
    func findings() throws {
        let folder = Fixtures.root.appendingPathComponent("fuzz")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(files.count >= 3)
        for file in files {
            let path = folder.appendingPathComponent(file).path
            do { _ = try Checkpoint.read(path: path) } catch {
                #expect(error.file == path && !error.problem.contains("\n"))
            }
        }
        #expect(try Checkpoint.read(path: folder.appendingPathComponent("npy-empty-fortran-array-with-huge-extents.npy").path).tensors[0].tensor.count == 0)
        let twoTypes = folder.appendingPathComponent("torch-legacy-storage-read-as-two-element-types.pt").path
        #expect(throws: CheckpointError(file: twoTypes, problem: "reads storage '5' both as int64 and as float32 at byte 669 (pickle 4 of the legacy format, the object)")) { try Checkpoint.read(path: twoTypes) }
    }
}
