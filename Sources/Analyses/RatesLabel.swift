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
