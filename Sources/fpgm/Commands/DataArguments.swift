import FPGM

/// The image options of `fpgm forward` and `fpgm evaluate`: a data spec and the normalisation.
enum DataArguments {
    static let normalizeOption = OptionSpec.value(
        "--normalize", "statistics",
        help: "The per-channel statistics images are normalised with: those the weights were trained with (imagenet for akamaster's weights, cifar for the FPGM authors' code).",
        default: Normalization.imagenet.rawValue, values: Normalization.allCases.map(\.rawValue))

    static let dataHelp = "hub:cifar10/test or hub:cifar10/train, a CIFAR-10 batch file (binary or python), a folder (cifar-10-batches-bin/, cifar-10-batches-py/, or one holding either or an archive), an official .tar.gz archive (with :test or :train to choose the split), or pattern:N / smooth:N"

    static func normalization(_ arguments: ParsedArguments, spec: CommandSpec) -> Normalization {
        arguments.choice(normalizeOption, as: Normalization.self) ?? .imagenet
    }

    /// The images of a data spec given to `option`: a mistake in the spec is a usage error (exit 2), data
    /// that cannot be read an input error (exit 3).
    /// The images of a data spec given to `option`; a count that does not parse names the option.
    static func images(_ text: String, option: OptionSpec, split: DataSplit, side: Int = 32, spec: CommandSpec) throws(CommandLineError) -> ImageSet {
        do {
            return try ImageData().load(text, split: split, side: side)
        } catch let ImageSpecError.count(text, expected) {
            throw spec.usage("The value '\(text)' is invalid for '\(option.synopsis)': give \(expected)")
        } catch let error as ImageSpecError {
            throw spec.usage(error.description)
        } catch {
            throw .input("\(error)")
        }
    }
}
