/// What the two tokenizers do alike around their own pipelines: naming the tokens of a sequence's ids, and
/// truncating and laying out one sequence or a pair. Their public `token(of:)` and `encode` call these, so
/// HF's rules for both live in one place.
protocol SequenceTokenizer {
    /// The token of every id (the vocabulary's, then the added tokens'); nil for an id without one.
    var tokenStrings: [String?] { get }
    /// nil: no special tokens, and type id 1 for the second text of a pair.
    var postProcessor: TemplateProcessing? { get }
    /// The model ids of one text, without special tokens and without truncation; `namedTokens` gets the
    /// positions whose token HF names by the text matched rather than by the token's string.
    func encodeSequence(_ text: String, namedTokens: inout [(index: Int, text: String)]) -> [Int32]
}

extension SequenceTokenizer {
    func tokenString(of id: Int32) -> String? {
        guard id >= 0, Int(id) < tokenStrings.count else { return nil }
        return tokenStrings[Int(id)]
    }

    /// The ids of one text and their tokens as HF names them.
    func encodeSequenceWithTokens(_ text: String) -> (ids: [Int32], tokens: [String]) {
        var named: [(index: Int, text: String)] = []
        let ids = encodeSequence(text, namedTokens: &named)
        var tokens = ids.map { tokenString(of: $0) ?? "" }
        for (index, text) in named { tokens[index] = text }
        return (ids, tokens)
    }

    /// A text, or a pair of texts, with the special tokens of the post-processor. With `maxLength`, truncated
    /// LongestFirst so that the result, special tokens included, has at most `maxLength` tokens (a
    /// `maxLength` below the number of special tokens leaves only them; HF would not truncate at all).
    func encodeWithSpecialTokens(_ text: String, pair: String?, maxLength: Int?) -> TokenizedText {
        var first = encodeSequenceWithTokens(text)
        var second = pair.map { encodeSequenceWithTokens($0) }
        if let maxLength {
            let added = postProcessor?.addedTokenCount(isPair: second != nil) ?? 0
            let kept = Truncation.longestFirst(first: first.ids.count, second: second?.ids.count,
                                               maxLength: maxLength - added)
            first.ids.removeLast(first.ids.count - kept.first)
            first.tokens.removeLast(first.tokens.count - kept.first)
            if let keptSecond = kept.second, var truncated = second {
                truncated.ids.removeLast(truncated.ids.count - keptSecond)
                truncated.tokens.removeLast(truncated.tokens.count - keptSecond)
                second = truncated
            }
        }
        if let postProcessor {
            return postProcessor.apply(a: first, b: second)
        }
        return TokenizedText(ids: first.ids + (second?.ids ?? []), tokens: first.tokens + (second?.tokens ?? []),
                             typeIds: [Int32](repeating: 0, count: first.ids.count)
                                 + [Int32](repeating: 1, count: second?.ids.count ?? 0))
    }
}
