/// A batch of feature maps stored channel-major: the value of channel c, image n, row y, column x is at
/// ((c * batch + n) * height + y) * width + x. With the channel outermost a convolution of the whole batch
/// is one matrix product (filters x unfolded patches) whose result is already in this layout, and a
/// per-channel operation (batch norm, a constant channel) touches one contiguous run.
public struct FeatureMaps: Sendable, Equatable {
    public let channels: Int
    public let batch: Int
    public let height: Int
    public let width: Int
    public var values: [Float]

    public init(channels: Int, batch: Int, height: Int, width: Int, values: [Float]) {
        precondition(values.count == channels * batch * height * width, "feature maps do not match their shape")
        self.channels = channels
        self.batch = batch
        self.height = height
        self.width = width
        self.values = values
    }

    init(channels: Int, batch: Int, height: Int, width: Int, repeating value: Float = 0) {
        self.init(channels: channels, batch: batch, height: height, width: width,
                  values: [Float](repeating: value, count: channels * batch * height * width))
    }

    /// Values per channel: batch * height * width.
    var channelLength: Int { batch * height * width }

    /// The maps of images `range` only.
    func images(_ range: Range<Int>) -> FeatureMaps {
        let plane = height * width
        var part = [Float]()
        part.reserveCapacity(channels * range.count * plane)
        for channel in 0..<channels {
            let start = (channel * batch + range.lowerBound) * plane
            part.append(contentsOf: values[start..<(start + range.count * plane)])
        }
        return FeatureMaps(channels: channels, batch: range.count, height: height, width: width, values: part)
    }

    /// Max pooling over `window` x `window` squares, `stride` apart, with `padding` rows and columns of
    /// -infinity around the map (PyTorch's MaxPool2d); the side becomes (side + 2 padding - window) / stride + 1.
    func maxPooled(window: Int, stride: Int, padding: Int) -> FeatureMaps {
        let height = (self.height + 2 * padding - window) / stride + 1, width = (self.width + 2 * padding - window) / stride + 1
        var pooled = FeatureMaps(channels: channels, batch: batch, height: height, width: width)
        for map in 0..<(channels * batch) {
            let from = map * self.height * self.width, to = map * height * width
            for y in 0..<height {
                for x in 0..<width {
                    var largest = -Float.infinity
                    for iy in max(0, y * stride - padding)..<min(self.height, y * stride - padding + window) {
                        for ix in max(0, x * stride - padding)..<min(self.width, x * stride - padding + window) {
                            largest = max(largest, values[from + iy * self.width + ix])
                        }
                    }
                    pooled.values[to + y * width + x] = largest
                }
            }
        }
        return pooled
    }

    /// Global average pooling: for each image, the mean of each channel's map, as features[n][c].
    func averagePooled() -> [[Float]] {
        let plane = height * width
        return (0..<batch).map { image in
            (0..<channels).map { channel in
                let start = (channel * batch + image) * plane
                var sum: Float = 0
                for index in start..<(start + plane) { sum += values[index] }
                return sum / Float(plane)
            }
        }
    }
}
