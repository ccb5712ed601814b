/// The FLOPs columns the paper prints (Tables 1, 2 and 4 of He et al., CVPR 2019), by architecture and
/// pruning rate, with the two printed values that computation does not give: ResNet-20 at 30% prints
/// 2.43E7 MACs where the count is 2.34E7 (a digit swap; its 42.2% is right), and ResNet-101 at 30% prints
/// 42.2%, ResNet-50's value and SFP's claim for ResNet-101, where the official script gives 44.1%.
struct PrintedFLOPs {
    struct Entry {
        let table: String
        /// The printed pruned MACs ("FLOPs" column), where the table has one.
        let macs: String?
        /// The printed reduction in percent.
        let reduction: Double
        /// Why the printed value cannot be computed, when it cannot.
        let misprint: String?
    }

    static let entries: [String: Entry] = [
        "resnet20 0.3": Entry(table: "Table 1", macs: "2.43E7", reduction: 42.2,
                              misprint: "the printed 2.43E7 swaps two digits of 2.34E7; the 42.2% reduction is right"),
        "resnet20 0.4": Entry(table: "Table 1", macs: "1.87E7", reduction: 54.0, misprint: nil),
        "resnet32 0.3": Entry(table: "Table 1", macs: "4.03E7", reduction: 41.5, misprint: nil),
        "resnet32 0.4": Entry(table: "Table 1", macs: "3.23E7", reduction: 53.2, misprint: nil),
        "resnet56 0.4": Entry(table: "Table 1", macs: "5.94E7", reduction: 52.6, misprint: nil),
        "resnet110 0.3": Entry(table: "Table 1 (SFP)", macs: "1.50E8", reduction: 40.8, misprint: nil),
        "resnet110 0.4": Entry(table: "Table 1", macs: "1.21E8", reduction: 52.3, misprint: nil),
        "resnet18 0.3": Entry(table: "Table 2", macs: nil, reduction: 41.8, misprint: nil),
        "resnet34 0.3": Entry(table: "Table 2", macs: nil, reduction: 41.1, misprint: nil),
        "resnet50 0.3": Entry(table: "Table 2", macs: nil, reduction: 42.2, misprint: nil),
        "resnet50 0.4": Entry(table: "Table 2", macs: nil, reduction: 53.5, misprint: nil),
        "resnet101 0.3": Entry(table: "Table 2", macs: nil, reduction: 42.2,
                               misprint: "42.2% is ResNet-50's value (and SFP's claim for ResNet-101); the official script gives 44.1%"),
        "vgg16 0.2": Entry(table: "Table 4 (uniform 20%)", macs: nil, reduction: 35.9, misprint: nil),
    ]

    static func entry(arch: String, rate: Double) -> Entry? {
        entries["\(arch) \(rate)"]
    }
}
