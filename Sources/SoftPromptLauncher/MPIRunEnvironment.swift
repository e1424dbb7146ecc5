import Foundation

/// Builds the environment of a launch: what every rank needs (-x), and what only mpirun itself needs.
public enum MPIRunEnvironment {
    /// Set (with OPENBLAS_CORETYPE) when softprompt chose the OpenBLAS core type for this machine itself.
    public static let automaticCoreTypeVariable = "SOFTPROMPT_AUTOMATIC_OPENBLAS_CORETYPE"

    /// Variables forwarded to every rank: one BLAS thread per rank, and any OPENBLAS_*/SOFTPROMPT_* variable
    /// set here, except a core type softprompt chose for this machine (other nodes choose their own).
    public static func rankVariables(current: [String: String] = ProcessInfo.processInfo.environment) -> [(String, String)] {
        let automatic = current[automaticCoreTypeVariable] != nil
        var variables: [(String, String)] = [("OPENBLAS_NUM_THREADS", "1")]
        for (name, value) in current.sorted(by: { $0.key < $1.key })
        where (name.hasPrefix("OPENBLAS_") && name != "OPENBLAS_NUM_THREADS") || name.hasPrefix("SOFTPROMPT_") {
            if automatic && (name == "OPENBLAS_CORETYPE" || name == automaticCoreTypeVariable) { continue }
            // The launcher sets these per start (RestartingJob); an outer job's values must not leak in.
            if name == RestartingJob.restartVariable || name == RestartingJob.heartbeatVariable { continue }
            variables.append((name, value))
        }
        return variables
    }

    /// mpirun's own environment additions: Open MPI refuses root unless told, and is told only for root.
    public static func mpirunVariables(isRoot: Bool = getuid() == 0,
                                       current: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        var variables: [String: String] = [:]
        if isRoot {
            variables["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
            variables["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        }
        // VMs and containers often forbid the single-copy path of the shared-memory transport.
        if current["OMPI_MCA_btl_vader_single_copy_mechanism"] == nil {
            variables["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
        }
        return variables
    }

    /// Whether `mpirun` is on PATH.
    public static func mpirunAvailable(current: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        (current["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/mpirun")
        }
    }
}
