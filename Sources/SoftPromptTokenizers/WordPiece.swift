/// The WordPiece model: greedy longest-match-first over a word, pieces after the first carry the
/// continuing-subword prefix ("##"); the whole word becomes the unknown token when any position has no
/// piece, or when the word has more than `maxInputCharsPerWord` scalars (as HF counts `chars()`).
public struct WordPiece: Sendable {
    public let unknownToken: String
    public let unknownId: Int32
    public let continuingSubwordPrefix: String
    public let maxInputCharsPerWord: Int
    let vocabulary: TokenVocabulary
    private let prefixBytes: [UInt8]

    init(vocabulary: TokenVocabulary, unknownToken: String, unknownId: Int32, continuingSubwordPrefix: String,
         maxInputCharsPerWord: Int) {
        self.vocabulary = vocabulary
        self.unknownToken = unknownToken
        self.unknownId = unknownId
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        self.prefixBytes = Array(continuingSubwordPrefix.utf8)
    }

    /// Reusable buffers, so tokenizing a word allocates nothing once they have grown.
    final class Scratch {
        fileprivate var bytes: UnsafeMutablePointer<UInt8>
        /// Byte offset where each scalar of the word starts, plus the end.
        fileprivate var boundaries: UnsafeMutablePointer<Int>
        fileprivate var scalarCapacity: Int

        init(scalarCapacity: Int = 64) {
            self.scalarCapacity = scalarCapacity
            bytes = .allocate(capacity: 4 * scalarCapacity)
            boundaries = .allocate(capacity: scalarCapacity + 1)
        }

        fileprivate func reserve(scalars: Int) {
            guard scalars > scalarCapacity else { return }
            bytes.deallocate()
            boundaries.deallocate()
            scalarCapacity = max(scalars, 2 * scalarCapacity)
            bytes = .allocate(capacity: 4 * scalarCapacity)
            boundaries = .allocate(capacity: scalarCapacity + 1)
        }

        deinit {
            bytes.deallocate()
            boundaries.deallocate()
        }
    }

    /// The ids of one (already normalized and pre-tokenized) word.
    public func tokenize(word: String) -> [Int32] {
        var scalars: [UInt32] = []
        UTF8Scalars.appendScalars(of: word, to: &scalars)
        var ids: [Int32] = []
        let scratch = Scratch()
        scalars.withUnsafeBufferPointer { tokenize($0, appendingTo: &ids, scratch: scratch) }
        return ids
    }

    func tokenize(_ word: UnsafeBufferPointer<UInt32>, appendingTo ids: inout [Int32], scratch: Scratch) {
        let scalarCount = word.count
        if scalarCount == 0 { return }
        if scalarCount > maxInputCharsPerWord {
            ids.append(unknownId)
            return
        }
        scratch.reserve(scalars: scalarCount)
        let bytes = scratch.bytes
        let boundaries = scratch.boundaries
        var byteCount = 0
        for index in 0..<scalarCount {
            boundaries[index] = byteCount
            let scalar = word[index]
            if scalar < 0x80 {
                bytes[byteCount] = UInt8(truncatingIfNeeded: scalar)
                byteCount += 1
            } else if scalar < 0x800 {
                bytes[byteCount] = UInt8(truncatingIfNeeded: 0xC0 | scalar >> 6)
                bytes[byteCount + 1] = UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F)
                byteCount += 2
            } else if scalar < 0x10000 {
                bytes[byteCount] = UInt8(truncatingIfNeeded: 0xE0 | scalar >> 12)
                bytes[byteCount + 1] = UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F)
                bytes[byteCount + 2] = UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F)
                byteCount += 3
            } else {
                bytes[byteCount] = UInt8(truncatingIfNeeded: 0xF0 | scalar >> 18)
                bytes[byteCount + 1] = UInt8(truncatingIfNeeded: 0x80 | scalar >> 12 & 0x3F)
                bytes[byteCount + 2] = UInt8(truncatingIfNeeded: 0x80 | scalar >> 6 & 0x3F)
                bytes[byteCount + 3] = UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F)
                byteCount += 4
            }
        }
        boundaries[scalarCount] = byteCount

        let firstPiece = ids.count
        let found: Bool = prefixBytes.withUnsafeBufferPointer { prefix in
            var start = 0
            while start < scalarCount {
                var end = scalarCount
                var pieceId: Int32 = -1
                while start < end {
                    let piece = UnsafeBufferPointer(start: bytes + boundaries[start],
                                                    count: boundaries[end] - boundaries[start])
                    if let id = vocabulary.id(of: piece, prefix: start > 0 ? prefix : nil) {
                        pieceId = id
                        break
                    }
                    end -= 1
                }
                if pieceId < 0 { return false }
                ids.append(pieceId)
                start = end
            }
            return true
        }
        if !found {
            ids.removeLast(ids.count - firstPiece)
            ids.append(unknownId)
        }
    }
}
