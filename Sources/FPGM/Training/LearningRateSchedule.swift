import Foundation

/// The learning rate of each epoch (numbered from 0), from the base rate eta_0:
/// - `step`: eta_0 gamma^k, k the number of milestones at or below the epoch (the official
///   `adjust_learning_rate`: for pre-trained networks 0.01, x 0.2 at epochs 60, 120 and 160);
/// - `cosine`: eta_0 (1 + cos(pi e / E)) / 2 over E epochs;
/// - `constant`: eta_0.
public enum LearningRateSchedule: Sendable, Equatable {
    case constant
    case step(milestones: [Int], gamma: Double)
    case cosine

    /// The official schedule of `pruning_cifar10.py`.
    public static let official = LearningRateSchedule.step(milestones: [60, 120, 160], gamma: 0.2)

    /// The rate of epoch `epoch` of `epochs`.
    public func rate(epoch: Int, of epochs: Int, base: Double) -> Double {
        switch self {
        case .constant: base
        case let .step(milestones, gamma): base * pow(gamma, Double(milestones.filter { $0 <= epoch }.count))
        case .cosine: base * (1 + cos(Double.pi * Double(epoch) / Double(max(1, epochs)))) / 2
        }
    }

    /// Parses `constant`, `cosine` or `step:E1,E2,...:GAMMA` (milestones positive and increasing, gamma
    /// in (0, 1]); fails with a sentence saying what is wrong.
    public static func parse(_ text: String) throws(ScheduleError) -> LearningRateSchedule {
        switch text {
        case "constant": return .constant
        case "cosine": return .cosine
        default: break
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "step" else { throw ScheduleError(text: text, problem: "is not 'constant', 'cosine' or 'step:E1,E2,...:GAMMA'") }
        let milestones = parts[1].split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
        guard !milestones.isEmpty, milestones.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ScheduleError(text: text, problem: "has milestones that are not positive whole epochs")
        }
        let epochs = milestones.map { $0! }
        guard zip(epochs, epochs.dropFirst()).allSatisfy({ $0 < $1 }) else { throw ScheduleError(text: text, problem: "has milestones that do not increase") }
        guard let gamma = Double(parts[2]), gamma > 0, gamma <= 1 else { throw ScheduleError(text: text, problem: "has a factor that is not a number in (0, 1]") }
        return .step(milestones: epochs, gamma: gamma)
    }

    /// The schedule as `parse` reads it.
    public var text: String {
        switch self {
        case .constant: "constant"
        case .cosine: "cosine"
        case let .step(milestones, gamma): "step:" + milestones.map(String.init).joined(separator: ",") + ":\(gamma)"
        }
    }
}

/// A learning-rate schedule that does not parse.
public struct ScheduleError: Error, Equatable, CustomStringConvertible {
    public let text: String
    public let problem: String

    public var description: String { "the schedule '\(text)' \(problem)" }
}
