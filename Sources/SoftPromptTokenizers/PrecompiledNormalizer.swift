/// HF `tokenizers`' Precompiled normalizer: SentencePiece's normalization rules (`precompiled_charsmap`),
/// applied the way HF applies them, which is not the way SentencePiece does.
///
/// HF walks the text one extended grapheme cluster at a time. A cluster shorter than 6 bytes is looked up
/// whole, and the replacement of the *shortest* rule that is a prefix of it replaces the *whole* cluster
/// ("ﬁ" + U+0301 becomes "fi", the accent gone). Otherwise, or when no rule matches, each scalar of the
/// cluster is looked up alone and replaced or kept. Clusters come from Swift's grapheme breaking, HF's from
/// the `unicode-segmentation` crate; both follow UAX #29.
public struct PrecompiledNormalizer: Sendable {
    let charsMap: PrecompiledCharsMap
    /// The replacement of each ASCII byte looked up alone (start, end into the blob), or (-1, -1) when it has none.
    private let asciiReplacements: [(start: Int32, end: Int32)]

    /// `charsMap` is the decoded `precompiled_charsmap`.
    init(charsMap: PrecompiledCharsMap) {
        self.charsMap = charsMap
        asciiReplacements = (0..<128).map { (byte: Int) -> (start: Int32, end: Int32) in
            var key = UInt8(byte)
            let range = withUnsafePointer(to: &key) {
                charsMap.shortestPrefixReplacement(UnsafeBufferPointer(start: $0, count: 1))
            }
            guard let range else { return (-1, -1) }
            return (Int32(range.lowerBound), Int32(range.upperBound))
        }
    }

    /// The normalized text (for tests and debugging).
    public func normalize(_ text: String) -> String {
        var output: [UInt8] = []
        normalize(text, appendingTo: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends the UTF-8 of the normalized `text` to `output`.
    func normalize(_ text: String, appendingTo output: inout [UInt8]) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
            charsMap.withReplacementBytes { blob in
                normalize(bytes, of: text, blob: blob, appendingTo: &output)
            }
        }
        if done == nil {
            var contiguous = text
            contiguous.makeContiguousUTF8()
            normalize(contiguous, appendingTo: &output)
        }
    }

    private func normalize(_ bytes: UnsafeBufferPointer<UInt8>, of text: String, blob: UnsafeBufferPointer<UInt8>,
                           appendingTo output: inout [UInt8]) {
        output.reserveCapacity(output.count + bytes.count + 8)
        var graphemes = GraphemeBoundaries(text)
        let count = bytes.count
        var start = 0
        while start < count {
            let lead = bytes[start]
            if Self.isLoneASCIICluster(bytes, at: start) {
                let replacement = asciiReplacements[Int(lead)]
                if replacement.start < 0 {
                    output.append(lead)
                } else {
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: blob[Int(replacement.start)..<Int(replacement.end)]))
                }
                start += 1
                continue
            }
            let end = graphemes.end(ofClusterStartingAt: start)
            let cluster = UnsafeBufferPointer(rebasing: bytes[start..<end])
            if cluster.count < 6, let replacement = charsMap.shortestPrefixReplacement(cluster) {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: blob[replacement]))
            } else {
                var scalarStart = start
                while scalarStart < end {
                    let scalarEnd = min(end, scalarStart + UTF8Scalars.sequenceLength(leadByte: bytes[scalarStart]))
                    let scalar = UnsafeBufferPointer(rebasing: bytes[scalarStart..<scalarEnd])
                    if let replacement = charsMap.shortestPrefixReplacement(scalar) {
                        output.append(contentsOf: UnsafeBufferPointer(rebasing: blob[replacement]))
                    } else {
                        output.append(contentsOf: scalar)
                    }
                    scalarStart = scalarEnd
                }
            }
            start = end
        }
    }
}

extension PrecompiledNormalizer {
    /// Fast path of the cluster walk: an ASCII scalar followed by another (or by the end) is a cluster of its
    /// own, except CR LF.
    @inline(__always)
    static func isLoneASCIICluster(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        let lead = bytes[start]
        guard lead < 0x80 else { return false }
        guard start + 1 < bytes.count else { return true }
        let next = bytes[start + 1]
        return next < 0x80 && !(lead == 0x0D && next == 0x0A)
    }

    /// How many leading bytes of `normalize(text)` HF aligns to the start of the input, when the first
    /// `alignedBytes` bytes of `text` are (Metaspace's prepend_scheme "first" asks about the first word).
    ///
    /// HF rewrites the text as a stream of (character, change) pairs and applies it with a cursor over the old
    /// text. A replacement of `old` characters by `new` ones emits them with change 0, except that the last
    /// `new - old` are insertions (change 1) when it grows, and when it shrinks the last pair emitted so far
    /// (possibly an earlier cluster's) gets `new - old` added, making it swallow the extra old characters.
    /// A character with change ≤ 0 takes the alignment at the cursor and moves the cursor past the characters
    /// it replaces; an insertion takes the alignment just before the cursor. A deletion before anything was
    /// emitted is lost, so "\u{1}a" → "a" aligns the "a" to the start; and "¨" → " \u{308}" at the start
    /// leaves both characters aligned there. The aligned bytes always form a prefix.
    func inputStartPrefix(of text: String, alignedBytes: Int) -> Int {
        guard alignedBytes > 0 else { return 0 }
        var contiguous = text
        contiguous.makeContiguousUTF8()
        return contiguous.utf8.withContiguousStorageIfAvailable { bytes in
            charsMap.withReplacementBytes { blob in
                var stream = AlignmentStream(old: bytes, alignedBytes: alignedBytes)
                walkChanges(bytes, of: contiguous, blob: blob, into: &stream)
                return stream.finish()
            }
        } ?? 0
    }

