import Foundation
import Testing
@testable import Report

@Suite("Charts")
struct ChartTests {
    @Test("linear axes end on nice steps; log axes on powers of ten")
    func axes() {
        let linear = Axis(covering: [0.3, 9.7], label: "x")
        #expect(linear.lower == 0 && linear.upper == 10)
        #expect(linear.ticks == [0, 2, 4, 6, 8, 10])
        let log = Axis(covering: [2e-6, 3], scale: .log, label: "norm")
        #expect(log.lower == 1e-6 && log.upper == 10)
        #expect(log.ticks.map { log.tickLabel($0) } == ["1e-6", "1e-5", "1e-4", "1e-3", "0.01", "0.1", "1", "10"])
        #expect(abs(log.fraction(1e-1) - 5.0 / 7.0) < 1e-12)
        #expect(Axis.niceStep(0.37) == 0.5 && Axis.niceStep(1200) == 2000)
    }

    @Test("bars of a measured series carry class=measured, one per value, and no other bar does")
    func measuredBars() {
        let chart = Chart(id: "m", title: "t", mark: .bars(categories: ["a", "b"], label: "c", series: [(name: "fixed", values: [1, 2]), (name: "timed", values: [3, 4])]),
                          yAxis: Axis(covering: [0, 5], label: "y"), measuredSeries: ["timed"])
        let rects = chart.svg.split(separator: "\n").filter { $0.hasPrefix("<rect") && $0.contains("fill=\"#") && !$0.contains("width=\"10\"") }
        #expect(rects.filter { $0.contains("class=\"measured\"") }.count == 2)
        #expect(rects.filter { $0.contains("fill=\"#1a5fb4\"") && !$0.contains("measured") }.count >= 2)
    }

