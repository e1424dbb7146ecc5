import Foundation
import SoftPromptTensor

#if !_endian(little)
#error("safetensors data is little-endian and F32 tensors are handed out as zero-copy views: a little-endian host is required")
#endif

/// A safetensors file, memory-mapped read-only and validated on open.
///
/// F32 tensors are zero-copy views into the mapping (copied once only if the file puts them at an address
/// that is not 4-byte aligned); F64, F16, BF16 and FP8 tensors are converted to Float32 on first request.
/// Either way the tensor is cached, so asking twice returns the same object. Views are read-only memory:
/// they are meant for frozen weights, and writing through one faults.
public final class SafetensorsFile: @unchecked Sendable {  // entries are immutable; the cache is behind `lock`
    public let url: URL
    /// The optional `__metadata__` object of the header.
    public let metadata: [String: String]
    public let entries: [String: SafetensorsEntry]
    /// Elements over all floating-point tensors.
    public let parameterCount: Int
    /// How many tensors the file holds of each dtype, keyed by the header spelling ("F32", "BF16", …).
    public let dtypeCounts: [String: Int]

    private let mapping: MappedFile
    private let dataSection: UnsafeRawBufferPointer
    private let lock = NSLock()
    private var cache: [String: Tensor] = [:]

    public init(url: URL) throws {
        let path = url.path
        let mapping = try MappedFile(path: path)
        let file = mapping.bytes

        let headerLength = file.loadUnaligned(as: UInt64.self).littleEndian
        // Compare as UInt64 first: lengths such as 2^64−1 do not fit in Int.
        guard headerLength <= UInt64(SafetensorsError.maximumHeaderLength) else {
            throw SafetensorsError.headerTooLarge(path: path, length: headerLength,
                                                  limit: SafetensorsError.maximumHeaderLength)
        }
        guard headerLength <= UInt64(file.count - 8) else {
            throw SafetensorsError.headerBeyondFile(path: path, length: headerLength, fileSize: file.count)
        }
        let headerEnd = 8 + Int(headerLength)
        let header = try SafetensorsHeader(parsing: UnsafeRawBufferPointer(rebasing: file[8..<headerEnd]),
                                           dataSectionSize: file.count - headerEnd, path: path)

        self.url = url
        self.mapping = mapping
        self.dataSection = UnsafeRawBufferPointer(rebasing: file[headerEnd...])
        self.metadata = header.metadata
        self.entries = header.entries
        // Cannot overflow: disjoint byte ranges inside the file bound the sum by the file size.
        self.parameterCount = header.entries.values.reduce(0) { $1.dtype.isFloatingPoint ? $0 + $1.elementCount : $0 }
        self.dtypeCounts = header.entries.values.reduce(into: [:]) { $0[$1.dtype.rawValue, default: 0] += 1 }
    }

    /// Tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// The tensor as Float32; see the type's documentation for views versus converted copies.
    public func tensor(_ name: String) throws -> Tensor {
        guard let entry = entries[name] else {
            throw SafetensorsError.tensorNotFound(path: url.path, name: name, available: names)
        }
        guard entry.dtype.isFloatingPoint else {
            throw SafetensorsError.notFloatingPoint(path: url.path, tensor: name, dtype: entry.dtype.rawValue)
        }
        lock.lock()
        defer { lock.unlock() }
        if let cached = cache[name] { return cached }
        let tensor = makeTensor(entry)
        cache[name] = tensor
        return tensor
    }

    private func makeTensor(_ entry: SafetensorsEntry) -> Tensor {
        let source = UnsafeRawBufferPointer(rebasing: dataSection[entry.byteRange])
        let count = entry.elementCount
        if entry.dtype == .f32, let base = source.baseAddress,
           Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
            let floats = UnsafeMutableRawPointer(mutating: base).bindMemory(to: Float.self, capacity: count)
            return Tensor(viewing: floats, shape: entry.shape, owner: mapping)
        }
        let tensor = Tensor(zeros: entry.shape)
        let out = tensor.pointer
        switch entry.dtype {
        case .f32:  // unaligned: headers are not always padded to a multiple of 4
            if let base = source.baseAddress { UnsafeMutableRawPointer(out).copyMemory(from: base, byteCount: source.count) }
        case .f64:
            for i in 0..<count {
                out[i] = Float(Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
            }
        case .f16:
            for i in 0..<count {
                out[i] = FloatConversion.float(fromHalf: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
            }
        case .bf16:
            for i in 0..<count {
                out[i] = FloatConversion.float(fromBFloat16: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
            }
        case .f8E4M3:
            for i in 0..<count { out[i] = FloatConversion.float(fromE4M3: source[i]) }
        case .f8E5M2:
            for i in 0..<count { out[i] = FloatConversion.float(fromE5M2: source[i]) }
        case .i64, .i32, .i16, .i8, .u64, .u32, .u16, .u8, .bool:
            break  // excluded by the isFloatingPoint guard in tensor(_:)
        }
        return tensor
    }
}
