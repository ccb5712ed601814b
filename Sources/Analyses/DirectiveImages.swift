import FPGM
import Notebook

/// Images for a directive's `data:`, `input:` or `recalibrate:` argument: a data spec as the command
/// line takes it, with files relative to the notebook.
enum DirectiveImages {
    /// The statistics images are normalised with, shared by the directives that read images.
    static let normalize = ArgumentSpec("normalize", .choice(Normalization.allCases.map(\.rawValue)), default: .string("imagenet"), help: "the statistics images are normalised with: imagenet (akamaster's weights) or cifar (the FPGM authors' code)")

    /// The credit every report that shows CIFAR-10 images' results carries.
    static let credit = "CIFAR-10 images: Krizhevsky, *Learning Multiple Layers of Features from Tiny Images*, 2009."

    /// The images of `spec` for the argument `argument`; a wrong spec names the argument.
    static func load(_ spec: String, argument: String, split: DataSplit, side: Int = 32, context: CellContext) throws -> ImageSet {
        do {
            return try ImageData().load(spec, split: split, side: side, generatedLimit: 10_000) { path throws in try context.input(path) }
        } catch let error as ImageSpecError {
            throw DirectiveFailure("\(argument): \(error.description)")
        }
    }

    /// Whether `spec` names generated rather than real images.
    static func isSynthetic(_ spec: String) -> Bool { spec.hasPrefix("pattern:") || spec.hasPrefix("smooth:") }
}
