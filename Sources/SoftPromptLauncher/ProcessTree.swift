import Foundation

/// The processes started, directly or not, by one process (Linux /proc), so a hung job can be ended whole:
/// mpirun's ranks may sit in process groups of their own.
public enum ProcessTree {
    /// `root` and all its descendants, parents before children.
    public static func members(of root: pid_t) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(name), let parent = parentID(of: pid) else { continue }
            children[parent, default: []].append(pid)
        }
        var tree: [pid_t] = [root], next = 0
        while next < tree.count {
            tree += children[tree[next]] ?? []
            next += 1
        }
        return tree
    }

    /// The 4th field of /proc/PID/stat; the command name (2nd) is in parentheses and may contain spaces.
    static func parentID(of pid: pid_t) -> pid_t? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }
}
