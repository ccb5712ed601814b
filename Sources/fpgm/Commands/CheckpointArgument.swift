import FPGM

/// A checkpoint named on the command line: a file path, or `hub:akamaster/<model>`.
enum CheckpointArgument {
    /// The help text of the argument.
    static let help = "A PyTorch (zip or legacy), .safetensors, .npz or .npy file, or hub:akamaster/<resnet20|32|44|56|110|1202>."

    /// The checkpoint read from a path or from verified hub weights; failures are input errors.
    static func read(_ argument: String) throws(CommandLineError) -> (path: String, checkpoint: Checkpoint) {
        do {
            let path = HubWeights.isReference(argument) ? try HubWeights().resolve(argument) : argument
            return (path, try Checkpoint.read(path: path))
        } catch {
            throw .input(error.description)
        }
    }
}
