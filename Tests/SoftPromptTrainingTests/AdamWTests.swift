import Foundation
import SoftPromptMethods
import SoftPromptTestSupport
import SoftPromptTraining
import Testing

@Suite struct AdamWTests {
    struct Reference: Decodable {
        let theta0: [Float]
        let gradients: [[Float]]
        let theta: [[Float]]
        let groups: [String: [Double]]
        let warmup_steps: Int
        let total_steps: Int
    }

    /// torch.optim.AdamW over two groups with HF's linear warm-up/decay, as Tests/Fixtures/make_reference.py ran it.
    @Test func matchesPyTorchStepByStepWithTwoGroupsAndASchedule() throws {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("adamw_reference.json")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        var layout = ParameterLayout()
        layout.add("prompt", shape: [6], group: .prompt)
        layout.add("head.weight", shape: [4], group: .head)
        var optimizer = AdamW(layout: layout, groups: [
            .prompt: .init(learningRate: reference.groups["prompt"]![0], weightDecay: reference.groups["prompt"]![1]),
            .head: .init(learningRate: reference.groups["head"]![0], weightDecay: reference.groups["head"]![1]),
        ])
        let schedule = LearningRateSchedule.linear(warmupSteps: reference.warmup_steps, totalSteps: reference.total_steps)
        var theta = reference.theta0
        for (step, gradient) in reference.gradients.enumerated() {
            optimizer.update(theta: &theta, gradient: gradient, scale: schedule.factor(atStep: step))
            #expect(relativeError(theta.doubles, reference.theta[step].doubles) < 1e-6, "step \(step + 1)")
        }
    }

    @Test func aGroupWithoutHyperparametersStaysFrozen() {
        var layout = ParameterLayout()
        layout.add("prompt", shape: [2], group: .prompt)
        layout.add("head", shape: [2], group: .head)
        var optimizer = AdamW(layout: layout, groups: [.prompt: .init(learningRate: 0.1)])
        var theta: [Float] = [1, 1, 1, 1]
        optimizer.update(theta: &theta, gradient: [1, 1, 1, 1])
        #expect(theta[2...] == [1, 1])
        #expect(theta[0] < 1)
    }

    @Test func linearScheduleWarmsUpThenDecaysToZero() {
        let s = LearningRateSchedule.linear(warmupSteps: 4, totalSteps: 12)
        #expect([0, 2, 4, 8, 12, 20].map(s.factor(atStep:)) == [0, 0.5, 1, 0.5, 0, 0])
        #expect(LearningRateSchedule.constant.factor(atStep: 100) == 1)
    }
}
