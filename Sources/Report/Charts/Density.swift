import Foundation

extension Chart {
    /// A kernel density estimate with a rug, as in Fig. 3 of the paper: a Gaussian kernel,
    ///
    ///     f(x) = 1 / (n h) sum_i phi((x - v_i) / h),  phi(u) = exp(-u^2 / 2) / sqrt(2 pi),
    ///
    /// with Silverman's bandwidth h = 0.9 min(sd, IQR / 1.34) n^(-1/5), evaluated at 200 points across
    /// the data (on a log axis, the estimate is of log10 v and the curve is drawn against v). On a linear
    /// axis, values that are all non-negative (norms) get the reflection boundary correction, so that the
    /// curve ends at zero and keeps its mass: f(x) = 1 / (n h) sum_i [phi((x - v_i) / h) + phi((x + v_i) / h)]
    /// for x >= 0. The x axis covers the whole curve.
    public static func density(id: String, title: String, values: [Double], scale: Axis.Scale, xLabel: String) -> Chart {
        let data = values.filter { $0.isFinite && (scale == .linear || $0 > 0) }
        let transformed = scale == .log ? data.map(log10) : data
        let boundary: Double? = scale == .linear && !data.isEmpty && data.allSatisfy { $0 >= 0 } ? 0 : nil
        let curve = kernelDensity(transformed, points: 200, reflectingAt: boundary).map { (x: scale == .log ? pow(10, $0.x) : $0.x, y: $0.y) }
        let xAxis = Axis(covering: data + curve.map(\.x), scale: scale, label: xLabel)
        let yAxis = Axis(covering: curve.map(\.y), label: scale == .log ? "density of log10" : "density", includeZero: true)
        return Chart(id: id, title: title, mark: .density(curve: curve, rug: data), xAxis: xAxis, yAxis: yAxis)
    }

    /// The Gaussian kernel density of `values` at `points` evenly spaced x from min - 3h to max + 3h;
    /// with a `boundary` b below every value, from max(b, min - 3h), each kernel reflected at b
    /// (phi((x - v) / h) + phi((x - (2b - v)) / h)), so that no mass falls below b.
    public static func kernelDensity(_ values: [Double], points: Int, reflectingAt boundary: Double? = nil) -> [(x: Double, y: Double)] {
        let n = Double(values.count)
        guard values.count > 1 else { return values.map { ($0, 0) } }
        let mean = values.reduce(0, +) / n
        let deviation = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
        let sorted = values.sorted()
        func quantile(_ q: Double) -> Double {
            let position = q * (n - 1), low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
            return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
        }
        let spread = min(deviation, (quantile(0.75) - quantile(0.25)) / 1.34)
        let h = max(0.9 * (spread > 0 ? spread : max(deviation, 1e-12)) * pow(n, -0.2), 1e-12)
        let low = max(boundary ?? -.infinity, sorted.first! - 3 * h), high = sorted.last! + 3 * h
        let norm = 1 / (n * h * (2 * Double.pi).squareRoot())
        func kernel(_ x: Double, _ v: Double) -> Double { exp(-0.5 * (x - v) * (x - v) / (h * h)) }
        return (0..<points).map { index in
            let x = low + (high - low) * Double(index) / Double(points - 1)
            return (x, norm * values.reduce(0) { sum, v in sum + kernel(x, v) + (boundary.map { kernel(x, 2 * $0 - v) } ?? 0) })
        }
    }

    /// A histogram of `values` in `bins` equal bins over their range.
    public static func histogram(id: String, title: String, values: [Double], bins: Int, xLabel: String) -> Chart {
        let data = values.filter(\.isFinite)
        let low = data.min() ?? 0, high = max(data.max() ?? 1, low + 1e-12)
        let edges = (0...bins).map { low + (high - low) * Double($0) / Double(bins) }
        var counts = [Double](repeating: 0, count: bins)
        for value in data { counts[min(bins - 1, Int((value - low) / (high - low) * Double(bins)))] += 1 }
        return Chart(id: id, title: title, mark: .histogram(edges: edges, counts: counts),
                     xAxis: Axis(covering: edges, label: xLabel), yAxis: Axis(covering: counts, label: "count", includeZero: true))
    }
}
