import Foundation
import SoftPromptCheckpoint
import Testing
import SoftPromptTokenizers

/// Every text field of every GLUE/SuperGLUE file in shared/data, tokenized as HF does (max length 128,
/// LongestFirst, no padding), compared by SHA-256 of the canonical id lines (see the fixture's
/// `hash_definition`) and, for a readable failure, the ids of the first rows.
@Suite struct WordPieceTokenizerDataTests {
    @Test(.enabled(if: ReferenceResources.haveRealTokenizerAndData,
                   "needs ../shared/data next to the package and the real tokenizer.json ($SOFTPROMPT_MODEL or ~/.cache/softprompt/default-model-dir)"),
          arguments: ReferenceFixture.files)
    func dataFile_tokenizesToTheIdsOfHuggingFace(_ entry: ReferenceFixture.DataEntry) throws {
        let tokenizer = try #require(ReferenceResources.realTokenizer)
        let dataURL = try #require(ReferenceResources.sharedDataURL)
        let maxLength = try #require(ReferenceFixture.shared?.maxLength)
        let rows = try Self.rows(of: entry, in: dataURL)
        #expect(rows.count == entry.rows)

        var hash = SHA256()
        for (index, row) in rows.enumerated() {
            let encoded = tokenizer.encode(row[0], pair: entry.pair ? row[1] : nil, maxLength: maxLength)
            var line = encoded.ids.map(String.init).joined(separator: ",")
            if entry.pair { line += "|" + encoded.typeIds.map(String.init).joined(separator: ",") }
            line += "\n"
            hash.update(line)
            if index < entry.firstRowsIds.count, encoded.ids != entry.firstRowsIds[index] {
                Issue.record("row \(index): \(encoded.ids) != \(entry.firstRowsIds[index]) for \(row)")
            }
        }
        #expect(hash.finalize() == entry.sha256)
    }

    /// The text tuples of one fixture entry, read the way the reference script reads them: TSV split on
    /// '\n' and '\t' with no quoting (a final empty line dropped), JSONL one object per non-empty line.
    static func rows(of entry: ReferenceFixture.DataEntry, in dataURL: URL) throws -> [[String]] {
        let data = try Data(contentsOf: dataURL.appendingPathComponent(entry.file))
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var rows: [[String]] = []
        switch entry.reader {
        case "tsv":
            let columns = try #require(entry.columns)
            for line in lines.dropFirst(entry.header ? 1 : 0) {
                let fields = line.split(separator: 0x09, omittingEmptySubsequences: false)
                rows.append(try columns.map { column in
                    let field = try #require(column < fields.count ? fields[column] : nil)
                    return String(decoding: field, as: UTF8.self)
                })
            }
        default:
            for line in lines {
                let text = String(decoding: line, as: UTF8.self)
                if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { continue }
                let record = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
                switch entry.reader {
                case "jsonl":
                    rows.append(try entry.fields.map { try #require(record[$0] as? String) })
                case "multirc-passage", "multirc-question", "multirc-answer":
                    let passage = try #require(record["passage"] as? [String: Any])
                    if entry.reader == "multirc-passage" {
                        rows.append([try #require(passage["text"] as? String)])
                        continue
                    }
                    for question in try #require(passage["questions"] as? [[String: Any]]) {
                        if entry.reader == "multirc-question" {
                            rows.append([try #require(question["question"] as? String)])
                            continue
                        }
                        for answer in try #require(question["answers"] as? [[String: Any]]) {
                            rows.append([try #require(answer["text"] as? String)])
                        }
                    }
                default:
                    Issue.record("unknown reader \(entry.reader)")
                }
            }
        }
        return rows
    }
}
