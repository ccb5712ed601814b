/// Deterministic images for networks without a data set at hand: `pattern:N` and `smooth:N`, at any
/// side (32 for CIFAR networks, 224 for ImageNet ones), as 8-bit values like stored images.
public enum GeneratedImages {
    /// The images `text` names, `pattern:N` or `smooth:N` (N from 1 to `limit`); nil when `text` names
    /// none; fails with a sentence when N is not a count in range.
    public static func named(_ text: String, side: Int, limit: Int = 100_000) throws(ImageSpecError) -> ImageSet? {
        let kinds: [(prefix: String, make: (Int) -> ImageSet)] = [("pattern:", { pattern(count: $0, side: side) }),
                                                                  ("smooth:", { smooth(count: $0, side: side) })]
        guard let kind = kinds.first(where: { text.hasPrefix($0.prefix) }) else { return nil }
        guard let count = Int(text.dropFirst(kind.prefix.count)), (1...limit).contains(count) else {
            throw .count(text: text, expected: "\(kind.prefix)N with N from 1 to \(limit)")
        }
        return kind.make(count)
    }

    /// The deterministic pattern of ../reference/forward-logits.json:
    /// x[n][c][h][w] = ((7 h + 13 w + 29 c + 61 n) mod 256) / 255, for n in 0..<count.
    public static func pattern(count: Int, side: Int = 32) -> ImageSet {
        images(count: count, side: side) { n, c, h, w in UInt8((7 * h + 13 * w + 29 * c + 61 * n) % 256) }
    }

    /// Smooth random colour images: per image and channel, a seeded 5 x 5 grid of values in [0, 1)
    /// interpolated bilinearly over the image (grid point k at pixel (side - 1) k / 4), rounded down to
    /// 8-bit levels. Unlike `pattern`, trained CIFAR networks assign them to several classes.
    public static func smooth(count: Int, seed: UInt64 = 0, side: Int = 32) -> ImageSet {
        var generator = SeededGenerator(seed: seed, stream: "smooth images")
        let grids = (0..<(count * 3)).map { _ in (0..<25).map { _ in generator.nextUniform() } }
        let positions = (0..<side).map { Double($0) * 4 / Double(side - 1) }
        return images(count: count, side: side) { n, c, h, w in
            let grid = grids[n * 3 + c]
            let row = min(Int(positions[h]), 3), column = min(Int(positions[w]), 3)
            let fy = positions[h] - Double(row), fx = positions[w] - Double(column)
            let value = grid[row * 5 + column] * (1 - fy) * (1 - fx) + grid[(row + 1) * 5 + column] * fy * (1 - fx)
                + grid[row * 5 + column + 1] * (1 - fy) * fx + grid[(row + 1) * 5 + column + 1] * fy * fx
            return UInt8((value * 255).rounded(.down))
        }
    }

    /// Unlabelled images whose byte at (n, c, h, w) is `value(n, c, h, w)`.
    static func images(count: Int, side: Int, _ value: (Int, Int, Int, Int) -> UInt8) -> ImageSet {
        var pixels = [UInt8](repeating: 0, count: count * 3 * side * side)
        for n in 0..<count {
            for c in 0..<3 {
                for h in 0..<side {
                    for w in 0..<side { pixels[((n * 3 + c) * side + h) * side + w] = value(n, c, h, w) }
                }
            }
        }
        return ImageSet(side: side, pixels: pixels, labels: nil)
    }
}
