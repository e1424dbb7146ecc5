/// The pieces of a Unigram vocabulary and their scores, as a trie over their UTF-8 bytes, for the common-prefix
/// walks of Viterbi.
///
/// Stored as a double array: the child of state `s` by byte `b` is state `base[s] + b` when that state's
/// `parent` is `s`. A step reads one 12-byte unit (base, parent, piece id), so walking a word touches few
/// cache lines. Immutable once built; raw buffers, so a step costs no retain/release.
final class UnigramTrie: @unchecked Sendable {  // immutable after init
    static let root: Int32 = 0

    fileprivate struct Unit {
        var base: Int32 = 0
        /// The state this one is a child of; -1 for a free slot.
        var parent: Int32 = -1
        /// The id of the piece that ends here, or -1.
        var pieceId: Int32 = -1
    }

    private let units: UnsafeMutablePointer<Unit>
    let unitCount: Int
    private let scores: UnsafeMutablePointer<Double>

    /// `pieces[i]` gets id `i`; empty pieces are left out (HF's trie never reports its root), and a later
    /// duplicate replaces an earlier one (callers reject duplicates first).
    init(pieces: [(bytes: [UInt8], score: Double)]) {
        scores = .allocate(capacity: max(1, pieces.count))
        scores.initialize(from: pieces.map(\.score), count: pieces.count)
        // A plain trie first: children by node, then laid out breadth first.
        var children: [[(label: UInt8, node: Int32)]] = [[]]
        var pieceIds: [Int32] = [-1]
        for (id, piece) in pieces.enumerated() where !piece.bytes.isEmpty {
            var node = 0
            for byte in piece.bytes {
                if let child = children[node].first(where: { $0.label == byte }) {
                    node = Int(child.node)
                } else {
                    children.append([])
                    pieceIds.append(-1)
                    children[node].append((byte, Int32(children.count - 1)))
                    node = children.count - 1
                }
            }
            pieceIds[node] = Int32(id)
        }

        var layout = DoubleArrayLayout()
        var stateOfNode = [Int32](repeating: 0, count: children.count)
        var queue = [0]
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            let kids = children[node].sorted { $0.label < $1.label }
            guard let lowest = kids.first?.label else { continue }
            // The smallest base at which every child finds a free slot, trying only bases that put the
            // lowest child on a free slot.
            var slot = layout.firstFreeSlot(atOrAfter: Int(lowest) + 1)
            while !kids.allSatisfy({ layout.isFree(slot - Int(lowest) + Int($0.label)) }) {
                slot = layout.firstFreeSlot(atOrAfter: slot + 1)
            }
            let base = slot - Int(lowest)
            let state = Int(stateOfNode[node])
            layout.units[state].base = Int32(base)
            for kid in kids {
                let slot = base + Int(kid.label)
                layout.occupy(slot, parent: Int32(state), pieceId: pieceIds[Int(kid.node)])
                stateOfNode[Int(kid.node)] = Int32(slot)
                queue.append(Int(kid.node))
            }
        }
        let units = layout.units
        unitCount = units.count
        self.units = .allocate(capacity: units.count)
        self.units.initialize(from: units, count: units.count)
    }

    deinit {
        units.deallocate()
        scores.deallocate()
    }

    /// The state reached from `state` by `byte`, or -1.
    @inline(__always)
    func child(of state: Int32, byte: UInt8) -> Int32 {
        let next = Int(units[Int(state)].base) + Int(byte)
        guard next < unitCount, units[next].parent == state else { return -1 }
        return Int32(next)
    }

    /// The id of the piece that ends at `state`, or -1.
    @inline(__always)
    func pieceId(at state: Int32) -> Int32 { units[Int(state)].pieceId }

    @inline(__always)
    func score(of pieceId: Int32) -> Double { scores[Int(pieceId)] }

    /// The id of the piece spelled exactly by `bytes`, or nil.
    func id(of bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard !bytes.isEmpty else { return nil }
        var state = Self.root
        for byte in bytes {
            state = child(of: state, byte: byte)
            if state < 0 { return nil }
        }
        let id = pieceId(at: state)
        return id >= 0 ? id : nil
    }
}

/// The double array while it is being built: its units, and the free slots found fast (the next free slot at
/// or after any index, through links that skip taken ones, shortened as they are followed).
private struct DoubleArrayLayout {
    var units: [UnigramTrie.Unit]
    private var link: [Int]

    init() {
        units = [UnigramTrie.Unit(base: 0, parent: -2, pieceId: -1)]  // the root: nobody's child, slot taken
        link = [1]
    }

    func isFree(_ slot: Int) -> Bool { slot >= units.count || units[slot].parent == -1 }

    mutating func firstFreeSlot(atOrAfter index: Int) -> Int {
        grow(to: index + 1)
        var slot = index
        while link[slot] != slot {
            slot = link[slot]
            grow(to: slot + 1)
        }
        var walk = index
        while link[walk] != slot {
            let next = link[walk]
            link[walk] = slot
            walk = next
        }
        return slot
    }

    mutating func occupy(_ slot: Int, parent: Int32, pieceId: Int32) {
        grow(to: slot + 2)
        units[slot] = UnigramTrie.Unit(base: 0, parent: parent, pieceId: pieceId)
        link[slot] = slot + 1
    }

    private mutating func grow(to count: Int) {
        guard count > units.count else { return }
        let newCount = max(count, 2 * units.count)
        link.append(contentsOf: units.count..<newCount)
        units.append(contentsOf: repeatElement(UnigramTrie.Unit(), count: newCount - units.count))
    }
}
