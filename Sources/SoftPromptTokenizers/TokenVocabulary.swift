import Foundation

/// Token → id, keyed by the token's UTF-8 bytes.
///
/// Bytes, not `String`: Swift string equality is canonical equivalence, HF's is byte equality, and a
/// vocabulary may hold two canonically-equivalent tokens. Lookups take a byte range and an optional prefix
/// (the "##" of a continuation piece), so WordPiece never builds a String to ask whether a piece exists.
/// Immutable once built: an open-addressing table in raw buffers, so a lookup costs no retain/release.
final class TokenVocabulary: @unchecked Sendable {  // immutable after init
    /// Collects tokens and finds duplicates; `TokenVocabulary(builder)` freezes it.
    struct Builder {
        fileprivate var entries: [(bytes: [UInt8], id: Int32)] = []
        private var idByBytes: [[UInt8]: Int32] = [:]

        init() {}

        /// Adds `token`; returns the id already stored when the token is there (nothing is added then).
        mutating func insert(_ token: String, id: Int32) -> Int32? {
            let bytes = Array(token.utf8)
            if let existing = idByBytes[bytes] { return existing }
            idByBytes[bytes] = id
            entries.append((bytes, id))
            return nil
        }

        func id(of token: String) -> Int32? {
            idByBytes[Array(token.utf8)]
        }
    }

    let count: Int
    private let pool: UnsafeMutablePointer<UInt8>
    private let keyOffsets: UnsafeMutablePointer<Int>
    private let keyLengths: UnsafeMutablePointer<Int>
    private let hashes: UnsafeMutablePointer<UInt64>
    private let ids: UnsafeMutablePointer<Int32>
    /// Entry index, or -1 when empty.
    private let slots: UnsafeMutablePointer<Int32>
    private let mask: Int

    init(_ builder: Builder) {
        let entries = builder.entries
        count = entries.count
        let poolSize = entries.reduce(0) { $0 + $1.bytes.count }
        pool = .allocate(capacity: max(poolSize, 1))
        keyOffsets = .allocate(capacity: max(count, 1))
        keyLengths = .allocate(capacity: max(count, 1))
        hashes = .allocate(capacity: max(count, 1))
        ids = .allocate(capacity: max(count, 1))
        var size = 16
        while size < count * 2 { size <<= 1 }
        slots = .allocate(capacity: size)
        slots.initialize(repeating: -1, count: size)
        mask = size - 1
        var offset = 0
        for (entry, (bytes, id)) in entries.enumerated() {
            (pool + offset).initialize(from: bytes, count: bytes.count)
            keyOffsets[entry] = offset
            keyLengths[entry] = bytes.count
            let hash = bytes.withUnsafeBufferPointer { Self.hash(prefix: nil, $0) }
            hashes[entry] = hash
            ids[entry] = id
            offset += bytes.count
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(entry)
        }
    }

    deinit {
        pool.deallocate()
        keyOffsets.deallocate()
        keyLengths.deallocate()
        hashes.deallocate()
        ids.deallocate()
        slots.deallocate()
    }

    /// FNV-1a over prefix then body.
    @inline(__always)
    private static func hash(prefix: UnsafeBufferPointer<UInt8>?, _ body: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        if let prefix, let base = prefix.baseAddress {
            for index in 0..<prefix.count { hash = (hash ^ UInt64(base[index])) &* 0x0000_0100_0000_01B3 }
        }
        if let base = body.baseAddress {
            for index in 0..<body.count { hash = (hash ^ UInt64(base[index])) &* 0x0000_0100_0000_01B3 }
        }
        return hash
    }

    func id(of token: String) -> Int32? {
        var token = token
        return token.withUTF8 { id(of: $0, prefix: nil) }
    }

    /// The id of `prefix + body`.
    func id(of body: UnsafeBufferPointer<UInt8>, prefix: UnsafeBufferPointer<UInt8>?) -> Int32? {
        let hash = Self.hash(prefix: prefix, body)
        let prefixCount = prefix?.count ?? 0
        let length = prefixCount + body.count
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = Int(slots[slot])
            if entry < 0 { return nil }
            if hashes[entry] == hash && keyLengths[entry] == length {
                let key = pool + keyOffsets[entry]
                var equal = true
                if prefixCount > 0, let prefix = prefix?.baseAddress {
                    equal = memcmp(key, prefix, prefixCount) == 0
                }
                if equal, body.count > 0, let body = body.baseAddress {
                    equal = memcmp(key + prefixCount, body, length - prefixCount) == 0
                }
                if equal { return ids[entry] }
            }
            slot = (slot + 1) & mask
        }
    }
}
