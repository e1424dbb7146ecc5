import SoftPromptTasks
import Testing

@Suite struct TaskFramingTests {
    let copaRecords = [
        TaskRecord(fields: [TaskField("choice1", "The sun was rising."), TaskField("choice2", "The grass was cut."),
                            TaskField("premise", "My body cast a shadow over the grass."), TaskField("question", "cause")],
                   label: 0, group: 0, unit: 0),
        TaskRecord(fields: [TaskField("choice1", "The toilet filled with water."), TaskField("choice2", "Water flowed from the spout."),
                            TaskField("premise", "The man turned on the faucet."), TaskField("question", "effect")],
                   label: 1, group: 1, unit: 1),
    ]

    @Test func copaGivesTwoConsecutiveCandidatesPerQuestionWithOneCorrect() {
        let examples = TaskDefinition.copa.examples(from: copaRecords)
        #expect(examples == [
            TaskExample(text: "My body cast a shadow over the grass because", pair: "The sun was rising.", label: 1, group: 0),
            TaskExample(text: "My body cast a shadow over the grass because", pair: "The grass was cut.", label: 0, group: 0),
            TaskExample(text: "The man turned on the faucet so", pair: "The toilet filled with water.", label: 0, group: 1),
            TaskExample(text: "The man turned on the faucet so", pair: "Water flowed from the spout.", label: 1, group: 1),
        ])
        #expect(TaskDefinition.copa.kind == .multipleChoice(candidates: 2))
    }

    @Test func copaInTextToTextNamesTheRightChoice() {
        let t5 = TaskDefinition.copa.textToText(copaRecords[1])
        #expect(t5.input == "choice1: The toilet filled with water. choice2: Water flowed from the spout. premise: The man turned on the faucet. question: effect")
        #expect(t5.target == "choice2" && t5.group == 1)
    }

    @Test func multircPairsTheQuestionWithEachAnswerAndGroupsByQuestion() {
        let records = [("Q1?", "a", 1, 0), ("Q1?", "b", 0, 0), ("Q2?", "c", 1, 1)].map { question, answer, label, group in
            TaskRecord(fields: [TaskField("paragraph", "Para."), TaskField("question", question), TaskField("answer", answer)],
                       label: label, group: group, unit: 0)
        }
        #expect(TaskDefinition.multirc.examples(from: records) == [
            TaskExample(text: "Para.", pair: "Q1? a", label: 1, group: 0), TaskExample(text: "Para.", pair: "Q1? b", label: 0, group: 0),
            TaskExample(text: "Para.", pair: "Q2? c", label: 1, group: 1),
        ])
        #expect(TaskDefinition.multirc.textToText(records[1]) == TextToTextExample(input: "question: Q1? answer: b paragraph: Para.", target: "false", group: 0))
        #expect(TaskDefinition.multirc.kind == .binaryCandidates)
    }

    @Test func glueTasksEncodeOneTextOrAPair() {
        let rte = TaskRecord(fields: [TaskField("sentence1", "A man sleeps."), TaskField("sentence2", "A man rests.")], label: 0, unit: 0)
        #expect(TaskDefinition.rte.examples(from: [rte]) == [TaskExample(text: "A man sleeps.", pair: "A man rests.", label: 0)])
        #expect(TaskDefinition.rte.textToText(rte) == TextToTextExample(input: "sentence1: A man sleeps. sentence2: A man rests.", target: "entailment"))
        let sst = TaskRecord(fields: [TaskField("sentence", "great fun")], label: 1, unit: 0)
        #expect(TaskDefinition.sst2.textToText(sst) == TextToTextExample(input: "sentence: great fun", target: "positive"))
        let cola = TaskRecord(fields: [TaskField("sentence", "Him went.")], label: 0, unit: 0)
        #expect(TaskDefinition.cola.textToText(cola).target == "not_acceptable")
    }

    @Test func stsbVerbalizesItsScoreToOneDecimal() {
        func target(_ score: Double) -> String {
            TaskDefinition.stsb.textToText(TaskRecord(fields: [TaskField("sentence1", "a"), TaskField("sentence2", "b")],
                                                      label: 0, score: score, unit: 0)).target
        }
        #expect([3.8, 5, 0, 2.25, 4.75, 1.04].map(target) == ["3.8", "5.0", "0.0", "2.3", "4.8", "1.0"])
        #expect(TaskDefinition.stsb.examples(from: [TaskRecord(fields: [TaskField("sentence1", "a"), TaskField("sentence2", "b")],
                                                               label: 0, score: 3.8, unit: 0)])[0].score == 3.8)
    }

    @Test func verbalizersFollowResidualPromptTuning() {
        let words: [String: [String]] = [
            "rte": ["entailment", "not_entailment"], "qnli": ["entailment", "not_entailment"],
            "superglue-rte": ["entailment", "not_entailment"], "boolq": ["false", "true"], "wic": ["false", "true"],
            "multirc": ["false", "true"], "wsc": ["false", "true"], "cb": ["entailment", "contradiction", "neutral"],
            "mrpc": ["not_equivalent", "equivalent"], "cola": ["not_acceptable", "acceptable"], "sst2": ["negative", "positive"],
            "mnli": ["entailment", "neutral", "contradiction"], "qqp": ["not_duplicate", "duplicate"], "copa": ["choice1", "choice2"],
        ]
        for task in TaskDefinition.all where task.name != "stsb" {
            #expect(task.verbalizer == .words(words[task.name] ?? []), "\(task.name)")
        }
        #expect(TaskDefinition.stsb.verbalizer == .scoreToOneDecimal)
    }

    @Test func boolqAndWiCTextToTextInputsListTheirFields() {
        let boolq = TaskRecord(fields: [TaskField("passage", "Ethanol fuel."), TaskField("question", "is ethanol fuel?")], label: 1, unit: 0)
        #expect(TaskDefinition.boolq.textToText(boolq) == TextToTextExample(input: "passage: Ethanol fuel. question: is ethanol fuel?", target: "true"))
        let wic = TaskRecord(fields: [TaskField("sentence1", "My place."), TaskField("sentence2", "No place."), TaskField("word", "place"),
                                      TaskField("sentence1_marked", "My * place * ."), TaskField("sentence2_marked", "No * place * .")],
                             label: 0, unit: 0)
        #expect(TaskDefinition.wic.textToText(wic).input == "sentence1: My place. sentence2: No place. word: place")
    }

    @Test func namesAndAliasesFindTheirTasks() {
        for (alias, name) in [("SST-2", "sst2"), ("sts-b", "stsb"), ("rte-superglue", "superglue-rte"), ("RTE", "rte"),
                              ("superglue-multirc", "multirc"), ("superglue-wsc.fixed", "wsc")] {
            #expect(TaskDefinition.named(alias)?.name == name, "\(alias)")
        }
        #expect(TaskDefinition.named("wnli") == nil)
        let names = TaskDefinition.all.flatMap { [$0.name] + $0.aliases }
        #expect(Set(names).count == names.count, "a name or alias is used twice")
    }
}
