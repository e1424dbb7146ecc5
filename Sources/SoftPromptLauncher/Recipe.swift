import Foundation
import Yams

/// A run recipe (launch/*.yaml): `flag-name: value` pairs for `softprompt train`. A recipe's values come
/// before the command line's, and the last value of a flag wins, so flags given on the command line override
/// the recipe. `true` turns a switch on, `false` leaves it off.
public enum Recipe {
    /// The train arguments a recipe stands for.
    public static func arguments(from path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw RecipeError.unreadable(path) }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw RecipeError.invalid(path, "\(error)") }
        guard let root else { return [] }
        guard let mapping = root.mapping else { throw RecipeError.invalid(path, "expected `flag: value` pairs at the top level") }
        var arguments: [String] = []
        for (key, value) in mapping {
            let line = key.mark.map { "\($0.line)" } ?? "?"
            guard let name = key.scalar?.string, !name.isEmpty, name != "recipe" else {
                throw RecipeError.invalid(path, "line \(line): a key must be a flag name (without --), not \(key)")
            }
            guard let scalar = value.scalar else {
                throw RecipeError.invalid(path, "line \(line): \(name) must be a single value")
            }
            switch scalar.string.lowercased() {
            case "true" where scalar.style == .plain: arguments.append("--" + name)
            case "false" where scalar.style == .plain: break
            default: arguments += ["--" + name, scalar.string]
            }
        }
        return arguments
    }

    /// `softprompt … train --recipe F rest` → `softprompt … train <recipe arguments> rest`, wherever `train`
    /// stands (also after `launch … --`, so each rank reads the recipe).
    public static func expand(_ arguments: [String]) throws -> [String] {
        guard let train = arguments.firstIndex(of: "train"),
              let flag = arguments[train...].firstIndex(where: { $0 == "--recipe" || $0.hasPrefix("--recipe=") })
        else { return arguments }
        var rest = arguments
        let path: String
        if rest[flag].hasPrefix("--recipe=") {
            path = String(rest[flag].dropFirst("--recipe=".count))
            rest.remove(at: flag)
        } else {
            guard flag + 1 < rest.count else { throw RecipeError.invalid("--recipe", "needs a file") }
            path = rest[flag + 1]
            rest.removeSubrange(flag...flag + 1)
        }
        // A launch passes the expanded flags to its ranks, so they need not see the file.
        rest.insert(contentsOf: try Self.arguments(from: path), at: train + 1)
        return rest
    }
}

public enum RecipeError: Error, CustomStringConvertible {
    case unreadable(String)
    case invalid(String, String)
    public var description: String {
        switch self {
        case .unreadable(let path): return "\(path): cannot read the recipe"
        case let .invalid(path, why): return "\(path): \(why)"
        }
    }
}
