import Foundation

/// A chart axis: a data range mapped onto a pixel range, linearly or by log10, with tick positions
/// at "nice" values (1, 2 or 5 times a power of ten; powers of ten on a log axis).
public struct Axis: Sendable, Equatable {
    public enum Scale: Sendable, Equatable { case linear, log }

    public let scale: Scale
    public let lower: Double
    public let upper: Double
    public let label: String

    /// An axis covering `values` (with a little room); a log axis needs positive values.
    public init(covering values: [Double], scale: Scale = .linear, label: String, includeZero: Bool = false) {
        self.scale = scale
        self.label = label
        var finite = values.filter { $0.isFinite && (scale == .linear || $0 > 0) }
        if includeZero && scale == .linear { finite.append(0) }
        var low = finite.min() ?? 0, high = finite.max() ?? 1
        switch scale {
        case .linear:
            if low == high { low -= 0.5; high += 0.5 }
            let step = Axis.niceStep((high - low) / 5)
            self.lower = (low / step).rounded(.down) * step
            self.upper = (high / step).rounded(.up) * step
        case .log:
            if low == high { low /= 10; high *= 10 }
            self.lower = pow(10, log10(low).rounded(.down))
            self.upper = pow(10, log10(high).rounded(.up))
        }
    }

    /// The position of `value` between 0 (lower end) and 1 (upper end).
    public func fraction(_ value: Double) -> Double {
        switch scale {
        case .linear: return (value - lower) / (upper - lower)
        case .log: return value > 0 ? (log10(value) - log10(lower)) / (log10(upper) - log10(lower)) : 0
        }
    }

    /// Tick values inside the range.
    public var ticks: [Double] {
        switch scale {
        case .linear:
            let step = Axis.niceStep((upper - lower) / 5)
            let count = Int(((upper - lower) / step).rounded()) + 1
            return (0..<max(1, count)).map { lower + Double($0) * step }
        case .log:
            let first = Int(log10(lower).rounded()), last = Int(log10(upper).rounded())
            return (first...max(first, last)).map { pow(10, Double($0)) }
        }
    }

    /// A tick's text: short, the same on every machine.
    public func tickLabel(_ value: Double) -> String {
        if scale == .log {
            let exponent = Int(log10(value).rounded())
            return (-2...3).contains(exponent) ? NumberFormat.trimmed(value, digits: 2) : "1e\(exponent)"
        }
        let magnitude = abs(value)
        if magnitude != 0 && (magnitude >= 1e5 || magnitude < 1e-3) { return String(format: "%.0e", value) }
        return NumberFormat.trimmed(value, digits: 4)
    }

    /// The nice step nearest above `raw`: 1, 2 or 5 times a power of ten.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let power = pow(10, log10(raw).rounded(.down))
        let scaled = raw / power
        return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power
    }
}
