import Foundation

/// Reads NumPy `.npz` archives (`np.savez`, stored, and `np.savez_compressed`, deflated): a zip of
/// `<name>.npy` arrays. Tensors come in the archive's order. Large archives are read by one thread per
/// core, each through its own libzip handle, over a share of the entries balanced by size.
enum NPZReader {
    /// Archives smaller than this are read on one thread.
    static let parallelThreshold = 8 << 20

    static func read(_ archive: ZipArchive, path: String) throws(CheckpointError) -> Checkpoint {
        let entries = archive.entries.filter { !$0.name.hasSuffix("/") }
        if let stray = entries.first(where: { !$0.name.hasSuffix(".npy") }) {
            throw CheckpointError(file: path, problem: "holds '\(stray.name)', which is not a .npy array; an .npz holds only arrays")
        }
        let total = entries.reduce(0) { $0 + $1.size }
        let threads = total < parallelThreshold ? 1 : max(1, min(ProcessInfo.processInfo.activeProcessorCount, entries.count))
        // Largest first, each to the share with the fewest bytes so far.
        var shares = [[Int]](repeating: [], count: threads), load = [Int](repeating: 0, count: threads)
        for index in entries.indices.sorted(by: { entries[$0].size > entries[$1].size }) {
            let lightest = load.indices.min { load[$0] < load[$1] }!
            shares[lightest].append(index)
            load[lightest] += entries[index].size
        }
        let assigned = shares
        // Each share reads through its own handle; the first share uses the one opened above.
        nonisolated(unsafe) let firstHandle = archive
        var results = [Result<StoredTensor, CheckpointError>?](repeating: nil, count: entries.count)
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let slots = buffer
            DispatchQueue.concurrentPerform(iterations: threads) { share in
                do throws(CheckpointError) {
                    let handle = share == 0 ? firstHandle : try ZipArchive(path: path)
                    for index in assigned[share] {
                        let entry = handle.entries[entries[index].position]
                        slots[index] = Result { () throws(CheckpointError) in
                            try handle.reading(entry) { (source: inout ZipArchive.EntrySource) throws(CheckpointError) in
                                try NPYReader.read(from: &source, name: String(entry.name.dropLast(4)), file: path)
                            }
                        }
                    }
                } catch {
                    for index in assigned[share] where slots[index] == nil { slots[index] = .failure(error) }
                }
            }
        }
        var tensors = [StoredTensor]()
        for result in results {
            guard let result else { continue }
            tensors.append(try result.get())
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
