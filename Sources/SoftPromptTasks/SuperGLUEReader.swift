import Foundation
import SoftPromptJSON

/// The SuperGLUE tasks' JSONL layouts (SuperGLUE v2 distribution: one JSON object per line).
public enum SuperGLUEFormat: String, Sendable, CaseIterable {
    /// question, passage, label (bool).
    case boolq
    /// premise, hypothesis, label ("entailment", "contradiction", "neutral").
    case cb
    /// premise, choice1, choice2, question ("cause" or "effect"), label (0 = choice1, 1 = choice2).
    case copa
    /// word, sentence1, sentence2, label (bool), start1/end1/start2/end2 (the word's offsets in each sentence).
    case wic
    /// text, target {span1_index, span1_text, span2_index, span2_text}, label (bool).
    case wsc
    /// passage {text, questions [{question, answers [{text, label (0/1)}]}]}: one line per passage.
    case multirc
    /// premise, hypothesis, label ("entailment", "not_entailment").
    case rte
}

/// Reads SuperGLUE JSONL files into records, one per line (MultiRC: one per answer).
///
/// Blank lines are skipped. Every record is checked field by field, so a bad line is reported with its line number
/// and the path of the field, never skipped.
public enum SuperGLUEReader {
    /// Marks the candidate referent in WSC texts (`* Mark *`) and the pronoun (`# he #`), as T5's WSC preprocessing does.
    public static let candidateMarker = "*"
    public static let pronounMarker = "#"
    /// Marks WiC's target word in both sentences: `my * place * later?`.
    public static let wordMarker = "*"

    public static func read(_ url: URL, format: SuperGLUEFormat) throws(TaskDataError) -> [TaskRecord] {
        let file = try TaskFileBytes(url)
        var records: [TaskRecord] = []
        var questions = 0  // WSC examples, COPA and MultiRC questions: the `group` numbers
        var passages = 0
        for line in file.lines() where !file.isBlank(line.range) {
            let value: JSONValue
            do {
                value = try JSONParser.parse(file.bytes[line.range], options: .init(documentName: "line"))
            } catch {
                throw .badRow(file: file.path, line: line.number, problem: "invalid JSON at column \(error.column): \(error.reason)")
            }
            let row = try JSONRecordFields(value, file: file.path, line: line.number)
            switch format {
            case .boolq:
                let fields = [TaskField("passage", try row.string("passage")), TaskField("question", try row.string("question"))]
                records.append(TaskRecord(fields: fields, label: try row.bool("label") ? 1 : 0, unit: records.count))
            case .cb, .rte:
                let labels = format == .cb ? ["entailment", "contradiction", "neutral"] : ["entailment", "not_entailment"]
                let fields = [TaskField("premise", try row.string("premise")), TaskField("hypothesis", try row.string("hypothesis"))]
                records.append(TaskRecord(fields: fields, label: try row.choice("label", among: labels), unit: records.count))
            case .copa:
                let fields = [TaskField("choice1", try row.string("choice1")), TaskField("choice2", try row.string("choice2")),
                              TaskField("premise", try row.string("premise")),
                              TaskField("question", ["cause", "effect"][try row.choice("question", among: ["cause", "effect"])])]
                records.append(TaskRecord(fields: fields, label: try row.zeroOrOne("label"), group: questions, unit: records.count))
                questions += 1
            case .wic:
                records.append(try wordInContext(row, unit: records.count))
            case .wsc:
                let text = try markedWinogradText(row)
                records.append(TaskRecord(fields: [TaskField("text", text)], label: try row.bool("label") ? 1 : 0,
                                          group: questions, unit: records.count))
                questions += 1
            case .multirc:
                let passage = try row.object("passage")
                let paragraph = try passage.string("text")
                for question in try passage.objects("questions") {
                    let questionText = try question.string("question")
                    for answer in try question.objects("answers") {
                        let fields = [TaskField("paragraph", paragraph), TaskField("question", questionText),
                                      TaskField("answer", try answer.string("text", allowEmpty: true))]  // 3 in train are empty
                        records.append(TaskRecord(fields: fields, label: try answer.zeroOrOne("label"), group: questions, unit: passages))
                    }
                    questions += 1
                }
                passages += 1
            }
        }
        guard !records.isEmpty else { throw .empty(file.path) }
        return records
    }

