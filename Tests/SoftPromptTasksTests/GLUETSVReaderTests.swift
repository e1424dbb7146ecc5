import Foundation
import SoftPromptTasks
import Testing

@Suite struct GLUETSVReaderTests {
    func read(_ task: TaskDefinition, _ text: String, name: String = "train.tsv") throws -> [TaskRecord] {
        let files = try TaskFiles()
        return try task.readRecords(try files.file(name, text))
    }

    @Test func sst2RowsKeepQuotesAsTextAndMapLabels() throws {
        let records = try read(.sst2, "sentence\tlabel\nit 's \"fine\" \t1\nbad .\t0\n")
        #expect(fieldValues(records) == [["it 's \"fine\" "], ["bad ."]])
        #expect(records.map(\.label) == [1, 0])
        #expect(TaskDefinition.sst2.examples(from: records) == [TaskExample(text: "it 's \"fine\" ", label: 1),
                                                                 TaskExample(text: "bad .", label: 0)])
    }

    @Test func aLeadingQuoteDoesNotSwallowTheFollowingRows() throws {
        // A CSV reader would read from the quote to the next quote, across lines.
        let records = try read(.rte, "index\tsentence1\tsentence2\tlabel\n0\t\"He left.\tHe went\tentailment\n1\tA.\tB.\tnot_entailment\n")
        #expect(fieldValues(records) == [["\"He left.", "He went"], ["A.", "B."]])
        #expect(records.map(\.label) == [0, 1])
    }

    @Test func colaHasNoHeaderFourColumnsAndMayLackTheLastNewline() throws {
        let records = try read(.cola, "gj04\t1\t\tThe sailors rode the breeze.\nw_80\t0\t*\tJohn bought a dog for himself to play with.")
        #expect(fieldValues(records) == [["The sailors rode the breeze."], ["John bought a dog for himself to play with."]])
        #expect(records.map(\.label) == [1, 0])
    }

    @Test func windowsLineEndingsAreTolerated() throws {
        let records = try read(.cola, "gj04\t1\t\tOne.\r\ngj04\t0\t*\tTwo.\r\n")
        #expect(fieldValues(records) == [["One."], ["Two."]])
    }

    @Test func mrpcHeaderWithOrWithoutItsByteOrderMarkIsAccepted() throws {
        let body = "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t702876\t702977\tAmrozi accused his brother.\tReferring to him, Amrozi accused.\n"
        for text in ["\u{FEFF}" + body, body] {
            let records = try read(.mrpc, text)
            #expect(records[0].fields == [TaskField("sentence1", "Amrozi accused his brother."),
                                          TaskField("sentence2", "Referring to him, Amrozi accused.")])
            #expect(records[0].label == 1)
        }
    }

    @Test func stsbReadsTheScoreFromItsTenthColumn() throws {
        let header = "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n"
        let records = try read(.stsb, header + "0\tmain-captions\tMSRvid\t2012test\t0001\tnone\tnone\tA plane.\tAn air plane.\t3.800\n")
        #expect(records[0].score == 3.8 && records[0].fields.map(\.value) == ["A plane.", "An air plane."])

        let files = try TaskFiles()
        let outOfRange = try files.file("dev.tsv", header + "0\tg\tf\ty\t1\tn\tn\tA.\tB.\t5.5\n")
        expectError("\(outOfRange.path):2: field \"score\": \"5.5\" is not a number from 0.0 to 5.0") {
            _ = try TaskDefinition.stsb.readRecords(outOfRange)
        }
        let notANumber = try files.file("train.tsv", header + "0\tg\tf\ty\t1\tn\tn\tA.\tB.\tnan\n")
        expectError("\(notANumber.path):2: field \"score\": \"nan\" is not a number from 0.0 to 5.0") {
            _ = try TaskDefinition.stsb.readRecords(notANumber)
        }
    }

    @Test func qnliAndRTEMapTheirEntailmentLabels() throws {
        let records = try read(.qnli, "index\tquestion\tsentence\tlabel\n0\tWhat?\tThis.\tentailment\n1\tWho?\tThat.\tnot_entailment\n")
        #expect(records.map(\.label) == [0, 1])
        #expect(TaskDefinition.qnli.examples(from: records)[0] == TaskExample(text: "What?", pair: "This.", label: 0))
    }

    @Test func mnliFindsItsColumnsByNameInEachFile() throws {
        // train.tsv and dev_matched.tsv carry different extra columns.
        let train = "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label\n"
            + "0\t1\t1n\tgov\t(a)\t(b)\t(A)\t(B)\tConceptually cream skimming.\tProduct and geography.\tneutral\tneutral\n"
        let dev = "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label\n"
            + "0\t1\t1e\tfic\t(a)\t(b)\t(A)\t(B)\tThe new rights.\tEveryone likes them.\tneutral\tentailment\tneutral\tneutral\tneutral\tneutral\n"
            + "1\t2\t2c\tfic\t(a)\t(b)\t(A)\t(B)\tThis site.\tNothing.\tcontradiction\tcontradiction\tcontradiction\tcontradiction\tcontradiction\tcontradiction\n"
        let trainRecords = try read(.mnli, train)
        #expect(trainRecords[0].fields == [TaskField("premise", "Conceptually cream skimming."), TaskField("hypothesis", "Product and geography.")])
        #expect(trainRecords[0].label == 1)
        let devRecords = try read(.mnli, dev, name: "dev_matched.tsv")
        #expect(devRecords.map(\.label) == [1, 2])

        let files = try TaskFiles()
        let noGold = try files.file("train.tsv", "index\tsentence1\tsentence2\tlabel1\n0\tA.\tB.\tneutral\n")
        expectError("\(noGold.path):1: header is \"index\tsentence1\tsentence2\tlabel1\", expected \"a header with the columns sentence1, sentence2, gold_label (no gold_label)\"") {
            _ = try TaskDefinition.mnli.readRecords(noGold)
        }
    }

    @Test func qqpReadsItsDocumentedColumnsAndAcceptsAnEmptyQuestion() throws {
        let records = try read(.qqp, "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n133273\t213221\t213222\tHow is the life?\tWhat is life like?\t1\n7\t15\t16\tHow do I learn?\t\t0\n")
        #expect(fieldValues(records) == [["How is the life?", "What is life like?"], ["How do I learn?", ""]])
        #expect(records.map(\.label) == [1, 0])
    }

    @Test func aRowWithTheWrongColumnCountIsNamedByFileAndLine() throws {
        let files = try TaskFiles()
        let url = try files.file("train.tsv", "index\tsentence1\tsentence2\tlabel\n0\tA.\tB.\tentailment\n1\tA.\tentailment\n")
        expectError("\(url.path):3: expected 4 tab-separated fields (index, sentence1, sentence2, label), found 3") {
            _ = try TaskDefinition.rte.readRecords(url)
        }
        let blank = try files.file("dev.tsv", "sentence\tlabel\ngood\t1\n\nbad\t0\n")
        expectError("\(blank.path):3: expected 2 tab-separated fields (sentence, label), found an empty line") {
            _ = try TaskDefinition.sst2.readRecords(blank)
        }
    }

    @Test func anUnknownLabelIsNamedWithTheLabelsExpected() throws {
        let files = try TaskFiles()
        let url = try files.file("train.tsv", "index\tsentence1\tsentence2\tlabel\n0\tA.\tB.\tmaybe\n")
        expectError("\(url.path):2: field \"label\": \"maybe\" is not one of entailment, not_entailment") {
            _ = try TaskDefinition.rte.readRecords(url)
        }
        let sst = try files.file("dev.tsv", "sentence\tlabel\ngood\t2\n")
        expectError("\(sst.path):2: field \"label\": \"2\" is not one of 0, 1") { _ = try TaskDefinition.sst2.readRecords(sst) }
        let cola = try files.file("cola.tsv", "gj04\t1\t\tFine.\ngj04\tx\t*\tNot fine.\n")
        expectError("\(cola.path):2: field \"label\": \"x\" is not one of 0, 1") { _ = try TaskDefinition.cola.readRecords(cola) }
    }

    @Test func anEmptySentenceIsAnError() throws {
        let files = try TaskFiles()
        let url = try files.file("train.tsv", "sentence\tlabel\n\t1\n")
        expectError("\(url.path):2: field \"sentence\": empty; expected text") { _ = try TaskDefinition.sst2.readRecords(url) }
    }

    @Test func aWrongHeaderIsShownWithTheExpectedOne() throws {
        let files = try TaskFiles()
        let url = try files.file("train.tsv", "text\tlabel\ngood\t1\n")
        expectError("\(url.path):1: header is \"text\tlabel\", expected \"sentence\\tlabel\"") { _ = try TaskDefinition.sst2.readRecords(url) }
    }

    @Test func emptyAndHeaderOnlyFilesHaveNoExamples() throws {
        let files = try TaskFiles()
        let empty = try files.file("empty.tsv", "")
        expectError("\(empty.path): no examples") { _ = try TaskDefinition.sst2.readRecords(empty) }
        let headerOnly = try files.file("header.tsv", "sentence\tlabel\n")
        expectError("\(headerOnly.path): no examples") { _ = try TaskDefinition.sst2.readRecords(headerOnly) }
        let cola = try files.file("cola.tsv", "")
        expectError("\(cola.path): no examples") { _ = try TaskDefinition.cola.readRecords(cola) }
        let newline = try files.file("newline.tsv", "\n")  // an empty header line
        expectError("\(newline.path):1: header is \"\", expected \"sentence\\tlabel\"") { _ = try TaskDefinition.sst2.readRecords(newline) }
    }

    @Test func aMissingFileADirectoryAFIFOAndBytesThatAreNotUTF8AreNamedAndALinkIsFollowed() throws {
        expectError("/no/such/train.tsv: no such file") { _ = try TaskDefinition.sst2.readRecords(URL(fileURLWithPath: "/no/such/train.tsv")) }
        let files = try TaskFiles()
        expectError("\(files.url.path): cannot read (a directory, expected a file)") { _ = try TaskDefinition.sst2.readRecords(files.url) }
        let fifo = files.url.appendingPathComponent("fifo.tsv")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        expectError("\(fifo.path): cannot read (not a regular file)") { _ = try TaskDefinition.sst2.readRecords(fifo) }
        let real = try files.file("real.tsv", "sentence\tlabel\ngood\t1\n")
        let link = files.url.appendingPathComponent("link.tsv")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
        #expect(try TaskDefinition.sst2.readRecords(link).count == 1)
        let latin1 = try files.file("train.tsv", bytes: Array("sentence\tlabel\ngood\t1\n".utf8) + [0x63, 0x61, 0x66, 0xE9, 0x09, 0x31, 0x0A])
        expectError("\(latin1.path):3: not UTF-8 text") { _ = try TaskDefinition.sst2.readRecords(latin1) }
    }
}
