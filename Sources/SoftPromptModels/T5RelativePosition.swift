import Foundation
import SoftPromptTensor

/// T5's relative position buckets (Raffel et al. 2020, after Mesh TensorFlow): a relative position
/// r = key position − query position maps to one of `buckets` learned scalars per head. Half of the buckets (per
/// direction) are exact distances; the rest grow logarithmically up to `maxDistance`, beyond which all distances
/// share the last bucket. The encoder is bidirectional (the sign gets its own half of the buckets); the decoder's
/// causal self-attention only sees r ≤ 0.
public enum T5RelativePosition {
    /// The bucket of relative position `relative` (key − query).
    public static func bucket(_ relative: Int, bidirectional: Bool, buckets: Int, maxDistance: Int) -> Int {
        var buckets = buckets
        var offset = 0
        var distance: Int
        if bidirectional {
            buckets /= 2
            if relative > 0 { offset = buckets }
            distance = abs(relative)
        } else {
            distance = -min(relative, 0)
        }
        let maxExact = buckets / 2
        if distance < maxExact { return offset + distance }
        // In Float32 with the operations in transformers' order, so truncation lands where PyTorch's does
        // (checked against its table in the tests; a Double evaluation can differ right at bucket edges).
        let ratio = Float(distance) / Float(maxExact)
        let scaled = logf(ratio) / Float(log(Double(maxDistance) / Double(maxExact)))
            * Float(buckets - maxExact)
        let large = maxExact + Int(scaled)
        return offset + min(large, buckets - 1)
    }

    /// bias (H,Tq,Tk)[h,i,j] = table (buckets,H)[bucket(j − i), h], the additive score bias shared by every
    /// layer of a stack and every row of the batch. One bucket computation per diagonal, not per entry.
    static func fillBias<S: KernelScalar>(_ bias: UnsafeMutablePointer<S>, table: UnsafePointer<S>, heads: Int,
                                          queryLength tq: Int, keyLength tk: Int, bidirectional: Bool,
                                          buckets: Int, maxDistance: Int) {
        for relative in -(tq - 1)..<tk {
            let b = bucket(relative, bidirectional: bidirectional, buckets: buckets, maxDistance: maxDistance)
            let first = max(0, -relative), end = min(tq, tk - relative)
            for h in 0..<heads {
                let value = table[b * heads + h]
                let plane = bias + h * tq * tk
                for i in first..<end { plane[i * tk + i + relative] = value }
            }
        }
    }
}
