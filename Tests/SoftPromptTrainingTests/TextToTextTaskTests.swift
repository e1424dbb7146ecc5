import SoftPromptTasks
import SoftPromptTraining
import Testing

/// T5 answers (one per text-to-text example) become what `TaskMetrics.compute` reads for each task kind.
@Suite struct TextToTextTaskTests {
    func task(_ name: String, kind: TaskKind, verbalizers: [String], examples: [TaskExample]) -> TextToTextTask {
        TextToTextTask(data: TaskData(name: name, kind: kind, labels: verbalizers, train: [], validation: examples,
                                      test: examples, split: "test"),
                       fields: ["sentence"], verbalizers: verbalizers, train: [], validation: [], test: [])
    }

    @Test func generationsAreReadAsVerbaliserIndicesOrNumbers() {
        let rte = task("rte", kind: .classification, verbalizers: ["entailment", "not_entailment"], examples: [])
        #expect(rte.read(generated: " not_entailment ") == 1)
        #expect(rte.read(generated: "entailment") == 0)
        #expect(rte.read(generated: "maybe") == -1)
        let stsb = task("stsb", kind: .regression, verbalizers: [], examples: [])
        #expect(stsb.needsGeneration && stsb.read(generated: "3.8") == 3.8)
        #expect(stsb.read(generated: "three").isNaN)
    }

    @Test func anAnswerThatIsNoVerbaliserCountsAsWrong() {
        let examples = [TaskExample(text: "a", label: 1), TaskExample(text: "b", label: 0), TaskExample(text: "c", label: 1)]
        let sst2 = task("sst2", kind: .classification, verbalizers: ["negative", "positive"], examples: examples)
        #expect(sst2.metrics(outputs: [1, -1, -1], examples: examples).first!.value == 1.0 / 3)
        let wsc = task("wsc", kind: .binaryCandidates, verbalizers: ["false", "true"], examples: examples)
        #expect(wsc.metrics(outputs: [1, -1, -1], examples: examples).first!.value == 1.0 / 3)
        #expect(wsc.metrics(outputs: [1, 0, 1], examples: examples).first!.value == 1)
    }

    /// COPA: one T5 example per question, two candidate examples per question in the BERT framing.
    @Test func copaChoicesBecomeCandidateScores() {
        let candidates = [TaskExample(text: "p", pair: "c1", label: 0, group: 0), TaskExample(text: "p", pair: "c2", label: 1, group: 0),
                          TaskExample(text: "q", pair: "c1", label: 1, group: 1), TaskExample(text: "q", pair: "c2", label: 0, group: 1)]
        let copa = task("copa", kind: .multipleChoice(candidates: 2), verbalizers: ["choice1", "choice2"], examples: candidates)
        #expect(copa.metrics(outputs: [1, 0], examples: candidates).first!.value == 1)
        #expect(copa.metrics(outputs: [0, 0], examples: candidates).first!.value == 0.5)
        #expect(copa.metrics(outputs: [-1, -1], examples: candidates).first!.value == 0, "no answer picks the wrong choice")
    }

    @Test func stsbScoresThatAreNoNumberCountAsZero() {
        let examples = [TaskExample(text: "a", label: 0, score: 1), TaskExample(text: "b", label: 0, score: 2),
                        TaskExample(text: "c", label: 0, score: 3)]
        let stsb = task("stsb", kind: .regression, verbalizers: [], examples: examples)
        #expect(abs(stsb.metrics(outputs: [1.1, 2.0, 2.9], examples: examples).first!.value - 0.99) < 0.02)
        #expect(stsb.metrics(outputs: [.nan, .nan, 3], examples: examples).first!.value > 0.8, "NaN → 0, still ranked lowest")
    }

    @Test func theDemoTaskReadsSentencesAndWritesItsLabelWords() throws {
        let demo = try TextToTextTask.load("demo", directory: nil, seed: 7)
        #expect(demo.verbalizers == ["negative", "positive"])
        #expect(demo.train.count == demo.data.train.count && demo.validation.count == demo.data.validation.count)
        for (t2t, example) in zip(demo.train.prefix(20), demo.data.train) {
            #expect(t2t.input == "sentence: " + example.text)
            #expect(t2t.target == demo.verbalizers[example.label])
        }
    }
}
