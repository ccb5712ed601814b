import Report

/// The JSON report: every cell's label, directive, arguments, exported values, status, timing and diagnostics.
public enum ReportJSON {
    public static func text(_ outcome: RenderOutcome, notebook: Notebook) -> String {
        let cells = outcome.records.map { record -> JSONValue in
            .object([
                ("label", .string(record.label)),
                ("directive", .string(record.directive)),
                ("line", .int(record.line)),
                ("arguments", .object(record.arguments.keys.sorted().map { ($0, json(record.arguments[$0]!)) })),
                ("values", record.valuesJSON),
                ("tables", .array(record.tables.map(json))),
                ("status", .string(record.status.rawValue)),
                ("seconds", .double((record.seconds * 1e4).rounded() / 1e4)),
                ("diagnostics", .array(record.diagnostics.map(JSONValue.string))),
            ])
        }
        return JSONValue.object([
            ("notebook", .string(notebook.path)),
            ("title", outcome.document.title.map(JSONValue.string) ?? .null),
            ("cells", .array(cells)),
        ]).text(indent: 2) + "\n"
    }

    /// A table's columns and rows as the report shows them; a cell of a measured column is
    /// `{"measured": text}`, so that it is known as a measurement (it differs from run to run).
    static func json(_ table: Table) -> JSONValue {
        .object([
            ("columns", .array(table.columns.map(JSONValue.string))),
            ("rows", .array(table.rows.map { row in
                .array(row.enumerated().map { column, text in
                    table.measuredColumns.contains(column) ? .object([("measured", .string(text))]) : .string(text)
                })
            })),
        ])
    }

    static func json(_ value: ArgumentValue) -> JSONValue {
        switch value {
        case let .bool(flag): return .bool(flag)
        case let .integer(number): return .int(number)
        case let .number(number): return .double(number)
        case let .string(text): return .string(text)
        case let .strings(texts): return .array(texts.map(JSONValue.string))
        case let .numbers(numbers): return .array(numbers.map(JSONValue.double))
        }
    }
}
