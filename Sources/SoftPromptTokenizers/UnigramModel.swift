/// The Unigram model of HF `tokenizers` (SentencePiece's unigram language model): the segmentation of a word
/// into pieces with the highest total score, found by Viterbi over the word's UTF-8 bytes.
///
/// As HF's optimized encoder does it:
/// - at every character start, every piece that the trie finds there is a candidate edge; of two paths to
///   the same position with equal scores, the one whose last piece starts earlier wins;
/// - a character with no one-character piece gets an edge of its own as the unknown id, scored
///   `min(scores) - 10`, so unknowns are used only where nothing else fits;
/// - consecutive unknown characters are fused into one token (`fuse_unk`, always on for Unigram), whose id is
///   the vocabulary's id for the fused text if it has one, else the unknown id.
public struct UnigramModel: Sendable {
    /// The score of each piece, by id.
    public let scores: [Double]
    public let unknownId: Int32
    /// `min(scores) - 10`, HF's `K_UNK_PENALTY`.
    public let unknownScore: Double
    let trie: UnigramTrie

    /// `pieces` and `scores` are indexed by id. `unknownId` must be one of the ids.
    init(pieces: [[UInt8]], scores: [Double], unknownId: Int32) {
        self.scores = scores
        self.unknownId = unknownId
        unknownScore = (scores.min() ?? 0) - 10
        trie = UnigramTrie(pieces: zip(pieces, scores).map { (bytes: $0, score: $1) })
    }

    /// A model from (piece, score) pairs, numbered from 0 (for tests and tools).
    public init(vocabulary: [(piece: String, score: Double)], unknownId: Int32) {
        self.init(pieces: vocabulary.map { Array($0.piece.utf8) }, scores: vocabulary.map(\.score), unknownId: unknownId)
    }

    /// The id of a piece, compared byte for byte.
    public func id(of piece: String) -> Int32? {
        var piece = piece
        return piece.withUTF8 { trie.id(of: $0) }
    }

    /// Reusable Viterbi tables, so tokenizing a word allocates nothing once they have grown.
    final class Scratch {
        fileprivate var capacity: Int
        fileprivate var bestScore: UnsafeMutablePointer<Double>
        fileprivate var startsAt: UnsafeMutablePointer<Int32>
        fileprivate var bestId: UnsafeMutablePointer<Int32>
        /// The best path, from the end of the word back to its start: where each piece ends.
        fileprivate var pathEnds: UnsafeMutablePointer<Int32>

        init(positions: Int = 256) {
            capacity = positions
            bestScore = .allocate(capacity: positions)
            startsAt = .allocate(capacity: positions)
            bestId = .allocate(capacity: positions)
            pathEnds = .allocate(capacity: positions)
        }

        fileprivate func reserve(positions: Int) {
            guard positions > capacity else { return }
            deallocate()
            capacity = max(positions, 2 * capacity)
            bestScore = .allocate(capacity: capacity)
            startsAt = .allocate(capacity: capacity)
            bestId = .allocate(capacity: capacity)
            pathEnds = .allocate(capacity: capacity)
        }

        private func deallocate() {
            bestScore.deallocate()
            startsAt.deallocate()
            bestId.deallocate()
            pathEnds.deallocate()
        }

        deinit {
            deallocate()
        }
    }

    /// The ids of one (already normalized and pre-tokenized) word.
    public func tokenize(_ word: String) -> [Int32] {
        var ids: [Int32] = []
        var unknownRuns: [(index: Int, text: String)] = []
        var word = word
        word.withUTF8 { tokenize($0, appendingTo: &ids, unknownRuns: &unknownRuns, recordsUnknownText: false,
                                 scratch: Scratch()) }
        return ids
    }

    /// Appends the ids of `word` (well-formed UTF-8) to `ids`. With `recordsUnknownText`, each fused run of
    /// unknown characters is also recorded as (index in `ids`, its text): HF names such a token by its text.
    func tokenize(_ word: UnsafeBufferPointer<UInt8>, appendingTo ids: inout [Int32],
                  unknownRuns: inout [(index: Int, text: String)], recordsUnknownText: Bool, scratch: Scratch) {
        let count = word.count
        if count == 0 { return }
        scratch.reserve(positions: count + 1)
        let bestScore = scratch.bestScore
        let startsAt = scratch.startsAt
        let bestId = scratch.bestId
        bestScore[0] = 0
        for position in 1...count { startsAt[position] = -1 }

        let trie = self.trie
        var start = 0
        while start < count {
            let scoreHere = bestScore[start]
            let characterEnd = min(count, start + UTF8Scalars.sequenceLength(leadByte: word[start]))
            var hasOneCharacterPiece = false
            var node = UnigramTrie.root
            var end = start
            while end < count {
                node = trie.child(of: node, byte: word[end])
                if node < 0 { break }
                end += 1
                let id = trie.pieceId(at: node)
                if id >= 0 {
                    let candidate = trie.score(of: id) + scoreHere
                    if startsAt[end] < 0 || candidate > bestScore[end] {
                        bestScore[end] = candidate
                        startsAt[end] = Int32(start)
                        bestId[end] = id
                    }
                    if end == characterEnd { hasOneCharacterPiece = true }
                }
            }
            if !hasOneCharacterPiece {
                let candidate = unknownScore + scoreHere
                if startsAt[characterEnd] < 0 || candidate > bestScore[characterEnd] {
                    bestScore[characterEnd] = candidate
                    startsAt[characterEnd] = Int32(start)
                    bestId[characterEnd] = unknownId
                }
            }
            start = characterEnd
        }

        let pathEnds = scratch.pathEnds
        var pieces = 0
        var end = count
        while end > 0 {
            pathEnds[pieces] = Int32(end)
            pieces += 1
            end = Int(startsAt[end])
        }
        var runStart = -1  // start of the pending run of unknown pieces
        var previousEnd = 0
        for index in stride(from: pieces - 1, through: 0, by: -1) {
            let pieceEnd = pathEnds[index]
            let id = bestId[Int(pieceEnd)]
            if id == unknownId {
                if runStart < 0 { runStart = previousEnd }
            } else {
                if runStart >= 0 { appendUnknownRun(word, runStart..<previousEnd) }
                runStart = -1
                ids.append(id)
            }
            previousEnd = Int(pieceEnd)
        }
        if runStart >= 0 { appendUnknownRun(word, runStart..<previousEnd) }

        func appendUnknownRun(_ word: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
            let text = UnsafeBufferPointer(rebasing: word[range])
            if recordsUnknownText { unknownRuns.append((ids.count, String(decoding: text, as: UTF8.self))) }
            ids.append(trie.id(of: text) ?? unknownId)
        }
    }
}
