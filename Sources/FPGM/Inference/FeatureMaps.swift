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

    /// 2 x 2 max pooling of stride 2 (an odd last row or column is dropped, as PyTorch's MaxPool2d(2) does).
    func maxPooled() -> FeatureMaps {
        let height = self.height / 2, width = self.width / 2
        var pooled = FeatureMaps(channels: channels, batch: batch, height: height, width: width)
        for map in 0..<(channels * batch) {
            let from = map * self.height * self.width, to = map * height * width
            for y in 0..<height {
                for x in 0..<width {
                    let top = from + 2 * y * self.width + 2 * x, bottom = top + self.width
                    pooled.values[to + y * width + x] = max(max(values[top], values[top + 1]), max(values[bottom], values[bottom + 1]))
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
