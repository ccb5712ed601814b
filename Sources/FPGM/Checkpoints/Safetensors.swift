import Foundation

/// The safetensors format: an 8-byte little-endian header length n, n bytes of JSON mapping each
/// tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets into the data that
/// follows the header) plus an optional `__metadata__` string map, then the tensor data.
enum Safetensors {
    /// Headers longer than this are refused before they are read (the reference implementation's limit).
    static let maximumHeaderLength = 100 * 1024 * 1024

    static let dtypeCodes: [String: ScalarType] = [
        "F32": .float32, "F64": .float64, "F16": .float16, "BF16": .bfloat16, "I64": .int64,
        "I32": .int32, "I16": .int16, "I8": .int8, "U8": .uint8, "BOOL": .bool,
    ]
}

enum SafetensorsReader {
    static func read(_ file: FileBytes, file path: String) throws(CheckpointError) -> Checkpoint {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: path, problem: problem) }
        let data = file.all
        guard data.count >= 8 else {
            throw fail("is not a checkpoint this tool knows (too short for safetensors, and no npy, zip or pickle signature)")
        }
        let declared = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard declared <= UInt64(Safetensors.maximumHeaderLength) else {
            throw fail("declares a safetensors header of \(declared) bytes, more than the \(Safetensors.maximumHeaderLength) allowed (not a safetensors file?)")
        }
        let headerLength = Int(declared)
        guard headerLength <= data.count - 8 else {
            throw fail("declares a safetensors header of \(headerLength) bytes but only \(data.count - 8) follow (truncated?)")
        }
        let start = data.startIndex
        let headerData = data[(start + 8)..<(start + 8 + headerLength)]
        guard let object = try? JSONSerialization.jsonObject(with: headerData),
              let header = object as? [String: Any] else {
            throw fail("has a safetensors header that is not a JSON object")
        }
        let dataStart = 8 + headerLength
        let dataLength = data.count - dataStart
        var metadata = [String: String]()
        var located = [(begin: Int, name: String, dtype: ScalarType, shape: [Int])]()
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw fail("has a __metadata__ entry that is not an object") }
                for (key, item) in map {
                    guard let text = item as? String else { throw fail("has a __metadata__ value for '\(key)' that is not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard let entry = value as? [String: Any],
                  let code = entry["dtype"] as? String,
                  let shapeValues = entry["shape"] as? [Any],
                  let offsetValues = entry["data_offsets"] as? [Any], offsetValues.count == 2 else {
                throw fail("tensor '\(name)' lacks a dtype, shape or data_offsets pair")
            }
            guard let dtype = Safetensors.dtypeCodes[code] else { throw fail("tensor '\(name)' has unsupported dtype '\(code)'") }
            let shape = shapeValues.map(integer)
            guard !shape.contains(nil), let count = Tensor.elementCount(of: shape.compactMap { $0 }) else {
                throw fail("tensor '\(name)' has a negative, fractional or overflowing shape")
            }
            guard let begin = integer(offsetValues[0]), let end = integer(offsetValues[1]), 0 <= begin, begin <= end else {
                throw fail("tensor '\(name)' has invalid data offsets")
            }
            guard end <= dataLength else {
                throw fail("tensor '\(name)' ends at byte \(end) of the data, beyond the \(dataLength) bytes in the file (truncated?)")
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteWidth)
            guard !overflow, bytes == end - begin else {
                throw fail("tensor '\(name)' has \(end - begin) bytes of data for shape \(shape.compactMap { $0 }) of \(dtype.rawValue)")
            }
            located.append((begin, name, dtype, shape.compactMap { $0 }))
        }
        located.sort { ($0.begin, $0.name) < ($1.begin, $1.name) }
        let tensors = data.withUnsafeBytes { raw in
            located.map { item in
                let count = Tensor.elementCount(of: item.shape) ?? 0
                let scalars = item.dtype.decode(UnsafeRawBufferPointer(rebasing: raw[(dataStart + item.begin)...]), count: count)
                return StoredTensor(name: item.name, dtype: item.dtype, tensor: Tensor(validShape: item.shape, scalars: scalars))
            }
        }
        return Checkpoint(format: .safetensors, tensors: tensors, metadata: metadata)
    }

    /// A JSON number that is a whole number representable as Int.
    private static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 9.0e15 else { return nil }
        return number.intValue
    }
}

/// Writes tensors as safetensors (float32, in the order given), with a string metadata map.
/// The header's keys are written in a fixed order, so the same tensors always give the same bytes;
/// the file is written to a temporary name and renamed into place.
public enum SafetensorsWriter {
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:],
                             to path: String) throws(CheckpointError) {
        var fields = [String]()
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in tensors {
            let end = offset + tensor.count * 4
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = "{" + fields.joined(separator: ",") + "}"
        header += String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        var data = Data()
        let length = UInt64(header.utf8.count)
        data.append(contentsOf: (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) })
        data.append(contentsOf: Array(header.utf8))
        for (_, tensor) in tensors {
            tensor.scalars.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CheckpointError(file: path, problem: "cannot be written (\(error.localizedDescription))")
        }
    }

    /// A JSON string literal, escaped by Foundation's encoder (a one-element array, brackets dropped).
    static func jsonString(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text])) ?? Data("[\"\"]".utf8)
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}
