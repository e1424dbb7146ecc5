import Foundation

/// Process-level measurements for benchmarks (Linux /proc and getrusage).
enum ProcessClock {
    /// Seconds since this process was started by the kernel (so start-up includes loading and mapping).
    static func secondsSinceProcessStart() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        // Field 22 (starttime, clock ticks since boot) counted after the ")" that ends the command name.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]),
              let uptimeText = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
              let uptime = Double(uptimeText.split(separator: " ")[0]) else { return 0 }
        return uptime - ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Peak resident set size so far, in MB.
    static func maxResidentMegabytes() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024  // ru_maxrss is in KB on Linux
    }
}
