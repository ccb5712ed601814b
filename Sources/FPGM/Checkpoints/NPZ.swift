import Foundation

/// Reads NumPy `.npz` archives (`np.savez`, stored, and `np.savez_compressed`, deflated): a zip of
/// `<name>.npy` arrays. Tensors come in the archive's order (see `ZipArchive.readInParallel`).
enum NPZReader {
    static func read(_ archive: ZipArchive, path: String) throws(CheckpointError) -> Checkpoint {
        let entries = archive.entries.filter { !$0.name.hasSuffix("/") }
        if let stray = entries.first(where: { !$0.name.hasSuffix(".npy") }) {
            throw CheckpointError(file: path, problem: "holds '\(stray.name)', which is not a .npy array; an .npz holds only arrays")
        }
        let tensors = try archive.readInParallel(entries) { (source: inout ZipArchive.EntrySource) throws(CheckpointError) in
            try NPYReader.read(from: &source, name: String(source.entry.name.dropLast(4)), file: path)
        }
        return Checkpoint(format: .npz, tensors: tensors, metadata: [:])
    }
}

/// Writes tensors as a NumPy `.npz` of stored little-endian float32 arrays, as `np.savez` does.
public enum NPZWriter {
    public static func write(_ tensors: [(name: String, tensor: Tensor)], to path: String) throws(CheckpointError) {
        let entries = tensors.map { (name: "\($0.name).npy", data: npy($0.tensor)) }
        try ZipArchive.writeStored(entries, to: path)
    }

    /// A version 1.0 `.npy` image: the header dict padded with spaces and a newline so that the data
    /// starts on a multiple of 64 bytes.
    static func npy(_ tensor: Tensor) -> Data {
        let dims = tensor.shape.map(String.init).joined(separator: ", ") + (tensor.shape.count == 1 ? "," : "")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        let unpadded = NPYReader.magic.count + 4 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data(NPYReader.magic + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        tensor.scalars.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }
}
