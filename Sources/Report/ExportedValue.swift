/// A value a cell exports: the text that `{{label.key}}` shows in prose, and the typed value the JSON
/// report writes (a count as an integer, a measured number as a number with the digits the prose shows,
/// a yes/no as a boolean). Fractions are exported as fractions; a value in percent says so in its name
/// (`top1_masked_fpgm` = 0.1446, `top1_masked_fpgm_percent` = 14.46).
public struct ExportedValue: Sendable, Equatable {
    public let text: String
    public let json: JSONValue

    private init(text: String, json: JSONValue) {
        self.text = text
        self.json = json
    }

    /// A count: "853,018" in prose, 853018 in JSON.
    public static func count(_ value: Int) -> ExportedValue { ExportedValue(text: NumberFormat.grouped(Double(value)), json: .int(value)) }

    /// An integer written with digits only: "55" and 55.
    public static func integer(_ value: Int) -> ExportedValue { ExportedValue(text: String(value), json: .int(value)) }

    /// A number with exactly `digits` decimals: "0.1446" and 0.1446 (the JSON number is the printed one).
    public static func fixed(_ value: Double, digits: Int) -> ExportedValue { number(NumberFormat.fixed(value, digits: digits), value) }

    /// A number with at most `digits` decimals and no trailing zeros: "0.4" and 0.4.
    public static func trimmed(_ value: Double, digits: Int = 4) -> ExportedValue { number(NumberFormat.trimmed(value, digits: digits), value) }

    /// A number in scientific notation with `digits` decimals: "1.31e-15" and 1.31e-15.
    public static func scientific(_ value: Double, digits: Int) -> ExportedValue { number(NumberFormat.scientific(value, digits: digits), value) }

    /// Text, as it is in prose and as a JSON string.
    public static func text(_ value: String) -> ExportedValue { ExportedValue(text: value, json: .string(value)) }

    /// A yes/no: "yes" or "no" in prose, a JSON boolean.
    public static func flag(_ value: Bool) -> ExportedValue { ExportedValue(text: value ? "yes" : "no", json: .bool(value)) }

    /// The number that `text` prints, so that JSON and prose agree to the digit.
    private static func number(_ text: String, _ value: Double) -> ExportedValue {
        ExportedValue(text: text, json: .double(Double(text) ?? value))
    }

    /// A fraction exported twice: `key` as the fraction with `percentDigits + 2` decimals and
    /// `key_percent` in percent with `percentDigits` (0.1446 and 14.46).
    public static func fractionAndPercent(_ key: String, _ fraction: Double, percentDigits: Int) -> [(key: String, value: ExportedValue)] {
        [(key, .fixed(fraction, digits: percentDigits + 2)), (key + "_percent", .fixed(100 * fraction, digits: percentDigits))]
    }

    /// The value as a cache stores it: its text and its JSON text.
    public var stored: [String] { [text, json.text()] }

    /// A value read back from `stored`; nil when the pair is not one.
    public init?(stored: [String]) {
        guard stored.count == 2, let json = JSONValue(scalarText: stored[1]) else { return nil }
        self.init(text: stored[0], json: json)
    }
}
