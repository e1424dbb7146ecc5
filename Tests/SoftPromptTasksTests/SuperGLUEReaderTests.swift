import Foundation
import SoftPromptTasks
import Testing

@Suite struct SuperGLUEReaderTests {
    func lines(_ rows: [String]) -> String { rows.joined(separator: "\n") + "\n" }

    func read(_ task: TaskDefinition, _ rows: [String]) throws -> [TaskRecord] {
        let files = try TaskFiles()
        return try task.readRecords(try files.file("train.jsonl", lines(rows)))
    }

    /// Writes `rows` and expects the reader to fail with `message`, in which `FILE` stands for the file's path.
    func expectRejection(_ task: TaskDefinition, _ rows: [String], _ message: String,
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
        let files = try TaskFiles()
        let url = try files.file("val.jsonl", lines(rows))
        expectError(message.replacingOccurrences(of: "FILE", with: url.path), sourceLocation: sourceLocation) {
            _ = try task.readRecords(url)
        }
    }

    @Test func boolqReadsPassageQuestionAndABooleanLabel() throws {
        let records = try read(.boolq, [#"{"question": "is it?", "passage": "It is.", "idx": 0, "label": true}"#,
                                        #"{"question": "is it not?", "passage": "No.", "idx": 1, "label": false}"#])
        #expect(records[0].fields == [TaskField("passage", "It is."), TaskField("question", "is it?")])
        #expect(records.map(\.label) == [1, 0])
        #expect(TaskDefinition.boolq.examples(from: records)[0] == TaskExample(text: "is it?", pair: "It is.", label: 1))
    }

    @Test func cbAndRTEMapTheirLabelStrings() throws {
        let cb = try read(.cb, [#"{"premise": "P.", "hypothesis": "H.", "label": "neutral", "idx": 0}"#,
                                #"{"premise": "P.", "hypothesis": "H.", "label": "contradiction", "idx": 1}"#])
        #expect(cb.map(\.label) == [2, 1])
        let rte = try read(.superGLUERTE, [#"{"premise": "P.", "hypothesis": "H.", "label": "not_entailment", "idx": 0}"#])
        #expect(rte.map(\.label) == [1])
        try expectRejection(.cb, [#"{"premise": "P.", "hypothesis": "H.", "label": "maybe", "idx": 0}"#],
                            "FILE:1: field \"label\": \"maybe\" is not one of entailment, contradiction, neutral")
    }

    @Test func badJSONIsReportedWithLineAndColumn() throws {
        try expectRejection(.cb, [#"{"premise": "P.", "hypothesis": "H.", "label": "neutral"}"#, #"{"premise": "P.", "hypothesis" "H."}"#],
                            "FILE:2: invalid JSON at column 32: expected ':'")
        try expectRejection(.cb, [#"{"premise": "P.", "#], "FILE:1: invalid JSON at column 19: expected a string key, found end of line")
    }

    @Test func aLineThatIsNotAnObjectIsRejected() throws {
        try expectRejection(.boolq, [#"["question", "passage"]"#], "FILE:1: expected a JSON object, found an array")
    }

    @Test func aMissingOrNullFieldIsNamedWithTheTypeExpected() throws {
        try expectRejection(.cb, [#"{"hypothesis": "H.", "label": "neutral"}"#], "FILE:1: field \"premise\": missing; expected a string")
        try expectRejection(.cb, [#"{"premise": null, "hypothesis": "H.", "label": "neutral"}"#], "FILE:1: field \"premise\": null; expected a string")
    }

    @Test func aFieldOfTheWrongTypeIsNamedWithWhatWasFound() throws {
        try expectRejection(.boolq, [#"{"question": "q?", "passage": "p.", "label": "yes"}"#],
                            "FILE:1: field \"label\": expected true or false, found the string \"yes\"")
        try expectRejection(.copa, [#"{"premise": "P.", "choice1": "A.", "choice2": "B.", "question": "cause", "label": 2}"#],
                            "FILE:1: field \"label\": expected 0 or 1, found the number 2")
        try expectRejection(.copa, [#"{"premise": "P.", "choice1": "A.", "choice2": "B.", "question": "why", "label": 0}"#],
                            "FILE:1: field \"question\": \"why\" is not one of cause, effect")
        try expectRejection(.wic, [#"{"word": "w", "sentence1": "a w.", "sentence2": "b w.", "label": true, "start1": "2", "end1": 3, "start2": 2, "end2": 3}"#],
                            "FILE:1: field \"start1\": expected a non-negative integer, found the string \"2\"")
    }

    @Test func emptyAndBlankFilesHaveNoExamplesAndAMissingFileIsNamed() throws {
        let files = try TaskFiles()
        for (name, text) in [("empty.jsonl", ""), ("blank.jsonl", "\n  \n")] {
            let url = try files.file(name, text)
            expectError("\(url.path): no examples") { _ = try TaskDefinition.copa.readRecords(url) }
        }
        expectError("/no/such/val.jsonl: no such file") { _ = try TaskDefinition.wsc.readRecords(URL(fileURLWithPath: "/no/such/val.jsonl")) }
    }

    @Test func aByteOrderMarkAndBlankLinesAreSkipped() throws {
        let files = try TaskFiles()
        let url = try files.file("val.jsonl", "\u{FEFF}" + #"{"premise": "P.", "hypothesis": "H.", "label": "entailment"}"# + "\n\n"
            + #"{"premise": "Q.", "hypothesis": "I.", "label": "not_entailment"}"# + "\r\n")
        #expect(try TaskDefinition.superGLUERTE.readRecords(url).map(\.label) == [0, 1])
    }

    @Test func wicMarksTheTargetWordAtTheGivenOffsets() throws {
        let records = try read(.wic, [#"{"word": "run", "sentence1": "Run the program.", "sentence2": "He ran far.", "idx": 0, "label": false, "start1": 0, "end1": 3, "start2": 3, "end2": 6}"#,
                                      #"{"word": "café", "sentence1": "Un café noir.", "sentence2": "The café.", "idx": 1, "label": true, "start1": 3, "end1": 7, "start2": 4, "end2": 8}"#])
        #expect(records[0]["sentence1_marked"] == "* Run * the program.")
        #expect(records[0]["sentence2_marked"] == "He * ran * far.")
        #expect(records[1]["sentence1_marked"] == "Un * café * noir.")  // offsets count Unicode scalars, as Python does
        #expect(TaskDefinition.wic.examples(from: records)[0] == TaskExample(text: "* Run * the program.", pair: "He * ran * far.", label: 0))
        try expectRejection(.wic, [#"{"word": "w", "sentence1": "a w.", "sentence2": "b w.", "label": true, "start1": 2, "end1": 9, "start2": 2, "end2": 3}"#],
                            "FILE:1: field \"end1\": offsets 2..<9 do not select a word of sentence1 (4 characters)")
    }

    @Test func multircGivesOneRecordPerAnswerWithQuestionGroupsAndPassageUnits() throws {
        let passage1 = #"{"idx": 0, "passage": {"text": "Para one.", "questions": [{"question": "Q1?", "answers": [{"text": "a", "idx": 0, "label": 1}, {"text": "b", "idx": 1, "label": 0}], "idx": 0}, {"question": "Q2?", "answers": [{"text": "c", "idx": 2, "label": 0}], "idx": 1}]}}"#
        let passage2 = #"{"idx": 1, "passage": {"text": "Para two.", "questions": [{"question": "Q3?", "answers": [{"text": "d", "idx": 3, "label": 1}], "idx": 0}]}}"#
        let records = try read(.multirc, [passage1, passage2])
        #expect(records.map(\.group) == [0, 0, 1, 2])  // numbered through the file, even where the file restarts idx
        #expect(records.map(\.unit) == [0, 0, 0, 1])
        #expect(records.map(\.label) == [1, 0, 0, 1])
        #expect(records[0].fields == [TaskField("paragraph", "Para one."), TaskField("question", "Q1?"), TaskField("answer", "a")])
    }

    @Test func aBadNestedMultiRCFieldIsNamedByItsPath() throws {
        try expectRejection(.multirc, [#"{"passage": {"text": "P.", "questions": [{"question": "Q?", "answers": [{"text": "a", "label": 1}]}, {"question": "R?", "answers": [{"text": "b"}]}]}}"#],
                            "FILE:1: field \"passage.questions[1].answers[0].label\": missing; expected 0 or 1")
        try expectRejection(.multirc, [#"{"passage": {"text": "P.", "questions": []}}"#],
                            "FILE:1: field \"passage.questions\": empty; expected at least one object")
        try expectRejection(.multirc, [#"{"passage": "P."}"#], "FILE:1: field \"passage\": expected an object, found the string \"P.\"")
    }

    @Test func wscMarksTheCandidateWithStarsAndThePronounWithHashes() throws {
        let records = try read(.wsc, [#"{"text": "Mark told Pete many lies about himself, which Pete included in his book. He should have been more skeptical.", "target": {"span2_index": 13, "span1_index": 0, "span1_text": "Mark", "span2_text": "He"}, "idx": 0, "label": false}"#])
        #expect(records[0]["text"] == "* Mark * told Pete many lies about himself, which Pete included in his book. # He # should have been more skeptical.")
        #expect(records[0].label == 0 && records[0].group == 0)
    }

    @Test func wscToleratesTheOfficialFilesSlips() throws {
        // Case, punctuation glued to the pronoun, a span broken over a newline, and an index one word off.
        let records = try read(.wsc, [
            #"{"text": "The lawyer asked the witness a question, but he was reluctant.", "target": {"span1_index": 0, "span1_text": "the lawyer", "span2_index": 8, "span2_text": "he"}, "label": false}"#,
            #"{"text": "\"Good for him,\" he said.", "target": {"span1_index": 3, "span1_text": "he", "span2_index": 2, "span2_text": "him"}, "label": false}"#,
            #"{"text": "He typed \" willow-towered Canopy Huntertropic wrestles \" as it was easy.", "target": {"span1_index": 3, "span1_text": "willow-towered Canopy\nHuntertropic wrestles", "span2_index": 9, "span2_text": "it"}, "label": true}"#,
            #"{"text": "Some day they might want to use it , but not now.", "target": {"span1_index": 2, "span1_text": "they", "span2_index": 6, "span2_text": "it"}, "label": false}"#,
        ])
        #expect(records.map { $0["text"] } == [
            "* The lawyer * asked the witness a question, but # he # was reluctant.",
            "\"Good for # him # ,\" * he * said.",
            "He typed \" * willow-towered Canopy Huntertropic wrestles * \" as # it # was easy.",
            "Some day * they * might want to use # it # , but not now.",
        ])
    }

    @Test func aWSCSpanFoundNowhereIsAnError() throws {
        try expectRejection(.wsc, [#"{"text": "Her cat sat.", "target": {"span1_index": 1, "span1_text": "cat", "span2_index": 0, "span2_text": "he"}, "label": true}"#],
                            "FILE:1: field \"target.span2_index\": word 0 is \"Her\"; expected the words of span2_text \"he\" there or nearby")
        try expectRejection(.wsc, [#"{"text": "The big cat sat.", "target": {"span1_index": 0, "span1_text": "The big", "span2_index": 1, "span2_text": "big cat"}, "label": true}"#],
                            "FILE:1: field \"target\": span1 and span2 cross; expected separate or nested spans")
    }

    @Test func aPronounInsideTheCandidateIsMarkedInsideIt() throws {
        // SuperGLUE WSC val idx 95: does "their" refer to "their mothers"?
        let records = try read(.wsc, [#"{"text": "for Arthur and Celeste , and their mothers are very worried.", "target": {"span2_index": 6, "span1_index": 6, "span1_text": "their mothers", "span2_text": "their"}, "label": false}"#])
        #expect(records[0]["text"] == "for Arthur and Celeste , and * # their # mothers * are very worried.")
    }

    @Test func copaKeepsItsFieldsAndNumbersItsQuestions() throws {
        let records = try read(.copa, [#"{"premise": "My body cast a shadow.", "choice1": "The sun was rising.", "choice2": "The grass was cut.", "question": "cause", "label": 0, "idx": 0}"#,
                                       #"{"premise": "The man turned on the faucet.", "choice1": "The toilet filled.", "choice2": "Water flowed.", "question": "effect", "label": 1, "idx": 1}"#])
        #expect(records.map(\.group) == [0, 1])
        #expect(records.map(\.label) == [0, 1])
        #expect(records[1]["question"] == "effect")
    }
}
