/// Uniform random scores, drawn per layer from a seeded generator: the baseline every criterion
/// should beat. The same seed and layer name always give the same scores.
public struct RandomCriterion: FilterCriterion {
    public let seed: UInt64
    public init(seed: UInt64) { self.seed = seed }
    public var name: String { "random" }

    public func scores(of candidates: [Int], in filters: FilterMatrix, layer: String) -> [Double] {
        var generator = SeededGenerator(seed: seed, stream: layer)
        return candidates.map { _ in generator.nextUniform() }
    }
}
