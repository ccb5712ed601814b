import Foundation
import Testing
@testable import Report

@Suite("Report tables, numbers and JSON")
struct TableTests {
    @Test("a pipe table with aligned, padded columns and escaped pipes")
    func markdown() {
        let table = Table(columns: ["Arch", "MACs"], alignments: [.left, .right],
                          rows: [["resnet20", "40,550,400"], ["a|b", "1"]])
        #expect(table.markdown == """
        | Arch     |       MACs |
        | :------- | ---------: |
        | resnet20 | 40,550,400 |
        | a\\|b     |          1 |

        """)
    }

    @Test("numbers: grouped thousands, fixed decimals, trimmed zeros")
    func numbers() {
        #expect(NumberFormat.grouped(125_485_056) == "125,485,056")
        #expect(NumberFormat.grouped(59_436_564.48) == "59,436,564")
        #expect(NumberFormat.grouped(-1234.5) == "-1,235")
        #expect(NumberFormat.grouped(999) == "999")
        #expect(NumberFormat.fixed(52.634, digits: 1) == "52.6")
        #expect(NumberFormat.trimmed(0.6000) == "0.6")
        #expect(NumberFormat.trimmed(40) == "40")
    }

    @Test("index lists: runs of three or more read as ranges, in ascending order")
    func indexRanges() {
        #expect(NumberFormat.indexRanges([12, 0, 1, 2, 3, 7, 9, 10, 11]) == "0-3 7 9-12")
        #expect(NumberFormat.indexRanges([5, 6, 8]) == "5 6 8")
        #expect(NumberFormat.indexRanges([4]) == "4" && NumberFormat.indexRanges([]) == "")
        #expect(NumberFormat.indexRanges(Array(0..<64)) == "0-63")
    }

    @Test("exported values: prose shows the text, JSON the typed value with the same digits; a cache entry reads back as it was written")
    func exportedValues() {
        let cases: [(ExportedValue, String, String)] = [
            (.count(853_018), "853,018", "853018"),
            (.integer(1245), "1245", "1245"),
            (.fixed(0.14457831, digits: 4), "0.1446", "0.1446"),
            (.fixed(-2.5, digits: 2), "-2.50", "-2.5"),
            (.trimmed(0.4), "0.4", "0.4"),
            (.scientific(1.3093e-15, digits: 2), "1.31e-15", "1.31e-15"),
            (.flag(false), "no", "false"),
            (.text("say \"hi\""), "say \"hi\"", "\"say \\\"hi\\\"\""),
        ]
        for (value, text, json) in cases {
            #expect(value.text == text && value.json.text() == json, "\(text)")
            #expect(ExportedValue(stored: value.stored) == value, "\(text)")
        }
        let percent = ExportedValue.fractionAndPercent("reduction", 0.52634, percentDigits: 1)
        #expect(percent.map(\.key) == ["reduction", "reduction_percent"] && percent.map(\.value.text) == ["0.526", "52.6"])
        for stored in [["1"], ["1", "not json"], ["x", "[1]"], ["x", "{}"]] { #expect(ExportedValue(stored: stored) == nil, "\(stored)") }
    }

    @Test("JSON keeps key order, escapes strings, and writes the same bytes every time")
    func json() {
        let value = JSONValue.object([("b", .int(1)), ("a", .array([.double(0.5), .null, .bool(true)])),
                                      ("s", .string("q\"\\\n\u{1}")), ("o", .object([])), ("nan", .double(.nan))])
        #expect(value.text() == #"{"b":1,"a":[0.5,null,true],"s":"q\"\\\n\u0001","o":{},"nan":null}"#)
        #expect(value.text(indent: 2) == """
        {
          "b": 1,
          "a": [0.5, null, true],
          "s": "q\\"\\\\\\n\\u0001",
          "o": {},
          "nan": null
        }
        """)
    }
}

@Suite("Measured columns")
struct MeasuredColumnTests {
    static func table(_ time: String) -> Table {
        Table(columns: ["Network", "Time (ms)"], alignments: [.left, .right], rows: [["full", time], ["compact", "4.2"]], measuredColumns: [1])
    }

    @Test("measured cells are marked in HTML and Markdown; the Markdown header and rule do not depend on their values")
    func marked() {
        let short = Self.table("9.9").markdown.split(separator: "\n"), long = Self.table("12345.6").markdown.split(separator: "\n")
        #expect(short[0] == long[0] && short[1] == long[1])
        #expect(short[0] == "| Network | Time (ms) |")
        #expect(long[2] == "| full    | <span class=\"measured\">12345.6</span> |")
        #expect(short[3] == "| compact | <span class=\"measured\">4.2</span> |")
        let html = HTMLWriter.table(Self.table("9.9"))
        #expect(html.contains("<th class=\"right\">Time (ms)</th>") && html.contains("<td class=\"right measured\">9.9</td>"))
        #expect(CellOutput(json: try! JSONSerialization.jsonObject(with: Data(CellOutput.table(Self.table("9.9")).json.text().utf8))) == .table(Self.table("9.9")))
    }
}
