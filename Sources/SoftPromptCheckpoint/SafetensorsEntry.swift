/// One tensor's header entry, validated: its byte range lies inside the data section and matches
/// `shape` × `dtype.byteSize`.
public struct SafetensorsEntry: Sendable, Hashable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// `data_offsets` as a range of bytes relative to the start of the data section (not of the file).
    public let byteRange: Range<Int>
    /// Product of `shape` (1 for a scalar `[]`).
    public let elementCount: Int

    public init(name: String, dtype: SafetensorsDType, shape: [Int], byteRange: Range<Int>, elementCount: Int) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.byteRange = byteRange
        self.elementCount = elementCount
    }
}
