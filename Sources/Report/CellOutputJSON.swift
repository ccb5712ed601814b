extension CellOutput {
    /// The output as JSON, for caches: `{"table": {"columns", "alignments", "rows", "measured"?}}`, `{"figure": svg}`,
    /// `{"text": text}` or `{"callout": text}`.
    public var json: JSONValue {
        switch self {
        case let .table(table):
            return .object([("table", .object([
                ("columns", .array(table.columns.map(JSONValue.string))),
                ("alignments", .array(table.alignments.map { .string($0 == .right ? "right" : "left") })),
                ("rows", .array(table.rows.map { .array($0.map(JSONValue.string)) })),
            ] + (table.measuredColumns.isEmpty ? [] : [("measured", .array(table.measuredColumns.sorted().map(JSONValue.int)))])))])
        case let .figure(svg): return .object([("figure", .string(svg))])
        case let .text(text): return .object([("text", .string(text))])
        case let .callout(text): return .object([("callout", .string(text))])
        }
    }

    /// The output from its JSON form (as `JSONSerialization` reads it), or nil when it is not one.
    public init?(json: Any) {
        guard let object = json as? [String: Any], object.count == 1, let (kind, value) = object.first else { return nil }
        switch (kind, value) {
        case let ("figure", svg as String): self = .figure(svg: svg)
        case let ("text", text as String): self = .text(text)
        case let ("callout", text as String): self = .callout(text)
        case let ("table", fields as [String: Any]):
            guard let columns = fields["columns"] as? [String], let alignments = fields["alignments"] as? [String],
                  let rows = fields["rows"] as? [[String]], alignments.count == columns.count,
                  rows.allSatisfy({ $0.count == columns.count }) else { return nil }
            self = .table(Table(columns: columns, alignments: alignments.map { $0 == "right" ? .right : .left }, rows: rows,
                                measuredColumns: Set((fields["measured"] as? [Int] ?? []).filter { columns.indices.contains($0) })))
        default: return nil
        }
    }
}
