/// The OpenBLAS path of `FoldedConvolution`: the input unfolded into its patches, multiplied by the
/// filter matrix with SGEMM.
extension FoldedConvolution {
    /// W x (the unfolded input), through OpenBLAS: [outChannels][batch H' W'].
    func multiplyThroughBLAS(_ input: FeatureMaps, outHeight: Int, outWidth: Int) -> [Float] {
        let columns = input.batch * outHeight * outWidth, depth = inChannels * kernel * kernel
        var output = [Float](unsafeUninitializedCapacity: outChannels * columns) { _, count in count = outChannels * columns }
        // Column blocks small enough (M N K <= 10^6) for OpenBLAS's unpacked small-matrix kernels, but at
        // least 64 wide (narrower blocks run slower than packing).
        let block = max(64, min(columns, 1_000_000 / max(1, outChannels * depth) / 16 * 16))
        let multiply = { (patches: UnsafePointer<Float>) in
            self.weights.withUnsafeBufferPointer { filters in
                output.withUnsafeMutableBufferPointer { result in
                    var first = 0
                    while first < columns {
                        let width = min(block, columns - first)
                        BLASRuntime.multiply(m: self.outChannels, n: width, k: depth, filters.baseAddress!, lda: depth, patches + first,
                                             ldb: columns, into: result.baseAddress! + first, ldc: columns)
                        first += width
                    }
                }
            }
        }
        if kernel == 1, stride == 1, padding == 0 {
            input.values.withUnsafeBufferPointer { multiply($0.baseAddress!) }
        } else {
            unfold(input, outHeight: outHeight, outWidth: outWidth).withUnsafeBufferPointer { multiply($0.baseAddress!) }
        }
        return output
    }

    /// The input's patches as a (C k^2) x (N H' W') matrix: row (c, ky, kx), column (n, y', x') holds
    /// input (c, n, y' stride + ky - padding, x' stride + kx - padding), or 0 outside the map.
    func unfold(_ input: FeatureMaps, outHeight: Int, outWidth: Int) -> [Float] {
        let plane = outHeight * outWidth, columns = input.batch * plane, count = inChannels * kernel * kernel * columns
        guard stride == 1, outHeight == input.height, outWidth == input.width else {
            return unfoldStrided(input, outHeight: outHeight, outWidth: outWidth)
        }
        let side = input.width
        return [Float](unsafeUninitializedCapacity: count) { target, initialized in
            input.values.withUnsafeBufferPointer { source in
                for c in 0..<inChannels {
                    for ky in 0..<kernel {
                        for kx in 0..<kernel {
                            let dy = ky - padding, dx = kx - padding, shift = dy * side + dx
                            // Output rows whose input row lies inside the map.
                            let firstRow = max(0, -dy), endRow = min(outHeight, outHeight - dy)
                            for image in 0..<input.batch {
                                let from = source.baseAddress! + (c * input.batch + image) * plane
                                let to = target.baseAddress! + ((c * kernel + ky) * kernel + kx) * columns + image * plane
                                // Rows above and below the map.
                                to.update(repeating: 0, count: firstRow * side)
                                (to + endRow * side).update(repeating: 0, count: (outHeight - endRow) * side)
                                guard firstRow < endRow else { continue }
                                // The rows inside, as one shifted copy (clipped to the input), then the columns that
                                // wrapped around from the neighbouring row set to 0.
                                let low = max(firstRow * side + shift, 0), high = min(endRow * side + shift, plane)
                                (to + firstRow * side).update(repeating: 0, count: low - shift - firstRow * side)
                                (to + low - shift).update(from: from + low, count: high - low)
                                (to + high - shift).update(repeating: 0, count: endRow * side - (high - shift))
                                if dx != 0 {
                                    let column = dx < 0 ? 0 : side - dx
                                    for y in firstRow..<endRow {
                                        for x in column..<(column + abs(dx)) { to[y * side + x] = 0 }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            initialized = count
        }
    }

    /// `unfold` for any stride, element by element.
    func unfoldStrided(_ input: FeatureMaps, outHeight: Int, outWidth: Int) -> [Float] {
        let plane = outHeight * outWidth, columns = input.batch * plane
        var patches = [Float](repeating: 0, count: inChannels * kernel * kernel * columns)
        input.values.withUnsafeBufferPointer { source in
            patches.withUnsafeMutableBufferPointer { target in
                for c in 0..<inChannels {
                    for ky in 0..<kernel {
                        for kx in 0..<kernel {
                            let row = ((c * kernel + ky) * kernel + kx) * columns
                            // Output columns x' whose input column x' stride + kx - padding lies inside the map.
                            let firstX = max(0, (padding - kx + stride - 1) / stride)
                            let lastX = min(outWidth - 1, (input.width - 1 + padding - kx) / stride)
                            guard firstX <= lastX else { continue }
                            for image in 0..<input.batch {
                                let sourceImage = (c * input.batch + image) * input.height * input.width
                                for y in 0..<outHeight {
                                    let inputY = y * stride + ky - padding
                                    guard inputY >= 0, inputY < input.height else { continue }
                                    let from = sourceImage + inputY * input.width - padding + kx
                                    let to = row + image * plane + y * outWidth
                                    for x in firstX...lastX { target[to + x] = source[from + x * stride] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return patches
    }
}
