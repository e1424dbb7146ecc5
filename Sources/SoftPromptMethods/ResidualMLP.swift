import SoftPromptTensor

/// Residual Prompt Tuning's reparameterisation (Razdaibiedina et al. 2023; methods.md §2), one row at a time:
/// Φ(p) = LayerNorm(W_up · ReLU(W_down · p + b_down) + b_up) + p, LayerNorm inside the branch, the raw p as
/// the skip. Generic so the gradient checks run it in Float64; training runs it in Float32.
///
/// Parameter block at `base` (one per MLP): W_down (b,d), b_down (b), W_up (d,b), b_up (d), γ (d), β (d).
public struct ResidualMLP<S: KernelScalar> {
    public let width: Int, bottleneck: Int
    public static func parameterCount(width d: Int, bottleneck b: Int) -> Int { 2 * d * b + b + 3 * d }

    // Offsets inside the block.
    var down: Int { 0 }
    var downBias: Int { bottleneck * width }
    var up: Int { downBias + bottleneck }
    var upBias: Int { up + width * bottleneck }
    var gamma: Int { upBias + width }
    var beta: Int { gamma + width }

    // Forward caches for `rows` rows: pre-activation (rows,b), activation (rows,b), LayerNorm input (rows,d),
    // mean/rstd (rows), and a (rows,d) scratch for the backward.
    private var hidden, activated, branch, mean, rstd, scratch: [S]
    private var dHidden, dActivated: [S]  // backward scratch (rows,b)

    public init(width: Int, bottleneck: Int, rows: Int) {
        self.width = width
        self.bottleneck = bottleneck
        hidden = Array(repeating: 0, count: rows * bottleneck)
        activated = hidden
        dHidden = hidden
        dActivated = hidden
        branch = Array(repeating: 0, count: rows * width)
        scratch = branch
        mean = Array(repeating: 0, count: rows)
        rstd = mean
    }

    /// out (rows,d) = Φ(inp) row-wise, parameters at `block`.
    public mutating func forward(out: UnsafeMutablePointer<S>, inp: UnsafePointer<S>, block: UnsafePointer<S>, rows: Int) {
        let (d, b) = (width, bottleneck)
        linearForward(out: &hidden, inp: inp, weight: block + down, bias: block + downBias, rows: rows, inFeatures: d, outFeatures: b)
        reluForward(out: &activated, inp: hidden, count: rows * b)
        linearForward(out: &branch, inp: activated, weight: block + up, bias: block + upBias, rows: rows, inFeatures: b, outFeatures: d)
        layerNormForward(out: out, mean: &mean, rstd: &rstd, inp: branch, weight: block + gamma, bias: block + beta,
                         rows: rows, cols: d, eps: 1e-5)
        for i in 0..<rows * d { out[i] += inp[i] }
    }

    /// dinp (rows,d) += ∂L/∂inp and dblock += ∂L/∂parameters, given dout = ∂L/∂Φ of the latest forward.
    public mutating func backward(dinp: UnsafeMutablePointer<S>, dblock: UnsafeMutablePointer<S>, dout: UnsafePointer<S>,
                                  inp: UnsafePointer<S>, block: UnsafePointer<S>, rows: Int) {
        let (d, b) = (width, bottleneck)
        for i in 0..<rows * d { dinp[i] += dout[i] }  // the skip
        // dbranch = LayerNorm backward; its γ, β gradients
        layerNormBackward(dinp: &scratch, dout: dout, inp: branch, mean: mean, rstd: rstd, weight: block + gamma,
                          rows: rows, cols: d, accumulate: false)
        layerNormParameterBackward(dweight: dblock + gamma, dbias: dblock + beta, dout: dout, inp: branch, mean: mean,
                                   rstd: rstd, rows: rows, cols: d)
        // up projection: weights and the activation's gradient (into `hidden`'s twin, reusing `activated`)
        linearParameterBackward(dweight: dblock + up, dbias: dblock + upBias, dout: scratch, inp: activated,
                                rows: rows, inFeatures: b, outFeatures: d)
        linearBackward(dinp: &dActivated, dout: scratch, weight: block + up, rows: rows, inFeatures: b, outFeatures: d,
                       accumulate: false)
        reluBackward(dinp: &dHidden, dout: dActivated, inp: hidden, count: rows * b, accumulate: false)
        linearParameterBackward(dweight: dblock + down, dbias: dblock + downBias, dout: dHidden, inp: inp,
                                rows: rows, inFeatures: d, outFeatures: b)
        linearBackward(dinp: dinp, dout: dHidden, weight: block + down, rows: rows, inFeatures: d, outFeatures: b)
    }

    /// PyTorch's defaults: Linear weights and biases U(−1/√fan_in, 1/√fan_in); LayerNorm γ = 1, β = 0.
    public static func initialize(block: UnsafeMutablePointer<Float>, width d: Int, bottleneck b: Int,
                                  random: inout RandomStream) {
        let mlp = ResidualMLP<Float>(width: d, bottleneck: b, rows: 0)
        let downBound = 1 / Float(d).squareRoot(), upBound = 1 / Float(b).squareRoot()
        random.fillUniform(UnsafeMutableBufferPointer(start: block + mlp.down, count: b * d + b), low: -downBound, high: downBound)
        random.fillUniform(UnsafeMutableBufferPointer(start: block + mlp.up, count: d * b + d), low: -upBound, high: upBound)
        (block + mlp.gamma).update(repeating: 1, count: d)
        (block + mlp.beta).update(repeating: 0, count: d)
    }
}