    @Test("a Gaussian kernel density integrates to 1 and peaks near the mode of a normal sample")
    func kde() {
        var state: UInt64 = 7
        func uniform() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return (Double(state >> 11) + 0.5) * 0x1p-53 }
        let sample = (0..<2000).map { _ in (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform()) }
        let curve = Chart.kernelDensity(sample, points: 400)
        let area = zip(curve, curve.dropFirst()).reduce(0) { $0 + ($1.1.x - $1.0.x) * ($1.0.y + $1.1.y) / 2 }
        #expect(abs(area - 1) < 1e-3)
        let peak = curve.max { $0.y < $1.y }!
        #expect(abs(peak.x) < 0.25 && abs(peak.y - 1 / (2 * Double.pi).squareRoot()) < 0.05)
    }

    @Test("the density of non-negative values ends at zero and keeps its mass (reflection); the curve lies inside the plot, which clips every mark")
    func boundedDensity() throws {
        // Norms crowd against zero: half of them below one bandwidth.
        let norms = (0..<200).map { Double($0 % 20) * 0.01 + ($0 < 100 ? 0 : 1) }
        let curve = Chart.kernelDensity(norms, points: 400, reflectingAt: 0)
        #expect(curve.first?.x == 0 && curve.allSatisfy { $0.x >= 0 })
        let area = zip(curve, curve.dropFirst()).reduce(0) { $0 + ($1.1.x - $1.0.x) * ($1.0.y + $1.1.y) / 2 }
        #expect(abs(area - 1) < 5e-3)  // the tail past max + 3h holds 0.13%
        let svg = Chart.density(id: "n", title: "norms", values: norms, scale: .linear, xLabel: "L2 norm").svg
        #expect(svg.contains("<defs><clipPath id=\"n-plot\"><rect x=\"64.00\" y=\"32.00\" width=\"560.00\" height=\"280.00\"/></clipPath></defs>"))
        #expect(svg.contains("<g clip-path=\"url(#n-plot)\">\n<polyline"))
        let points = try #require(svg.split(separator: "\n").first { $0.hasPrefix("<polyline") }?.split(separator: "\"").dropLast().last)
        for pair in points.split(separator: " ") {
            let xy = pair.split(separator: ",").compactMap { Double($0) }
            #expect(xy.count == 2 && (64...624).contains(xy[0]) && (32...312).contains(xy[1]), "\(pair)")
        }
    }

    @Test("category labels: level when they fit, turned 40 degrees when not (the chart grows to hold them), thinned when even turned ones would touch")
    func categoryLabels() {
        func bars(_ categories: [String]) -> String {
            Chart(id: "c", title: "t", mark: .bars(categories: categories, label: "layer", series: [("share", categories.map { _ in 1 })]),
                  yAxis: Axis(covering: [0, 1], label: "y")).svg
        }
        let level = bars(["l2", "fpgm"])
        #expect(level.contains("height=\"360\"") && !level.contains("rotate(-40"))
        // The plot is 406 px wide beside the legend. Up to 15 characters in slots of 33.8 px: 15 x 0.6 x 11 = 99 px,
        // turned reaching 0.643 x 99 + 0.766 x 11 = 72.1 px below their top at 321; the axis label's line
        // (from height - 20) below that: height 321 + 72.1 + 4 + 20 = 417.1, so 418.
        let twelve = bars((1...12).map { "layer3.\($0).conv2" })
        #expect(twelve.components(separatedBy: "transform=\"rotate(-40").count - 1 == 12)
        #expect(twelve.contains("viewBox=\"0 0 640 418\"") && twelve.contains("y=\"410.00\" text-anchor=\"middle\" font-size=\"12\" class=\"axis-label\">layer<"))
        // Slots of 406 / 55 = 7.38 px: every fourth label (1.7 x 11 / (7.38 sin 40) = 3.94), 0, 4, ..., 52.
        let many = bars((0..<55).map { "layer\($0)" })
        #expect(many.components(separatedBy: "transform=\"rotate(-40").count - 1 == 14)
    }

    @Test("SVG output is deterministic, self-contained and escapes text")
    func svg() {
        let chart = Chart(id: "fig-x", title: "A </svg><script>alert(1)</script> & more",
                          mark: .lines([Chart.Series(name: "a<b", points: [(0, 0), (1, 2), (2, 1)])]),
                          xAxis: Axis(covering: [0, 2], label: "x"), yAxis: Axis(covering: [0, 2], label: "y"))
        // Deterministic: every number in an attribute is an integer or has at most two decimals (no
        // shortest-round-trip Double printing, whose digits can change with the value's last bit).
        let numbers = chart.svg.matches(of: /="(-?[0-9][0-9.,\- ]*)"/).flatMap { $0.1.split(whereSeparator: { " ,".contains($0) }) }
        #expect(!numbers.isEmpty)
        #expect(numbers.allSatisfy { $0.wholeMatch(of: /-?[0-9]+(\.[0-9]{1,2})?/) != nil }, "\(numbers.filter { $0.wholeMatch(of: /-?[0-9]+(\.[0-9]{1,2})?/) == nil })")
        #expect(!chart.svg.contains("<script") && chart.svg.contains("&lt;/svg&gt;&lt;script&gt;") && chart.svg.contains("a&lt;b"))
        #expect(chart.svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"fig-x\""))
        #expect(chart.svg.components(separatedBy: "<svg").count == 2)
        #expect(chart.svg.contains("<polyline fill=\"none\" stroke=\"#1a5fb4\" stroke-width=\"2\" points=\"64.00,312.00 267.00,32.00 470.00,172.00\"/>"))
    }

    @Test("every kind of chart draws, its axes labelled: bars, histogram, density on a log axis, heat map", arguments: [
        Chart(id: "b", title: "bars", mark: .bars(categories: ["l2", "fpgm"], label: "criterion", series: [("overlap", [0.5, 1])]), yAxis: Axis(covering: [0, 1], label: "share", includeZero: true)),
        Chart.histogram(id: "h", title: "histogram", values: [1, 2, 2, 3, 3, 3], bins: 3, xLabel: "norm"),
        Chart.density(id: "d", title: "density", values: [1e-6, 1e-3, 0.5, 1, 2], scale: .log, xLabel: "norm"),
        Chart(id: "m", title: "distances", mark: .heatMap(values: [[0, 1], [1, 0]], rowLabels: ["0", "1"], columnLabels: ["0", "1"])),
    ])
    func kinds(chart: Chart) {
        let svg = chart.svg
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(svg.contains("<rect") || svg.contains("<polyline"))
        if chart.title != "distances" {
            #expect(svg.components(separatedBy: "class=\"axis-label\"").count == 3, "both axes are labelled")
        }
    }
}

extension ChartTests {
    @Test("a scatter plot draws a circle per point, and its legend sits outside the plot, without empty series")
    func scatter() {
        let chart = Chart(id: "s", title: "points", mark: .points([Chart.Series(name: "kept", points: [(0, 0), (1, 1)]),
                                                                    Chart.Series(name: "empty", points: []),
                                                                    Chart.Series(name: "pruned", points: [(2, 2)])]),
                          xAxis: Axis(covering: [0, 2], label: "x"), yAxis: Axis(covering: [0, 2], label: "y"))
        #expect(chart.svg.components(separatedBy: "<circle").count == 4)
        #expect(chart.svg.contains(">kept</text>") && chart.svg.contains(">pruned</text>") && !chart.svg.contains(">empty</text>"))
        #expect(chart.svg.contains("<circle cx=\"470.00\" cy=\"32.00\" r=\"5\""))
    }
}
