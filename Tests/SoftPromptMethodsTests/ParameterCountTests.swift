import SoftPromptMethods
import Testing

/// Every method's trainable-parameter count against the formulas of methods.md, at MiniLM's d = 384 with the
/// defaults scaled to it (s = 128), and at T5-Base's d = 768 with the papers' settings (s = 256).
@Suite struct ParameterCountTests {
    func count(_ method: any PromptMethod) -> Int {
        var layout = ParameterLayout()
        method.declare(in: &layout)
        return layout.count
    }

    @Test func promptTuningIsNTimesD() {
        #expect(count(PromptTuning(promptLength: 100, width: 768)) == 76_800)
        #expect(count(PromptTuning(promptLength: 20, width: 384)) == 7_680)
    }

    @Test func residualIsND_Plus_2db_Plus_b_Plus_3d() {
        #expect(count(ResidualPrompt(promptLength: 10, width: 768, bottleneck: 800)) == 1_239_584)
        #expect(count(ResidualPrompt(promptLength: 10, width: 384, bottleneck: 800)) == 10 * 384 + 2 * 384 * 800 + 800 + 3 * 384)
    }

    @Test func superPosIsNM_Plus_MD() {
        #expect(count(SuperPosPrompt(promptLength: 10, width: 768, tokens: 128)) == 99_584)
        #expect(count(SuperPosPrompt(promptLength: 20, width: 384, tokens: 128)) == 20 * 128 + 128 * 384)
    }

    /// DePT's budget rule (100 − m)·d = r·(s + d): m = 60, r = 30 matches PT with 100 tokens at both widths.
    @Test func deptMatchesTheBudgetOfAHundredTokenPrompt() {
        #expect(count(DecomposedPrompt(promptLength: 60, width: 768, maxLength: 256, rank: 30)) == 76_800)
        #expect(count(DecomposedPrompt(promptLength: 60, width: 384, maxLength: 128, rank: 30)) == 100 * 384)
    }

    @Test func adeptIsMD_Plus_R2DPlus1_Plus_D() {
        #expect(count(AdaptiveDecomposedPrompt(promptLength: 60, width: 768, rank: 19)) == 76_051)
        #expect(count(AdaptiveDecomposedPrompt(promptLength: 60, width: 384, rank: 19)) == 60 * 384 + 19 * (2 * 384 + 1) + 384)
    }

    @Test func eptLikeAddsItsProjectionsAndGateToDePT() {
        let (k, q, d) = (4, 8, 384)
        #expect(count(EPTPrompt(promptLength: 60, width: d, maxLength: 128, rank: 30, subspaces: k, subspaceRank: q))
                == 100 * 384 + 2 * k * d * q + k * d + k)
    }
}
