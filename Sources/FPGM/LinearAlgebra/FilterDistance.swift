/// The distance between two filters a, b in R^D used by the distance-sum criterion.
public enum FilterDistance: String, CaseIterable, Sendable {
    /// ||a - b||_2, the paper's choice (Eq. 4) and the only one the official code ever used.
    case euclidean
    /// ||a - b||_1 = sum_k |a_k - b_k| (city block).
    case l1
    /// 1 - a.b / (||a||_2 ||b||_2); taken as 1 when exactly one of a, b is zero and 0 when both are.
    case cosine
}
