/// The official training augmentation, drawn from the seeded generator: each image is padded with
/// `padding` zero pixels on every side (black, before normalisation, as torchvision pads), cropped back
/// to its side at a uniform offset (dy, dx) in 0...2 padding, and mirrored left to right with
/// probability 1/2. Draws per image, in order: dy, dx, the flip.
public enum Augmentation: String, Sendable, CaseIterable {
    case cropFlip = "crop-flip"
    case none

    /// The padding of `cropFlip`.
    public static let padding = 4

    /// Images `indices` of `images`, augmented, as one set in that order.
    public func batch(_ images: ImageSet, indices: [Int], generator: inout SeededGenerator) -> ImageSet {
        let side = images.side, length = images.imageLength, plane = side * side
        var pixels = [UInt8](repeating: 0, count: indices.count * length)
        for (slot, index) in indices.enumerated() {
            let source = index * length, target = slot * length
            guard self == .cropFlip else {
                pixels.replaceSubrange(target..<(target + length), with: images.pixels[source..<(source + length)])
                continue
            }
            let dy = Int(generator.next() % UInt64(2 * Self.padding + 1)) - Self.padding
            let dx = Int(generator.next() % UInt64(2 * Self.padding + 1)) - Self.padding
            let flip = generator.next() & 1 == 1
            for c in 0..<3 {
                for y in 0..<side {
                    let sourceY = y + dy
                    guard sourceY >= 0, sourceY < side else { continue }
                    for x in 0..<side {
                        let sourceX = (flip ? side - 1 - x : x) + dx
                        guard sourceX >= 0, sourceX < side else { continue }
                        pixels[target + c * plane + y * side + x] = images.pixels[source + c * plane + sourceY * side + sourceX]
                    }
                }
            }
        }
        return ImageSet(side: side, pixels: pixels, labels: images.labels.map { labels in indices.map { labels[$0] } })
    }
}

extension SeededGenerator {
    /// A uniformly shuffled 0..<count (Fisher-Yates, drawing j uniform in 0...i by rejection).
    mutating func permutation(_ count: Int) -> [Int] {
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            let bound = UInt64(i + 1), limit = UInt64.max - UInt64.max % bound
            var draw = next()
            while draw >= limit { draw = next() }
            order.swapAt(i, Int(draw % bound))
        }
        return order
    }
}
