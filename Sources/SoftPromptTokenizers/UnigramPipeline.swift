/// The encoding half of a UnigramTokenizer: added tokens, normalizer, pre-tokenizer and model, applied to one
/// text. A class, so that the loops and closures of encoding hold one reference instead of copying the fields.
final class UnigramPipeline: Sendable {
    let model: UnigramModel
    let normalizer: UnigramNormalizer?
    let preTokenizer: UnigramPreTokenizer?
    let addedVocabulary: AddedVocabulary
    /// The first UTF-8 byte of every added token matched in the raw text: a text without any of them needs no
    /// search for added tokens (T5's all start with "<").
    private let rawTokenLeadBytes: [Bool]

    init(model: UnigramModel, normalizer: UnigramNormalizer?, preTokenizer: UnigramPreTokenizer?,
         addedVocabulary: AddedVocabulary) {
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.addedVocabulary = addedVocabulary
        var leadBytes = [Bool](repeating: false, count: 256)
        for token in addedVocabulary.rawPatterns.tokens {
            if let lead = token.content.utf8.first { leadBytes[Int(lead)] = true }
        }
        rawTokenLeadBytes = leadBytes
    }

    /// Whether `text` has a byte that starts an added token matched in the raw text.
    private func mayHoldRawAddedTokens(_ text: String) -> Bool {
        if addedVocabulary.rawPatterns.isEmpty { return false }
        return text.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.contains { rawTokenLeadBytes[Int($0)] }
        } ?? true
    }

    /// Buffers reused across the pieces and words of one text.
    final class Scratch {
        // Only ever used by one encoding call at a time, so the runtime's exclusivity checks are pure cost.
        @exclusivity(unchecked) var normalized: [UInt8] = []
        @exclusivity(unchecked) var partBytes: [UInt8] = []
        @exclusivity(unchecked) var normalizedScalars: [UInt32] = []
        @exclusivity(unchecked) var normalizedSplits: [AddedVocabulary.Split] = []
        let preTokenizer = UnigramPreTokenizer.Scratch()
        let model = UnigramModel.Scratch()
    }

    /// The model ids of `text`, without special tokens. With `recordsNames`, `namedTokens` gets the tokens
    /// whose name is not their vocabulary string: added tokens matched by other text (lstrip/rstrip,
    /// normalized forms) and runs of unknown characters.
    func encode(_ text: String, namedTokens: inout [(index: Int, text: String)], recordsNames: Bool,
                scratch: Scratch) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count / 3 + 4)
        if !mayHoldRawAddedTokens(text) {
            encodePiece(text, startsInput: true, into: &ids, namedTokens: &namedTokens, recordsNames: recordsNames,
                        scratch: scratch)
            return ids
        }
        var raw: [UInt32] = []
        raw.reserveCapacity(text.utf8.count)
        UTF8Scalars.appendScalars(of: text, to: &raw)
        var rawSplits: [AddedVocabulary.Split] = []
        raw.withUnsafeBufferPointer { raw in
            AddedVocabulary.split(raw, 0..<raw.count, patterns: addedVocabulary.rawPatterns, into: &rawSplits)
        }
        for split in rawSplits {
            if let added = split.id {
                if recordsNames, !raw.withUnsafeBufferPointer({ addedVocabulary.matchIsContent($0[split.range], id: added) }) {
                    namedTokens.append((ids.count, UTF8Scalars.string(raw[split.range])))
                }
                ids.append(added)
                continue
            }
            // The common case, no added token in the text, reuses the caller's string.
            let piece = split.range == 0..<raw.count ? text : UTF8Scalars.string(raw[split.range])
            encodePiece(piece, startsInput: split.range.lowerBound == 0, into: &ids, namedTokens: &namedTokens,
                        recordsNames: recordsNames, scratch: scratch)
        }
        return ids
    }

    /// Normalizes, pre-tokenizes and tokenizes one piece of text between added tokens; `startsInput` says
    /// whether the piece is at the start of the input text.
    private func encodePiece(_ piece: String, startsInput: Bool, into ids: inout [Int32],
                             namedTokens: inout [(index: Int, text: String)], recordsNames: Bool, scratch: Scratch) {
        // Leading bytes that HF aligns to the input's start: the first character, until a normalizer moves them.
        // Only prepend_scheme "first" asks, and following them through the normalizer costs a second walk.
        var inputStartBytes = 0
        if startsInput, preTokenizer?.asksWhereTheInputStarts == true, let lead = piece.utf8.first {
            inputStartBytes = UTF8Scalars.sequenceLength(leadByte: lead)
        }
        if let normalizer {
            inputStartBytes = normalizer.normalize(piece, into: &scratch.normalized, inputStartBytes: inputStartBytes)
        } else {
            scratch.normalized.removeAll(keepingCapacity: true)
            scratch.normalized.append(contentsOf: piece.utf8)
        }
        if addedVocabulary.normalizedPatterns.isEmpty {
            tokenizeWords(of: scratch.normalized, inputStartBytes: inputStartBytes, into: &ids,
                          namedTokens: &namedTokens, recordsNames: recordsNames, scratch: scratch)
            return
        }
        scratch.normalizedScalars.removeAll(keepingCapacity: true)
        scratch.normalized.withUnsafeBufferPointer { UTF8Scalars.decode($0, into: &scratch.normalizedScalars) }
        scratch.normalizedSplits.removeAll(keepingCapacity: true)
        scratch.normalizedScalars.withUnsafeBufferPointer { scalars in
            AddedVocabulary.split(scalars, 0..<scalars.count, patterns: addedVocabulary.normalizedPatterns,
                                  into: &scratch.normalizedSplits)
        }
        let scalars = scratch.normalizedScalars
        var byteOffset = 0  // of the current part in the normalized text
        var scalarOffset = 0
        for part in scratch.normalizedSplits {
            while scalarOffset < part.range.lowerBound {
                byteOffset += String(UnicodeScalar(scalars[scalarOffset]) ?? "\u{FFFD}").utf8.count
                scalarOffset += 1
            }
            if let added = part.id {
                if recordsNames, !scalars.withUnsafeBufferPointer({ addedVocabulary.matchIsContent($0[part.range], id: added) }) {
                    namedTokens.append((ids.count, UTF8Scalars.string(scalars[part.range])))
                }
                ids.append(added)
                continue
            }
            scratch.partBytes.removeAll(keepingCapacity: true)
            scratch.partBytes.append(contentsOf: UTF8Scalars.string(scalars[part.range]).utf8)
            tokenizeWords(of: scratch.partBytes, inputStartBytes: max(0, inputStartBytes - byteOffset), into: &ids,
                          namedTokens: &namedTokens, recordsNames: recordsNames, scratch: scratch)
        }
    }

    private func tokenizeWords(of text: [UInt8], inputStartBytes: Int, into ids: inout [Int32],
                               namedTokens: inout [(index: Int, text: String)], recordsNames: Bool, scratch: Scratch) {
        guard let preTokenizer else {
            text.withUnsafeBufferPointer {
                model.tokenize($0, appendingTo: &ids, unknownRuns: &namedTokens, recordsUnknownText: recordsNames,
                               scratch: scratch.model)
            }
            return
        }
        preTokenizer.forEachWord(of: text, inputStartBytes: inputStartBytes, scratch: scratch.preTokenizer) { word in
            model.tokenize(word, appendingTo: &ids, unknownRuns: &namedTokens, recordsUnknownText: recordsNames,
                           scratch: scratch.model)
        }
    }
}
