import FPGM
import Report

extension NumberFormat {
    /// How a rate pair reads in a table: "40%" for FPGM-only (R = 1), "30% + 10%" for norm plus criterion.
    static func ratesLabel(_ rates: PruningRates) -> String {
        let dist = trimmed(rates.rateDist * 100, digits: 2)
        guard rates.rateNorm < 1 else { return "\(dist)%" }
        return "\(trimmed((1 - rates.rateNorm) * 100, digits: 2))% + \(dist)%"
    }
}

extension PruningRates {
    /// The rates a cell asks for; a rate out of [0, 1] is named by the notebook's argument (`rate_norm`,
    /// `rate_dist`), other selection errors as the engine words them.
    static func cell(rateNorm: Double = 1.0, rateDist: Double) throws(DirectiveFailure) -> PruningRates {
        do throws(SelectionError) {
            return try PruningRates(rateNorm: rateNorm, rateDist: rateDist)
        } catch {
            guard case let .rateOutOfRange(step, value) = error else { throw DirectiveFailure(error.description) }
            throw DirectiveFailure("\(step == .norm ? "rate_norm" : "rate_dist") must lie in [0, 1], got \(value)")
        }
    }
}
