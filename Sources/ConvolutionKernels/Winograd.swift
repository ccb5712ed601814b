/// Winograd's minimal filtering F(2 x 2, 3 x 3) (Lavin and Gray, 2016) for 3 x 3 convolutions of
/// stride 1 and padding 1: each 2 x 2 block of outputs is
///
///     Y = A^T [ (G g G^T) .* (B^T d B) ] A
///
/// where g is the 3 x 3 filter, d the 4 x 4 input patch around the block, .* the elementwise product,
/// and (rows as written)
///
///     B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
///     A^T = [1 1 1 0; 0 1 -1 -1].
///
/// Summed over input channels, the 16 products become 16 matrix products (filters x channels times
/// channels x blocks, run by the direct kernel): 16 multiplications per 4 outputs and channel
/// instead of 36. U = G g G^T is computed once per filter by the caller; the kernel sets transform the
/// inputs (V = B^T d B) and the products (Y), on planes in the padded layout `DirectConvolution` reads:
/// row stride pw = W + 1, with (y, x) at (y + 1) pw + x + 1, so that grid row r (r = y + 1) and grid
/// column s (s = x + 1) sit at r pw + s, the zero rows and columns included.
///
/// Block (i, j) (outputs 2i, 2i + 1 x 2j, 2j + 1) reads grid rows 2i ..< 2i + 4 and columns
/// 2j ..< 2j + 4. The W / 2 blocks of a row are one vector (`WinogradHalf`): the even and odd grid
/// columns of a row are the even and odd halves of a vector of W values.
public enum Winograd {
    /// Whether the transforms handle an H x W map: H even and W = 8 or 16. The transforms cost in
    /// proportion to the channels and the products to channels x filters, so Winograd pays where both
    /// are many; on wide maps the direct kernels also waste less (one padding column in W + 1).
    /// Measured on CIFAR ResNet-56's layers (one core): 8 x 8 with 64 channels 1.65x faster than the
    /// direct kernels, 16 x 16 with 32 channels 1.25x faster, 32 x 32 with 16 channels 1.35x slower.
    public static func handles(height: Int, width: Int) -> Bool { height % 2 == 0 && (width == 8 || width == 16) }

    /// How many images share one set of products (their blocks side by side in each matrix's rows): an
    /// 8 x 8 map has 16 blocks and a 16 x 16 map 64, so three images make 48 or 192 columns, whole tiles
    /// of 3 vectors of 16 for the direct kernel on AVX-512 (one image of 8 x 8 fills a single vector, whose
    /// tile of 8 filters does one multiply-add per load). Measured on the trained ResNet-56 (batch 64,
    /// 2 threads): 1.3x the images/s of one image at a time. (Winograd on its 32 x 32 maps, tried with
    /// this, ran at 0.5-0.8x the direct kernels' images/s: 16 channels are too few for the transforms.)
    public static let imagesPerProduct = 3
}