    /// Emits HF's (character, change) stream for `bytes`, until the stream has seen an unaligned character.
    private func walkChanges(_ bytes: UnsafeBufferPointer<UInt8>, of text: String, blob: UnsafeBufferPointer<UInt8>,
                             into stream: inout AlignmentStream) {
        func characterCount(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Int {
            bytes.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        }
        func emit(replacement: Range<Int>, oldCount: Int) {
            let newCount = characterCount(blob[replacement])
            let grows = max(0, newCount - oldCount)
            var index = 0
            var position = replacement.lowerBound
            while position < replacement.upperBound {
                let length = UTF8Scalars.sequenceLength(leadByte: blob[position])
                stream.push(byteCount: length, change: index >= newCount - grows ? 1 : 0)
                position += length
                index += 1
            }
            if newCount < oldCount { stream.addToLast(newCount - oldCount) }
        }

        var graphemes = GraphemeBoundaries(text)
        var start = 0
        while start < bytes.count && !stream.isDone {
            let end = Self.isLoneASCIICluster(bytes, at: start) ? start + 1 : graphemes.end(ofClusterStartingAt: start)
            let cluster = UnsafeBufferPointer(rebasing: bytes[start..<end])
            if cluster.count < 6, let replacement = charsMap.shortestPrefixReplacement(cluster) {
                emit(replacement: replacement, oldCount: characterCount(bytes[start..<end]))
            } else {
                var scalarStart = start
                while scalarStart < end {
                    let scalarEnd = min(end, scalarStart + UTF8Scalars.sequenceLength(leadByte: bytes[scalarStart]))
                    let scalar = UnsafeBufferPointer(rebasing: bytes[scalarStart..<scalarEnd])
                    if let replacement = charsMap.shortestPrefixReplacement(scalar) {
                        emit(replacement: replacement, oldCount: 1)
                    } else {
                        stream.push(byteCount: scalar.count, change: 0)
                    }
                    scalarStart = scalarEnd
                }
            }
            start = end
        }
    }
}

/// Applies HF's (character, change) stream to alignments, tracking only whether each new character is aligned
/// to the input's start. The last pair stays open because a later deletion may still change it.
private struct AlignmentStream {
    let old: UnsafeBufferPointer<UInt8>
    let alignedBytes: Int
    private var pending: (byteCount: Int, change: Int)?
    private var cursor = 0
    private var prefix = 0
    private(set) var isDone = false

    init(old: UnsafeBufferPointer<UInt8>, alignedBytes: Int) {
        self.old = old
        self.alignedBytes = alignedBytes
    }

    mutating func push(byteCount: Int, change: Int) {
        if let pending { apply(pending) }
        pending = (byteCount, change)
    }

    mutating func addToLast(_ change: Int) {
        pending?.change += change
    }

    mutating func finish() -> Int {
        if let pending { apply(pending) }
        pending = nil
        return prefix
    }

    private mutating func apply(_ pair: (byteCount: Int, change: Int)) {
        guard !isDone else { return }
        let aligned = pair.change > 0 ? cursor == 0 || cursor - 1 < alignedBytes : cursor < alignedBytes
        guard aligned else {
            isDone = true
            return
        }
        prefix += pair.byteCount
        if pair.change <= 0 {
            for _ in 0..<(1 - pair.change) where cursor < old.count {
                cursor += UTF8Scalars.sequenceLength(leadByte: old[cursor])
            }
        }
    }
}

/// Extended grapheme cluster boundaries of a string, by UTF-8 offset, from Swift's own `Character` breaking.
///
/// Remembers the index where the last cluster ended, so walking clusters one after another never asks the
/// String to find a cluster boundary from an arbitrary UTF-8 offset (which costs a backwards scan).
struct GraphemeBoundaries {
    private let text: String
    private var cachedIndex: String.Index
    private var cachedOffset: Int

    init(_ text: String) {
        self.text = text
        cachedIndex = text.startIndex
        cachedOffset = 0
    }

    /// The UTF-8 offset where the cluster that starts at UTF-8 offset `start` ends. `start` must be a
    /// cluster boundary.
    mutating func end(ofClusterStartingAt start: Int) -> Int {
        let utf8 = text.utf8
        let index = start == cachedOffset ? cachedIndex : utf8.index(utf8.startIndex, offsetBy: start)
        let next = text.index(after: index)
        cachedIndex = next
        cachedOffset = utf8.distance(from: utf8.startIndex, to: next)
        return cachedOffset
    }
}
