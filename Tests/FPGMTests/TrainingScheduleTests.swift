import Foundation
import Testing
@testable import FPGM

@Suite("Training: schedules, augmentation, shuffling")
struct TrainingScheduleTests {
    @Test("the official step schedule: 0.01, x 0.2 at epochs 60, 120 and 160; cosine from the base to half at mid-run")
    func schedules() throws {
        let official = try LearningRateSchedule.parse("step:60,120,160:0.2")
        #expect(official == .official)
        let rates = [0, 59, 60, 119, 120, 159, 160, 199].map { official.rate(epoch: $0, of: 200, base: 0.01) }
        for (rate, expected) in zip(rates, [0.01, 0.01, 0.002, 0.002, 0.0004, 0.0004, 0.00008, 0.00008]) {
            #expect(relativelyClose(rate, expected, 1e-12), "\(rate) for \(expected)")
        }
        #expect(LearningRateSchedule.cosine.rate(epoch: 0, of: 10, base: 0.1) == 0.1)
        #expect(relativelyClose(LearningRateSchedule.cosine.rate(epoch: 5, of: 10, base: 0.1), 0.05, 1e-12))
        #expect(LearningRateSchedule.constant.rate(epoch: 7, of: 10, base: 0.1) == 0.1)
        #expect(try LearningRateSchedule.parse(official.text) == official)
    }

    @Test("a schedule that does not parse is one sentence naming it", arguments: [
        ("linear", "is not 'constant', 'cosine' or 'step:E1,E2,...:GAMMA'"),
        ("step:60,30:0.2", "has milestones that do not increase"),
        ("step::0.2", "has milestones that are not positive whole epochs"),
        ("step:60,x:0.2", "has milestones that are not positive whole epochs"),
        ("step:60:0", "has a factor that is not a number in (0, 1]"),
        ("step:60:nan", "has a factor that is not a number in (0, 1]"),
    ])
    func badSchedules(text: String, problem: String) {
        #expect(throws: ScheduleError(text: text, problem: problem)) { try LearningRateSchedule.parse(text) }
    }

    /// Image 0 moved by (dy, dx) and mirrored when `flip`, with zeros where the crop leaves the image.
    static func transformed(_ images: ImageSet, dy: Int, dx: Int, flip: Bool) -> [UInt8] {
        let side = images.side
        var pixels = [UInt8](repeating: 0, count: images.imageLength)
        for c in 0..<3 {
            for y in 0..<side {
                for x in 0..<side {
                    let sy = y + dy, sx = (flip ? side - 1 - x : x) + dx
                    if sy >= 0, sy < side, sx >= 0, sx < side { pixels[(c * side + y) * side + x] = images.pixels[(c * side + sy) * side + sx] }
                }
            }
        }
        return pixels
    }

    @Test("crop-flip: every augmented image is the image moved by one of the 81 offsets, mirrored or not; all occur, about half mirrored")
    func cropFlip() {
        let side = 8
        let image = ImageSet(side: side, pixels: (0..<(3 * side * side)).map { UInt8(1 + $0 % 255) }, labels: [3])
        var candidates = [[UInt8]: (dy: Int, dx: Int, flip: Bool)]()
        for dy in -4...4 {
            for dx in -4...4 {
                for flip in [false, true] { candidates[Self.transformed(image, dy: dy, dx: dx, flip: flip)] = (dy, dx, flip) }
            }
        }
        var generator = SeededGenerator(seed: 11)
        let augmented = Augmentation.cropFlip.batch(image, indices: Array(repeating: 0, count: 2000), generator: &generator)
        #expect(augmented.labels == Array(repeating: 3, count: 2000))
        var offsets = Set<[Int]>(), flips = 0
        for n in 0..<2000 {
            let pixels = Array(augmented.pixels[(n * image.imageLength)..<((n + 1) * image.imageLength)])
            guard let found = candidates[pixels] else { Issue.record("image \(n) is no crop of the original"); continue }
            offsets.insert([found.dy, found.dx])
            if found.flip { flips += 1 }
        }
        #expect(offsets.count == 81)
        // 2000 fair coins: within 4 standard deviations (22.4 each) of 1000.
        #expect(abs(flips - 1000) < 90, "\(flips) mirrored")
        var again = SeededGenerator(seed: 11)
        #expect(Augmentation.cropFlip.batch(image, indices: Array(repeating: 0, count: 2000), generator: &again) == augmented)
        var unused = SeededGenerator(seed: 11)
        #expect(Augmentation.none.batch(image, indices: [0, 0], generator: &unused).pixels == image.pixels + image.pixels)
    }

    @Test("shuffling: a permutation, the same for the same seed, each position uniform")
    func permutation() {
        var generator = SeededGenerator(seed: 5)
        let order = generator.permutation(1000)
        #expect(order.sorted() == Array(0..<1000))
        var same = SeededGenerator(seed: 5)
        #expect(same.permutation(1000) == order)
        // Where element 0 lands over 3000 shuffles of 3: each place with probability 1/3.
        var places = [0, 0, 0]
        for _ in 0..<3000 { places[generator.permutation(3).firstIndex(of: 0)!] += 1 }
        #expect(places.allSatisfy { abs($0 - 1000) < 104 }, "\(places)")
    }
}
