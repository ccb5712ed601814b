/// The largest |a_i - b_i| over two arrays of one size, as a fraction of the largest |b_i|: the error
/// of `a` relative to the scale of the reference `b`, which `b`'s near-zero entries do not inflate
/// (the plain difference when `b` is all zero).
public func scaledDifference(_ a: [Float], from b: [Float]) -> Double {
    precondition(a.count == b.count, "arrays of different sizes")
    let scale = b.map { Double(abs($0)) }.max() ?? 0
    let largest = zip(a, b).map { Double(abs($0 - $1)) }.max() ?? 0
    return scale > 0 ? largest / scale : largest
}
