import CBLASBackend
import Foundation

/// The libraries that can serve SoftPrompt's matrix products.
public enum BLASLibrary: String, Sendable, CaseIterable {
    /// OpenBLAS: linked, always present, and serving unless MKL was loaded.
    case openBLAS = "openblas"
    /// Intel oneMKL, loaded at run time from its libmkl_rt.so.2: on Intel CPUs its one-thread sgemm runs the
    /// step's shapes 10–40 % faster than OpenBLAS 0.3.21 (bench/RESULTS.md), and it is the BLAS PyTorch uses.
    case mkl
}

/// Why the BLAS asked for could not serve.
public struct BLASSelectionError: Error, CustomStringConvertible {
    public let description: String
}

extension BLAS {
    /// The library serving the products now.
    public static var library: BLASLibrary { softprompt_blas_uses_mkl() != 0 ? .mkl : .openBLAS }

    /// What serves, for reports: "MKL 2025.3" or "OpenBLAS SkylakeX".
    public static var name: String {
        switch library {
        case .openBLAS: return "OpenBLAS \(coreName)"
        case .mkl: return "MKL " + mklVersion(from: String(cString: softprompt_blas_mkl_version()))
        }
    }

    /// "2025.3" from "Intel(R) oneAPI Math Kernel Library Version 2025.3-Product Build 20250926 for …".
    static func mklVersion(from text: String) -> String {
        guard let range = text.range(of: "Version ") else { return text }
        return String(text[range.upperBound...].prefix { !$0.isWhitespace && $0 != "-" })
    }

    /// Loads MKL from `path` (a file, or a soname the dynamic loader searches for) and makes it serve every
    /// product from now on. Call at start-up, before the first product.
    public static func loadMKL(_ path: String) throws(BLASSelectionError) {
        var message = [CChar](repeating: 0, count: 1024)
        guard softprompt_blas_load_mkl(path, &message, message.count) == 0 else {
            throw BLASSelectionError(description: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
                                                         as: UTF8.self))
        }
    }

    /// Chooses and loads the library from the settings `SOFTPROMPT_BLAS` (`setting`: auto, the default;
    /// openblas; mkl) and `SOFTPROMPT_MKL_LIBRARY` (`libraryPath`).
    ///
    /// auto takes MKL on Intel CPUs when it is installed (at `installedPath`, where scripts/setup puts it, or
    /// on the loader's path), and OpenBLAS otherwise. mkl, or an explicit library path, insists: if MKL
    /// cannot be loaded the error says what was tried, rather than running on another library unnoticed.
    /// - Parameters:
    ///   - load: loads one candidate; nil when it serves, otherwise why not.
    public static func select(setting: String?, libraryPath: String?, installedPath: String, isIntelCPU: Bool,
                              fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) },
                              load: (String) -> String? = { path in
                                  do throws(BLASSelectionError) { try loadMKL(path) } catch { return error.description }
                                  return nil
                              }) throws(BLASSelectionError) -> BLASLibrary {
        let value = (setting ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let insists: Bool
        switch value {
        case "", "auto": insists = libraryPath != nil
        case "openblas": return .openBLAS
        case "mkl": insists = true
        default:
            throw BLASSelectionError(description: "SOFTPROMPT_BLAS must be auto, openblas or mkl; got \"\(setting ?? "")\"")
        }
        if !insists && !isIntelCPU { return .openBLAS }
        let candidates = libraryPath.map { [$0] } ?? [installedPath, "libmkl_rt.so.2"]
        var failures: [String] = []
        for candidate in candidates {
            if candidate.contains("/") && !fileExists(candidate) {
                failures.append("\(candidate): no such file")
                continue
            }
            guard let failure = load(candidate) else { return .mkl }
            failures.append(failure)
        }
        guard insists else { return .openBLAS }
        let asked = libraryPath != nil ? "SOFTPROMPT_MKL_LIBRARY=\(libraryPath!)" : "SOFTPROMPT_BLAS=mkl"
        throw BLASSelectionError(description: """
            \(asked), but oneMKL could not be loaded (\(failures.joined(separator: "; "))). \
            scripts/setup installs it; or set SOFTPROMPT_MKL_LIBRARY to a libmkl_rt.so.2, or SOFTPROMPT_BLAS=openblas
            """)
    }
}
