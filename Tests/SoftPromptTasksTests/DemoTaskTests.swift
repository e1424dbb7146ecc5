import SoftPromptTasks
import Testing

@Suite struct DemoTaskTests {
    @Test func theSameSeedGivesTheSameReviews() {
        #expect(DemoTask.examples(count: 50, seed: 9) == DemoTask.examples(count: 50, seed: 9))
        #expect(DemoTask.examples(count: 50, seed: 9) != DemoTask.examples(count: 50, seed: 10))
    }

    @Test func labelsAreRoughlyBalancedAndFollowTheOpinionWords() {
        let examples = DemoTask.examples(count: 2000, seed: 1)
        let positive = Double(examples.filter { $0.label == 1 }.count) / 2000
        #expect(positive > 0.4 && positive < 0.6)
        let simple = DemoTask.examples(count: 2000, seed: 1).filter { !$0.text.contains(" not ") && !$0.text.contains(" so I ") }
        for e in simple where e.text.split(separator: " ").count < 8 {
            let words = Set(e.text.lowercased().split(whereSeparator: { !$0.isLetter }).map(String.init))
            if words.contains("great") && !words.contains(where: { ["dull", "boring", "awful"].contains($0) }) {
                #expect(e.label == 1, "\(e.text)")
            }
        }
    }
}
