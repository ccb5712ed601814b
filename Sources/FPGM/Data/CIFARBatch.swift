/// The two formats of one CIFAR-10 batch file (Krizhevsky 2009).
///
/// Binary (`*.bin` of `cifar-10-batches-bin/`): records of 1 + 3072 bytes, a label byte 0-9, then the
/// red, green and blue 32 x 32 planes row by row. Python (`test_batch` of `cifar-10-batches-py/`): a
/// pickled dict whose `labels` is a list of ints and whose `data` is a uint8 numpy array of shape
/// (N, 3072) in the same pixel order, read by the restricted unpickler with numpy's `_reconstruct`,
/// `ndarray` and `dtype` (u1 only) as the only globals; its keys may be byte or text strings.
public enum CIFARBatch {
    /// Bytes per binary record: one label byte, then 3072 pixel bytes.
    public static let recordLength = 1 + imageLength
    /// Pixel bytes per image.
    public static let imageLength = 3 * 32 * 32
    /// The names of classes 0-9, as `batches.meta.txt` lists them.
    public static let classNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    /// The images of a batch file in either format: python when it starts as a pickle does (0x80), binary otherwise.
    public static func decode(_ bytes: [UInt8], file: String) throws(DataError) -> ImageSet {
        bytes.first == 0x80 ? try python(bytes, file: file) : try binary(bytes, file: file)
    }

    /// The images of a binary batch; fails when it is empty, not a whole number of records, or a label is above 9.
    public static func binary(_ bytes: [UInt8], file: String) throws(DataError) -> ImageSet {
        guard !bytes.isEmpty, bytes.count % recordLength == 0 else {
            let whole = bytes.count / recordLength
            throw DataError(file: file, problem: bytes.isEmpty ? "is empty, not a CIFAR-10 batch"
                : "is \(bytes.count) bytes, not a whole number of CIFAR-10 records of \(recordLength) bytes (1 label byte + 3072 pixel bytes): record \(whole) is cut short after \(bytes.count - whole * recordLength) bytes")
        }
        let count = bytes.count / recordLength
        var labels = [Int](), pixels = [UInt8]()
        labels.reserveCapacity(count)
        pixels.reserveCapacity(count * imageLength)
        for n in 0..<count {
            let start = n * recordLength, label = Int(bytes[start])
            guard label < 10 else { throw DataError(file: file, problem: "record \(n) has label \(label), not a class 0-9") }
            labels.append(label)
            pixels.append(contentsOf: bytes[(start + 1)..<(start + recordLength)])
        }
        return ImageSet(side: 32, pixels: pixels, labels: labels)
    }

    /// The images of a python batch; fails naming the byte offset where the pickle goes wrong, or the
    /// key that is missing or malformed.
    public static func python(_ bytes: [UInt8], file: String) throws(DataError) -> ImageSet {
        let registry = ContainerRegistry()
        let result: Result<PickleValue, Unpickler.Failure> = bytes.withUnsafeBytes { raw in
            var unpickler = Unpickler(raw, at: 0, containers: registry, vocabulary: .imageBatch)
            return Result { () throws(Unpickler.Failure) in try unpickler.load() }
        }
        let object: PickleValue
        switch result {
        case let .success(value): object = value
        case let .failure(failure): throw DataError(file: file, problem: "\(failure.message) (pickle byte \(failure.offset))")
        }
        guard case let .dict(batch) = object else { throw DataError(file: file, problem: "holds a pickled \(object.kind), not a CIFAR-10 batch dict") }
        guard case let .numpyArray(array)? = batch.value(textOrBytes: "data"), let data = array.bytes else {
            throw DataError(file: file, problem: "has no 'data' numpy array")
        }
        guard array.shape.count == 2, array.shape[1] == imageLength, array.shape[0] > 0 else {
            throw DataError(file: file, problem: "has 'data' of shape \(array.shape), not (N, 3072) with N at least 1")
        }
        guard case let .list(labelList)? = batch.value(textOrBytes: "labels") else { throw DataError(file: file, problem: "has no 'labels' list") }
        guard labelList.items.count == array.shape[0] else {
            throw DataError(file: file, problem: "has \(labelList.items.count) labels for \(array.shape[0]) images")
        }
        var labels = [Int]()
        labels.reserveCapacity(labelList.items.count)
        for (n, item) in labelList.items.enumerated() {
            guard case let .int(label) = item else { throw DataError(file: file, problem: "image \(n) has a label of type \(item.kind), not a class 0-9") }
            guard (0..<10).contains(label) else { throw DataError(file: file, problem: "image \(n) has label \(label), not a class 0-9") }
            labels.append(label)
        }
        return ImageSet(side: 32, pixels: data, labels: labels)
    }
}
