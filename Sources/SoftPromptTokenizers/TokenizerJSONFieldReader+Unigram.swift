import Foundation
import SoftPromptJSON

/// The components of a Unigram tokenizer.json: model, normalizer, pre-tokenizer, decoder.
extension TokenizerJSONFieldReader {
    // MARK: Model

    /// The Unigram model and its pieces by id.
    func unigramModel(_ value: JSONValue?) throws(TokenizerError) -> (UnigramModel, [String]) {
        let model = try object(value, "model")
        if let type = model["type"] {
            let name = try string(type, "model.type")
            guard name == "Unigram" else {
                throw .unsupported(path: path, field: "model.type", value: name, expected: "Unigram")
            }
        }
        guard case .array(let entries)? = model["vocab"] else {
            throw .invalidField(path: path, field: "model.vocab",
                                expected: "an array of [piece, score] pairs\(found(model["vocab"]))")
        }
        guard entries.count <= Int(UnigramTokenizer.largestSupportedId) + 1 else {
            throw .invalidField(path: path, field: "model.vocab",
                                expected: "at most \(Int(UnigramTokenizer.largestSupportedId) + 1) pieces")
        }
        var pieces: [String] = []
        var scores: [Double] = []
        pieces.reserveCapacity(entries.count)
        scores.reserveCapacity(entries.count)
        var seen = TokenVocabulary.Builder()
        for (index, entry) in entries.enumerated() {
            guard case .array(let pair) = entry, pair.count == 2, case .string(let piece) = pair[0],
                  case .number(let number) = pair[1], let score = number.double else {
                throw .invalidField(path: path, field: "model.vocab[\(index)]",
                                    expected: "a [piece, score] pair with a string and a finite number\(found(entry))")
            }
            if seen.insert(piece, id: Int32(index)) != nil {
                throw .duplicateToken(path: path, field: "model.vocab", token: piece)
            }
            pieces.append(piece)
            scores.append(score)
        }
        guard !pieces.isEmpty else {
            throw .invalidField(path: path, field: "model.vocab", expected: "a non-empty array of [piece, score] pairs")
        }
        // HF accepts a missing unk_id but then fails on the first unknown character; we refuse the file instead.
        let unknownId = try integer(model["unk_id"], "model.unk_id", in: 0...(pieces.count - 1))
        if try bool(model["byte_fallback"], "model.byte_fallback", default: false) {
            throw .unsupported(path: path, field: "model.byte_fallback", value: "true",
                               expected: "false (byte fallback is not implemented; T5 does not use it)")
        }
        let unigram = UnigramModel(pieces: pieces.map { Array($0.utf8) }, scores: scores, unknownId: Int32(unknownId))
        return (unigram, pieces)
    }

    // MARK: Normalizer

    /// The steps of a normalizer; a Sequence is flattened.
    func unigramNormalizerSteps(_ value: JSONValue, _ field: String) throws(TokenizerError) -> [UnigramNormalizer.Step] {
        switch try type(value, field, oneOf: ["Precompiled", "Strip", "Replace", "Sequence"]) {
        case "Precompiled":
            return [.precompiled(try precompiled(value["precompiled_charsmap"], "\(field).precompiled_charsmap"))]
        case "Strip":
            return [.strip(left: try bool(value["strip_left"], "\(field).strip_left", default: nil),
                           right: try bool(value["strip_right"], "\(field).strip_right", default: nil))]
        case "Replace":
            let patternField = "\(field).pattern"
            let pattern: UnigramNormalizer.Replace.Pattern
            switch value["pattern"] {
            case .object(let members)? where members.count == 1 && members[0].key == "String":
                pattern = .string(try string(members[0].value, "\(patternField).String"))
            case .object(let members)? where members.count == 1 && members[0].key == "Regex":
                pattern = .regex(try string(members[0].value, "\(patternField).Regex"))
            default:
                throw .invalidField(path: path, field: patternField,
                                    expected: "{\"String\": …} or {\"Regex\": …}\(found(value["pattern"]))")
            }
            let content = try string(value["content"], "\(field).content")
            do {
                return [.replace(try UnigramNormalizer.Replace(pattern: pattern, content: content))]
            } catch {
                throw .invalidField(path: path, field: patternField, expected: "a usable pattern (\(error))")
            }
        default:  // Sequence
            guard case .array(let elements)? = value["normalizers"] else {
                throw .invalidField(path: path, field: "\(field).normalizers",
                                    expected: "an array of normalizers\(found(value["normalizers"]))")
            }
            var steps: [UnigramNormalizer.Step] = []
            for (index, element) in elements.enumerated() {
                steps += try unigramNormalizerSteps(element, "\(field).normalizers[\(index)]")
            }
            return steps
        }
    }

