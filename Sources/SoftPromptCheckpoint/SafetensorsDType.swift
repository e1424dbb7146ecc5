/// The element types a safetensors header may name, spelled as in the header.
public enum SafetensorsDType: String, Sendable, CaseIterable, Hashable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
    case bool = "BOOL"
    case f8E4M3 = "F8_E4M3", f8E5M2 = "F8_E5M2"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: 8
        case .f32, .i32, .u32: 4
        case .f16, .bf16, .i16, .u16: 2
        case .i8, .u8, .bool, .f8E4M3, .f8E5M2: 1
        }
    }

    /// Whether `SafetensorsFile.tensor(_:)` can hand the tensor out as Float32.
    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16, .f8E4M3, .f8E5M2: true
        case .i64, .i32, .i16, .i8, .u64, .u32, .u16, .u8, .bool: false
        }
    }
}