    /// WiC's fields plus each sentence with the target word marked, at the offsets the file gives (Unicode scalar
    /// offsets, as Python counts them; the word in the sentence may be inflected, so it is not compared to `word`).
    static func wordInContext(_ row: JSONRecordFields, unit: Int) throws(TaskDataError) -> TaskRecord {
        var fields = [TaskField("sentence1", try row.string("sentence1")), TaskField("sentence2", try row.string("sentence2")),
                      TaskField("word", try row.string("word"))]
        for k in 1...2 {
            let sentence = Array(fields[k - 1].value.unicodeScalars)
            let start = try row.integer("start\(k)"), end = try row.integer("end\(k)")
            guard start < end, end <= sentence.count else {
                throw .badField(file: row.file, line: row.line, field: start >= end ? "start\(k)" : "end\(k)",
                                problem: "offsets \(start)..<\(end) do not select a word of sentence\(k) (\(sentence.count) characters)")
            }
            var marked = String.UnicodeScalarView()
            marked.append(contentsOf: sentence[..<start])
            marked.append(contentsOf: "\(wordMarker) ".unicodeScalars)
            marked.append(contentsOf: sentence[start..<end])
            marked.append(contentsOf: " \(wordMarker)".unicodeScalars)
            marked.append(contentsOf: sentence[end...])
            fields.append(TaskField("sentence\(k)_marked", String(marked)))
        }
        return TaskRecord(fields: fields, label: try row.bool("label") ? 1 : 0, unit: unit)
    }

    /// WSC's text with the candidate (span 1) and the pronoun (span 2) marked.
    ///
    /// Span indices count words separated by single spaces. The official files have small slips, which are
    /// tolerated: case (`The lawyer` for `the lawyer`), punctuation glued to the span's last word (`him,"` for
    /// `him`; the closing marker then goes before the punctuation: `# him # ,"`), a span text broken over a newline, and one index off by
    /// one word (val idx 42), found by looking for the span at the nearest index. A span found nowhere is an error,
    /// and so are spans that cross (nested spans are fine).
    static func markedWinogradText(_ row: JSONRecordFields) throws(TaskDataError) -> String {
        let text = try row.string("text")
        let target = try row.object("target")
        let words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var spans: [(range: Range<Int>, lastWordLength: Int, marker: String)] = []
        for (k, marker) in [(1, candidateMarker), (2, pronounMarker)] {
            let spanText = try target.string("span\(k)_text")
            let index = try target.integer("span\(k)_index")
            let spanWords = spanText.split(whereSeparator: { $0.isWhitespace }).map(String.init)
            guard let start = nearestMatch(of: spanWords, in: words, around: index) else {
                let found = index < words.count ? "word \(index) is \"\(words[index])\"" : "the text has \(words.count) words"
                throw .badField(file: row.file, line: row.line, field: "target.span\(k)_index",
                                problem: "\(found); expected the words of span\(k)_text \"\(spanText)\" there or nearby")
            }
            spans.append((start..<start + spanWords.count, spanWords[spanWords.count - 1].count, marker))
        }
        let (a, b) = (spans[0].range, spans[1].range)
        guard !a.overlaps(b) || a.clamped(to: b) == a || b.clamped(to: a) == b else {
            throw .badField(file: row.file, line: row.line, field: "target",
                            problem: "span1 and span2 cross; expected separate or nested spans")
        }
        // Markers become words of their own: an outer span opens before and closes after an inner one (val idx 95
        // asks whether "their" refers to "their mothers"), and punctuation after a span's last word stays outside.
        var marked: [String] = []
        for (i, word) in words.enumerated() {
            for span in spans.filter({ $0.range.lowerBound == i }).sorted(by: { $0.range.count > $1.range.count }) {
                marked.append(span.marker)
            }
            var consumed = 0
            for span in spans.filter({ $0.range.upperBound - 1 == i }).sorted(by: { $0.range.count < $1.range.count }) {
                let piece = word.dropFirst(consumed).prefix(max(0, span.lastWordLength - consumed))
                if !piece.isEmpty { marked.append(String(piece)) }
                consumed = max(consumed, span.lastWordLength)
                marked.append(span.marker)
            }
            let rest = word.dropFirst(consumed)
            if consumed == 0 || !rest.isEmpty { marked.append(String(rest)) }
        }
        return marked.joined(separator: " ")
    }

    /// The word index nearest to `index` where `span` starts: each word equal ignoring case, the last one allowed to
    /// carry trailing punctuation or a possessive 's. Ties go to the earlier index.
    static func nearestMatch(of span: [String], in words: [String], around index: Int) -> Int? {
        guard !span.isEmpty, span.count <= words.count else { return nil }
        func matches(at start: Int) -> Bool {
            guard start >= 0, start + span.count <= words.count else { return false }
            for (k, spanWord) in span.enumerated() {
                let word = words[start + k]
                let isLast = k == span.count - 1
                let candidate = isLast ? String(word.prefix(spanWord.count)) : word
                guard candidate.lowercased() == spanWord.lowercased() else { return false }
                // "her" does not hold the span "he": what follows must be punctuation or a possessive.
                let rest = word.dropFirst(candidate.count)
                if let next = rest.first, next.isLetter || next.isNumber, rest != "'s", rest != "\u{2019}s" { return false }
            }
            return true
        }
        let center = min(index, words.count - 1)  // an index far past the end must not mean a long search
        for distance in 0..<words.count {
            if matches(at: center - distance) { return center - distance }
            if distance > 0, matches(at: center + distance) { return center + distance }
        }
        return nil
    }
}
