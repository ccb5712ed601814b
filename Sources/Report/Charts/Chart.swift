import Foundation

/// A chart drawn as a self-contained SVG document (no script, no external reference), with the same
/// bytes for the same data on every machine: coordinates are written with two decimals.
public struct Chart: Sendable, Equatable {
    /// One named series of (x, y) points.
    public struct Series: Sendable, Equatable {
        public let name: String
        public let points: [(x: Double, y: Double)]

        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }

        public static func == (a: Series, b: Series) -> Bool {
            a.name == b.name && a.points.map(\.x) == b.points.map(\.x) && a.points.map(\.y) == b.points.map(\.y)
        }
    }

    public enum Mark: Sendable, Equatable {
        /// Connected points.
        case lines([Series])
        /// Unconnected points, one colour per series (a scatter plot).
        case points([Series])
        /// Vertical bars from zero, one group per category, one bar per series; `label` names the categories.
        case bars(categories: [String], label: String, series: [(name: String, values: [Double])])
        /// Bars spanning [edges[i], edges[i+1]) with the given heights (a histogram).
        case histogram(edges: [Double], counts: [Double])
        /// A density curve with a rug: one tick per observation along the x axis.
        case density(curve: [(x: Double, y: Double)], rug: [Double])
        /// A matrix of values as coloured cells, row 0 at the top.
        case heatMap(values: [[Double]], rowLabels: [String], columnLabels: [String])

        public static func == (a: Mark, b: Mark) -> Bool { String(describing: a) == String(describing: b) }
    }

    public let title: String
    public let mark: Mark
    public let xAxis: Axis?
    public let yAxis: Axis?
    /// Prefix of element ids, so that several charts can share one HTML page.
    public let id: String
    /// Names of bar or line series whose values are measurements (they differ between renders): their
    /// bars and lines carry `class="measured"`, as measured table cells do.
    public let measuredSeries: Set<String>

    public init(id: String, title: String, mark: Mark, xAxis: Axis? = nil, yAxis: Axis? = nil, measuredSeries: Set<String> = []) {
        self.id = id
        self.title = title
        self.mark = mark
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.measuredSeries = measuredSeries
    }

    static let width = 640.0, height = 360.0
    static let left = 64.0, right = 16.0, top = 32.0, bottom = 48.0, legendWidth = 170.0
    static let palette = ["#1a5fb4", "#c64600", "#26a269", "#a51d2d", "#613583", "#986a44"]

    /// The plot rectangle's size, and where a value falls in it.
    struct PlotArea {
        let width: Double
        let height: Double

        func x(_ value: Double, _ axis: Axis) -> Double { Chart.left + axis.fraction(value) * width }
        func y(_ value: Double, _ axis: Axis) -> Double { Chart.top + (1 - axis.fraction(value)) * height }
    }

    /// What the marks draw: the shapes inside the plot (clipped to it), the labels under it, the height
    /// turned labels add, and the legend's entries (name and colour).
    struct Drawing {
        var body = "", labels = "", extra = 0.0
        var legend = [(String, String)]()
    }

    /// The chart as an SVG document: the marks clipped to the plot area, labels that do not fit turned
    /// or thinned (`categoryLabels`), and the height grown to hold turned labels.
    public var svg: String {
        // A legend gets a column of its own to the right of the plot.
        let right = hasLegend ? Chart.legendWidth : Chart.right
        let area = PlotArea(width: Chart.width - Chart.left - right, height: Chart.height - Chart.top - Chart.bottom)
        let drawing = marks(in: area)
        let height = Chart.height + drawing.extra
        var axes = ""
        if let xAxis { axes += horizontal(xAxis, plotWidth: area.width, plotHeight: area.height, height: height) }
        if let yAxis { axes += vertical(yAxis, plotHeight: area.height) }
        var key = ""
        for (index, (name, colour)) in drawing.legend.filter({ !$0.0.isEmpty }).enumerated() {
            let top = Chart.top + 4 + Double(index) * 16, left = Chart.width - Chart.legendWidth + 12
            key += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"10\" height=\"10\" fill=\"\(colour)\"/>"
            key += "<text x=\"\(f(left + 15))\" y=\"\(f(top + 9))\" font-size=\"11\">\(HTMLWriter.escape(name))</text>\n"
        }
        let clip = HTMLWriter.escape(id) + "-plot"
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(HTMLWriter.escape(id))\" viewBox=\"0 0 \(Int(Chart.width)) \(f0(height))\" width=\"\(Int(Chart.width))\" height=\"\(f0(height))\" role=\"img\" aria-labelledby=\"\(HTMLWriter.escape(id))-title\" font-family=\"system-ui, sans-serif\" fill=\"currentColor\">\n"
            + "<title id=\"\(HTMLWriter.escape(id))-title\">\(HTMLWriter.escape(title))</title>\n"
            + "<defs><clipPath id=\"\(clip)\"><rect x=\"\(f(Chart.left))\" y=\"\(f(Chart.top))\" width=\"\(f(area.width))\" height=\"\(f(area.height))\"/></clipPath></defs>\n"
            + "<text x=\"\(f(Chart.left))\" y=\"18\" font-size=\"13\" font-weight=\"600\">\(HTMLWriter.escape(title))</text>\n"
            + axes + "<g clip-path=\"url(#\(clip))\">\n" + drawing.body + "</g>\n" + drawing.labels + key + "</svg>\n"
    }

    /// The marks of every kind of chart in `area`.
    func marks(in area: PlotArea) -> Drawing {
        var drawing = Drawing()
        switch mark {
        case let .lines(series):
            guard let xAxis, let yAxis else { break }
            for (index, line) in series.enumerated() {
                let colour = Chart.palette[index % Chart.palette.count]
                let path = line.points.filter { $0.x.isFinite && $0.y.isFinite }.map { "\(f(area.x($0.x, xAxis))),\(f(area.y($0.y, yAxis)))" }.joined(separator: " ")
                let measured = measuredSeries.contains(line.name) ? " class=\"measured\"" : ""
                drawing.body += "<polyline\(measured) fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(path)\"/>\n"
                drawing.legend.append((line.name, colour))
            }
        case let .points(series):
            guard let xAxis, let yAxis else { break }
            for (index, group) in series.enumerated() where !group.points.isEmpty {
                let colour = Chart.palette[index % Chart.palette.count]
                for point in group.points where point.x.isFinite && point.y.isFinite {
                    drawing.body += "<circle cx=\"\(f(area.x(point.x, xAxis)))\" cy=\"\(f(area.y(point.y, yAxis)))\" r=\"5\" fill=\"\(colour)\"/>\n"
                }
                drawing.legend.append((group.name, colour))
            }
        case let .bars(categories, label, series):
            guard let yAxis, !categories.isEmpty else { break }
            drawing = bars(categories, label: label, series: series, yAxis: yAxis, in: area)
        case let .histogram(edges, counts):
            guard let xAxis, let yAxis else { break }
            for (index, count) in counts.enumerated() where index + 1 < edges.count {
                let left = area.x(edges[index], xAxis), right = area.x(edges[index + 1], xAxis), top = area.y(count, yAxis), base = area.y(yAxis.lower, yAxis)
                drawing.body += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(max(0, right - left - 1)))\" height=\"\(f(max(0, base - top)))\" fill=\"\(Chart.palette[0])\" fill-opacity=\"0.8\"/>\n"
            }
        case let .density(curve, rug):
            guard let xAxis, let yAxis else { break }
            let path = curve.filter { $0.x.isFinite && $0.y.isFinite }.map { "\(f(area.x($0.x, xAxis))),\(f(area.y($0.y, yAxis)))" }.joined(separator: " ")
            drawing.body += "<polyline fill=\"none\" stroke=\"\(Chart.palette[0])\" stroke-width=\"2\" points=\"\(path)\"/>\n"
            let base = Chart.top + area.height
            for value in rug where value.isFinite && (xAxis.scale == .linear || value > 0) {
                drawing.body += "<line x1=\"\(f(area.x(value, xAxis)))\" x2=\"\(f(area.x(value, xAxis)))\" y1=\"\(f(base))\" y2=\"\(f(base - 10))\" stroke=\"\(Chart.palette[2])\" stroke-width=\"1\"/>\n"
            }
        case let .heatMap(values, rowLabels, columnLabels):
            guard !values.isEmpty, !(values.first?.isEmpty ?? true) else { break }
            drawing = heatMap(values, rowLabels: rowLabels, columnLabels: columnLabels, in: area)
        }
        return drawing
    }

    /// Bars: a group per category, a bar per series in it (measured series marked), the category labels
    /// and the axis label under the plot.
    func bars(_ categories: [String], label: String, series: [(name: String, values: [Double])], yAxis: Axis, in area: PlotArea) -> Drawing {
        var drawing = Drawing()
        let group = area.width / Double(categories.count), barWidth = group * 0.8 / Double(max(1, series.count))
        for (s, entry) in series.enumerated() {
            let colour = Chart.palette[s % Chart.palette.count]
            let measured = measuredSeries.contains(entry.name) ? " class=\"measured\"" : ""
            for (c, value) in entry.values.enumerated() where c < categories.count && value.isFinite {
                let top = area.y(max(value, yAxis.lower), yAxis), base = area.y(max(0, yAxis.lower), yAxis)
                drawing.body += "<rect\(measured) x=\"\(f(Chart.left + Double(c) * group + group * 0.1 + Double(s) * barWidth))\" y=\"\(f(min(top, base)))\" width=\"\(f(barWidth))\" height=\"\(f(abs(base - top)))\" fill=\"\(colour)\"/>\n"
            }
            drawing.legend.append((entry.name, colour))
        }
        (drawing.labels, drawing.extra) = categoryLabels(categories, spacing: group, first: Chart.left + group / 2, baseline: Chart.top + area.height + 16, fontSize: 11)
        drawing.labels += horizontalLabel(label, plotWidth: area.width, height: Chart.height + drawing.extra)
        return drawing
    }

    /// A heat map: a cell per value coloured from the lowest to the highest, the row labels to the left,
    /// the column labels under the plot, and the range in the legend.
    func heatMap(_ values: [[Double]], rowLabels: [String], columnLabels: [String], in area: PlotArea) -> Drawing {
        var drawing = Drawing()
        let rows = values.count, columns = values[0].count
        let finite = values.flatMap { $0 }.filter(\.isFinite)
        let low = finite.min() ?? 0, high = finite.max() ?? 1
        let cellWidth = area.width / Double(columns), cellHeight = area.height / Double(rows)
        for (r, row) in values.enumerated() {
            for (c, value) in row.enumerated() {
                let t = high > low && value.isFinite ? (value - low) / (high - low) : 0
                drawing.body += "<rect x=\"\(f(Chart.left + Double(c) * cellWidth))\" y=\"\(f(Chart.top + Double(r) * cellHeight))\" width=\"\(f(cellWidth))\" height=\"\(f(cellHeight))\" fill=\"\(Chart.colour(t))\"/>\n"
            }
        }
        for (r, label) in rowLabels.enumerated() where r < rows {
            drawing.labels += "<text x=\"\(f(Chart.left - 4))\" y=\"\(f(Chart.top + (Double(r) + 0.5) * cellHeight + 4))\" text-anchor=\"end\" font-size=\"10\">\(HTMLWriter.escape(label))</text>\n"
        }
        let placed = categoryLabels(Array(columnLabels.prefix(columns)), spacing: cellWidth, first: Chart.left + cellWidth / 2,
                                    baseline: Chart.top + area.height + 14, fontSize: 10)
        drawing.labels += placed.svg
        drawing.extra = placed.extra
        drawing.legend.append(("\(NumberFormat.trimmed(low, digits: 3)) to \(NumberFormat.trimmed(high, digits: 3))", Chart.colour(1)))
        return drawing
    }

    /// Whether the chart draws a legend: several named series, or a heat map's range.
    var hasLegend: Bool {
        switch mark {
        case let .lines(series), let .points(series): return series.contains { !$0.name.isEmpty && !$0.points.isEmpty }
        case let .bars(_, _, series): return series.contains { !$0.name.isEmpty }
        case .heatMap: return true
        case .histogram, .density: return false
        }
    }

    private func horizontal(_ axis: Axis, plotWidth: Double, plotHeight: Double, height: Double) -> String {
        let base = Chart.top + plotHeight
        var svg = "<line x1=\"\(f(Chart.left))\" x2=\"\(f(Chart.left + plotWidth))\" y1=\"\(f(base))\" y2=\"\(f(base))\" stroke=\"currentColor\" stroke-opacity=\"0.6\"/>\n"
        for tick in axis.ticks {
            let position = Chart.left + axis.fraction(tick) * plotWidth
            svg += "<line x1=\"\(f(position))\" x2=\"\(f(position))\" y1=\"\(f(base))\" y2=\"\(f(base + 4))\" stroke=\"currentColor\" stroke-opacity=\"0.6\"/>"
            svg += "<text x=\"\(f(position))\" y=\"\(f(base + 16))\" text-anchor=\"middle\" font-size=\"11\">\(HTMLWriter.escape(axis.tickLabel(tick)))</text>\n"
        }
        return svg + horizontalLabel(axis.label, plotWidth: plotWidth, height: height)
    }

    /// Labels of categories `spacing` apart under the plot, the first centred at `first`, and the extra
    /// height below the plot they need. Level when the longest fits its slot; otherwise turned 40
    /// degrees (ending under their category), and when turned ones would still touch (their lines
    /// spacing sin 40 apart, less than 1.7 font sizes), only every k-th. Widths are estimated at 0.6
    /// font sizes a character.
    func categoryLabels(_ names: [String], spacing: Double, first: Double, baseline: Double, fontSize: Double) -> (svg: String, extra: Double) {
        let widest = Double(names.map(\.count).max() ?? 0) * 0.6 * fontSize
        let size = f0(fontSize)
        guard widest > spacing - 4 else {
            return (names.enumerated().map { c, name in
                "<text x=\"\(f(first + Double(c) * spacing))\" y=\"\(f(baseline))\" text-anchor=\"middle\" font-size=\"\(size)\">\(HTMLWriter.escape(name))</text>\n"
            }.joined(), 0)
        }
        let angle = 40.0, every = max(1, Int((1.7 * fontSize / (spacing * sin(angle * .pi / 180))).rounded(.up)))
        let top = baseline - fontSize + 4
        let svg = names.enumerated().filter { $0.offset % every == 0 }.map { c, name in
            let x = f(first + Double(c) * spacing)
            return "<text x=\"\(x)\" y=\"\(f(top))\" text-anchor=\"end\" dominant-baseline=\"hanging\" transform=\"rotate(-\(Int(angle)) \(x) \(f(top)))\" font-size=\"\(size)\">\(HTMLWriter.escape(name))</text>\n"
        }.joined()
        // The axis label's line (12 px high, its baseline 8 px above the bottom) goes below the turned labels.
        let depth = widest * sin(angle * .pi / 180) + fontSize * cos(angle * .pi / 180)
        return (svg, max(0, top + depth + 4 - (Chart.height - 20)).rounded(.up))
    }

    /// The label under the plot area, naming what the horizontal axis shows.
    private func horizontalLabel(_ label: String, plotWidth: Double, height: Double) -> String {
        "<text x=\"\(f(Chart.left + plotWidth / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\" font-size=\"12\" class=\"axis-label\">\(HTMLWriter.escape(label))</text>\n"
    }

    private func vertical(_ axis: Axis, plotHeight: Double) -> String {
        var svg = "<line x1=\"\(f(Chart.left))\" x2=\"\(f(Chart.left))\" y1=\"\(f(Chart.top))\" y2=\"\(f(Chart.top + plotHeight))\" stroke=\"currentColor\" stroke-opacity=\"0.6\"/>\n"
        for tick in axis.ticks {
            let position = Chart.top + (1 - axis.fraction(tick)) * plotHeight
            svg += "<line x1=\"\(f(Chart.left - 4))\" x2=\"\(f(Chart.left))\" y1=\"\(f(position))\" y2=\"\(f(position))\" stroke=\"currentColor\" stroke-opacity=\"0.6\"/>"
            svg += "<text x=\"\(f(Chart.left - 6))\" y=\"\(f(position + 4))\" text-anchor=\"end\" font-size=\"11\">\(HTMLWriter.escape(axis.tickLabel(tick)))</text>\n"
        }
        return svg + "<text transform=\"translate(14 \(f(Chart.top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\" class=\"axis-label\">\(HTMLWriter.escape(axis.label))</text>\n"
    }

    /// A colour from light (t = 0) to dark blue (t = 1).
    static func colour(_ t: Double) -> String {
        let clamped = min(1, max(0, t))
        let r = Int((247 - clamped * 221).rounded()), g = Int((251 - clamped * 156).rounded()), b = Int((255 - clamped * 75).rounded())
        return "rgb(\(r),\(g),\(b))"
    }

    private func f(_ value: Double) -> String { String(format: "%.2f", value) }
    private func f0(_ value: Double) -> String { String(Int(value.rounded())) }
}
