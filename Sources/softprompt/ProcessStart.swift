import CBLAS
import Foundation
import SoftPromptLauncher
import SoftPromptTensor

/// Settings that have to be in place before any command runs.
enum ProcessStart {
    /// Re-executes this process with OPENBLAS_CORETYPE set when OpenBLAS fell back to generic kernels on a CPU
    /// that has fast ones (see `BLAS.fasterCoreType`). The variable is honoured only at library load, hence the
    /// exec; a value the user set is never overridden, and the exec happens at most once.
    static func selectFastBLASKernels() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              let flags = cpuFlags(),
              let better = BLAS.fasterCoreType(cpuFlags: flags, current: BLAS.coreName) else { return }
        setenv("OPENBLAS_CORETYPE", better, 1)
        // Chosen for this machine: the launcher must not hand it to ranks on other nodes, which choose their own.
        setenv(MPIRunEnvironment.automaticCoreTypeVariable, "1", 1)
        let arguments = CommandLine.arguments
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", argv)
        // exec failed: carry on with the slower kernels rather than not at all.
        unsetenv("OPENBLAS_CORETYPE")
    }

    /// The CPU feature flags from /proc/cpuinfo (Linux); nil elsewhere.
    private static func cpuFlags() -> Set<String>? {
        cpuInfo("flags").map { Set($0.split(separator: " ").map(String.init)) }
    }

    /// The value of the first /proc/cpuinfo line starting with `field` (Linux); nil elsewhere.
    private static func cpuInfo(_ field: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
              let colon = line.firstIndex(of: ":") else { return nil }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }

    /// Where scripts/setup installs MKL (pip's mkl wheel, under the cache directory).
    static var installedMKL: String {
        ModelLocator.cacheDirectory.appendingPathComponent("mkl/lib/libmkl_rt.so.2").path
    }

    /// Loads the BLAS that SOFTPROMPT_BLAS asks for (`BLAS.select`) and writes the choice back to
    /// SOFTPROMPT_BLAS, so that the ranks a launcher starts (which inherit SOFTPROMPT_* variables) all run on
    /// the same library, or fail saying it is missing: ranks on different libraries would not reproduce each
    /// other's bits.
    static func selectBLAS() throws {
        let environment = ProcessInfo.processInfo.environment
        let library = try BLAS.select(setting: environment["SOFTPROMPT_BLAS"],
                                      libraryPath: environment["SOFTPROMPT_MKL_LIBRARY"].flatMap { $0.isEmpty ? nil : $0 },
                                      installedPath: installedMKL,
                                      isIntelCPU: cpuInfo("vendor_id") == "GenuineIntel")
        setenv("SOFTPROMPT_BLAS", library.rawValue, 1)
    }

    /// Whether the command of `arguments` may compute matrix products, or start ranks that do, and so needs its
    /// BLAS chosen: `inspect` and `data` read files only, and skip loading MKL (10–200 ms).
    static func computesProducts(_ arguments: [String]) -> Bool {
        guard let command = arguments.first else { return false }
        return !["inspect", "data", "help", "--help", "-h"].contains(command)
    }

    /// One BLAS thread per process: ranks are the parallelism. Subnormals flushed (see FloatingPointEnvironment).
    /// Standard output line-buffered, so progress lines reach a log file or a pipe as they are printed rather
    /// than when a 4 KiB buffer fills (or at exit).
    static func configure() {
        BLAS.useOneThread()
        FloatingPointEnvironment.flushSubnormalsToZero()
        softprompt_line_buffer_stdout()
    }
}
