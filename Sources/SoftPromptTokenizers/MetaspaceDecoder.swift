/// HF `tokenizers`' Metaspace decoder: the replacement ("▁") becomes a space, except in the first token, where
/// every replacement is dropped unless `prepend_scheme` is "never". The first token is the first one left after
/// special tokens were skipped.
public struct MetaspaceDecoder: Sendable, Equatable {
    public let replacement: Unicode.Scalar
    public let prependScheme: MetaspacePreTokenizer.PrependScheme

    public init(replacement: Unicode.Scalar = "\u{2581}", prependScheme: MetaspacePreTokenizer.PrependScheme = .always) {
        self.replacement = replacement
        self.prependScheme = prependScheme
    }

    /// The text of `tokens` joined.
    public func decode(_ tokens: [String]) -> String {
        var result = String.UnicodeScalarView()
        for (index, token) in tokens.enumerated() {
            let dropsReplacement = index == 0 && prependScheme != .never
            for scalar in token.unicodeScalars {
                if scalar == replacement {
                    if !dropsReplacement { result.append(" ") }
                } else {
                    result.append(scalar)
                }
            }
        }
        return String(result)
    }
}