    private func precompiled(_ value: JSONValue?, _ field: String) throws(TokenizerError) -> PrecompiledNormalizer {
        let encoded = try string(value, field)
        // HF's base64 decoder accepts the text with or without its trailing padding.
        let padded = encoded + String(repeating: "=", count: (4 - encoded.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: padded) else {
            throw .invalidField(path: path, field: field, expected: "standard base64 text")
        }
        do {
            return PrecompiledNormalizer(charsMap: try PrecompiledCharsMap(Array(data)))
        } catch {
            throw .invalidField(path: path, field: field, expected: "a SentencePiece charsmap (\(error))")
        }
    }

    // MARK: Pre-tokenizer

    /// The steps of a pre-tokenizer; a Sequence is flattened.
    func unigramPreTokenizerSteps(_ value: JSONValue, _ field: String) throws(TokenizerError) -> [UnigramPreTokenizer.Step] {
        switch try type(value, field, oneOf: ["Metaspace", "WhitespaceSplit", "Sequence"]) {
        case "Metaspace":
            let (replacement, scheme) = try metaspace(value, field)
            return [.metaspace(MetaspacePreTokenizer(replacement: replacement, prependScheme: scheme,
                                                     split: try bool(value["split"], "\(field).split", default: true)))]
        case "WhitespaceSplit":
            return [.whitespaceSplit]
        default:  // Sequence
            guard case .array(let elements)? = value["pretokenizers"] else {
                throw .invalidField(path: path, field: "\(field).pretokenizers",
                                    expected: "an array of pre-tokenizers\(found(value["pretokenizers"]))")
            }
            var steps: [UnigramPreTokenizer.Step] = []
            for (index, element) in elements.enumerated() {
                steps += try unigramPreTokenizerSteps(element, "\(field).pretokenizers[\(index)]")
            }
            return steps
        }
    }

    /// Metaspace's replacement and prepend scheme, with the older `add_prefix_space` spelling as HF reads it:
    /// true changes nothing; false is refused unless prepend_scheme says "never" (HF's default scheme is
    /// "always", so a file with only `"add_prefix_space": false` fails in HF too).
    private func metaspace(_ value: JSONValue, _ field: String)
        throws(TokenizerError) -> (Unicode.Scalar, MetaspacePreTokenizer.PrependScheme) {
        let replacementText = try string(value["replacement"], "\(field).replacement")
        guard replacementText.unicodeScalars.count == 1, let replacement = replacementText.unicodeScalars.first else {
            throw .invalidField(path: path, field: "\(field).replacement",
                                expected: "a single character (found \"\(replacementText)\")")
        }
        let schemeText = try string(value["prepend_scheme"], "\(field).prepend_scheme", default: "always")
        guard var scheme = MetaspacePreTokenizer.PrependScheme(rawValue: schemeText) else {
            throw .unsupported(path: path, field: "\(field).prepend_scheme", value: schemeText,
                               expected: "always, first or never")
        }
        if let addPrefixSpace = value["add_prefix_space"], !addPrefixSpace.isNull,
           try !bool(addPrefixSpace, "\(field).add_prefix_space", default: true) {
            guard scheme == .never else {
                throw .invalidField(path: path, field: "\(field).add_prefix_space",
                                    expected: "consistent with prepend_scheme \"\(schemeText)\" (false means never)")
            }
            scheme = .never
        }
        return (replacement, scheme)
    }

    // MARK: Decoder

    func metaspaceDecoder(_ value: JSONValue) throws(TokenizerError) -> MetaspaceDecoder {
        _ = try type(value, "decoder", oneOf: ["Metaspace"])
        let (replacement, scheme) = try metaspace(value, "decoder")
        return MetaspaceDecoder(replacement: replacement, prependScheme: scheme)
    }
}
