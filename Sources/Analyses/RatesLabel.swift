import FPGM
import Report

extension NumberFormat {
    /// How a rate pair reads in a table: "40%" for FPGM-only (R = 1), "30% + 10%" for norm plus criterion.
    static func ratesLabel(_ rates: PruningRates) -> String {
        let dist = fixedTrimmed(rates.rateDist * 100)
        guard rates.rateNorm < 1 else { return "\(dist)%" }
        return "\(fixedTrimmed((1 - rates.rateNorm) * 100))% + \(dist)%"
    }

    private static func fixedTrimmed(_ value: Double) -> String {
        var text = fixed(value, digits: 2)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
